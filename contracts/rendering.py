"""Turning merge data plus a template version into the contract document (shared by PDF and preview).

The *merge data* (``services.contract_build_data``) holds parties, lines, totals and
capitals. The *document* adds the template's clauses rendered with the merge fields and the
template version; it is what the PDF and the HTML preview show and what a contract stores as
its snapshot. Clause texts may only use ``{{ merge_field }}`` (checked in
``ContractTemplate.clean``) and are rendered from a restricted, flat context as plain text;
PDF and HTML escape the result themselves.
"""

from decimal import Decimal

from django.template import Context, Engine

from .models import ContractTemplate

# A bare engine: no loaders, no context processors, no project tag libraries. Clauses
# cannot use tags or filters anyway (``ContractTemplate.clean``).
_ENGINE = Engine(libraries={}, autoescape=False)


def money_display(amount: str | Decimal) -> str:
    """``1488.39`` → ``1,488.39`` (two decimals, thousands separators)."""
    return f"{Decimal(amount):,.2f}"


def merge_context(data: dict) -> dict[str, str]:
    """The flat, string-only context clauses can see (``constants.MERGE_FIELDS``)."""
    party_a, party_b = data["party_a"], data["party_b"]
    customer, bank = data.get("end_customer") or {}, data.get("bank") or {}
    context = {
        "contract_number": data.get("contract_number", ""),
        "party_a_name": party_a.get("name", ""),
        "party_a_contact_name": party_a.get("contact_name", ""),
        "party_a_contact_phone": party_a.get("contact_phone", ""),
        "party_b_name": party_b.get("name", ""),
        "party_b_contact_name": party_b.get("contact_name", ""),
        "party_b_contact_email": party_b.get("contact_email", ""),
        "currency_name": data.get("currency_name", ""),
        "currency_symbol": data.get("currency_symbol", ""),
        "payment_method": data.get("payment_method_label", ""),
        "end_customer_name": customer.get("name", ""),
        "end_customer_company": customer.get("company", ""),
        "end_customer_email": customer.get("email", ""),
        "grand_total": data.get("grand_total_display", ""),
        "grand_total_capitals": data.get("grand_total_capitals", ""),
        "bank_name": bank.get("bank_name", ""),
        "bank_account": bank.get("account_no", ""),
        "bank_account_name": bank.get("account_name", ""),
        "payment_terms": "",
    }
    return {key: str(value) for key, value in context.items()}


def render_text(text: str, context: dict[str, str]) -> str:
    return _ENGINE.from_string(text).render(Context(context, autoescape=False))


def clauses_render(*, template: ContractTemplate, data: dict) -> list[dict[str, str]]:
    """The template's clauses with merge fields filled in, as plain text."""
    context = merge_context(data)
    context["payment_terms"] = render_text(
        template.payment_terms_for(data["payment_method"]), context
    ).strip()
    return [
        {
            "title": render_text(clause["title"], context).strip(),
            "text": render_text(clause["text"], context).strip(),
        }
        for clause in template.clauses
    ]


def document_build(*, data: dict, template: ContractTemplate | None = None) -> dict:
    """Merge data + rendered clauses + template version. Without ``template``, ``data`` must
    already be a document (a stored snapshot)."""
    if template is None:
        if "clauses" not in data:
            raise ValueError("Pass the template version, or a document that has its clauses.")
        return data
    return {
        **data,
        "clauses": clauses_render(template=template, data=data),
        "template": {"id": template.pk, "name": template.name, "version": template.version},
    }
