"""Writes of the contracts domain: building the e-order's merge data, agreeing a contract,
and publishing template versions.

``contract_build_data`` → ``contract_preview_html`` (the 生成电子订单 dialog) →
``contract_agree`` (同意): the number is taken and the whole document is kept as the
snapshot, in the order's transaction. Once that commits, ``contract_render_pdf`` (a task)
renders the PDF from the snapshot once and stores it with its SHA-256; a download that
comes first renders it on demand, the same way, and the bytes are identical either way
(``pdf.render_contract_pdf`` is reproducible for an agreed snapshot). The snapshot's own
SHA-256 is stored with it in the order's transaction and checked before rendering. A
rolled-back checkout writes no file.
"""

import hashlib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.core.money import Currency
from backoffice.core.numbering import NUMBER_TIMEZONE, next_number
from backoffice.core.tasks import enqueue_on_commit
from partners.models import Company, User

from . import selectors
from .capitals import amount_in_chinese_capitals
from .constants import (
    CONTRACT_NUMBER_FORMAT,
    CONTRACT_NUMBER_KEY,
    CURRENCY_NAMES,
    CURRENCY_SYMBOLS,
    DEMO_BANK_ACCOUNT,
    DOCUMENT_LANGUAGE,
    PARTY_B_NAME,
    PARTY_B_NAME_EN,
    LineKind,
    PaymentMethod,
)
from .models import Contract, ContractTemplate, snapshot_digest
from .pdf import render_contract_pdf
from .rendering import document_build, money_display

RENDER_TASK = "contracts.tasks.render_contract_pdf"

CENT = Decimal("0.01")
MAX_QUANTITY = 1_000_000
MAX_LINES = 1000
DATA_KEYS = {
    "currency",
    "payment_method",
    "party_a",
    "party_b",
    "product_lines",
    "service_lines",
    "grand_total",
    "bank",
    "end_customer",
}


class ContractError(ValidationError):
    """A contract rule was broken; its message is shown to the user."""


def _money(value) -> Decimal:
    if isinstance(value, float):
        raise ContractError(_("Amounts must be decimals."))
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ContractError(_("Invalid amount: %(value)s") % {"value": value}) from exc
    if not amount.is_finite():
        raise ContractError(_("Invalid amount: %(value)s") % {"value": value})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _rate_display(rate: Decimal) -> str:
    """``13.00`` → ``13``, ``6.50`` → ``6.5``."""
    return f"{rate.normalize():f}"


def _line(raw: dict, index: int) -> dict:
    name = str(raw.get("name") or "").strip()
    if not name:
        raise ContractError(_("Line %(n)d has no name.") % {"n": index})
    kind = raw.get("kind")
    if kind not in LineKind.values:
        raise ContractError(_("Line %(n)d: kind must be product or service.") % {"n": index})
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ContractError(_("Line %(n)d: the quantity must be a whole number.") % {"n": index})
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ContractError(_("Line %(n)d: the quantity is out of range.") % {"n": index})
    unit_price = _money(raw.get("unit_price"))
    tax_rate = _money(raw.get("tax_rate", "0"))
    if unit_price < 0:
        raise ContractError(_("Line %(n)d: the unit price cannot be negative.") % {"n": index})
    if not Decimal("0") <= tax_rate <= Decimal("100"):
        raise ContractError(_("Line %(n)d: the tax rate must be 0–100%%.") % {"n": index})
    # Prices include tax (含税): the tax rate is stated, the amount is quantity × unit price.
    amount = (unit_price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "solution": str(raw.get("solution") or ""),
        "name": name,
        "sku": str(raw.get("sku") or ""),
        "kind": kind,
        "quantity": quantity,
        "unit_price": str(unit_price),
        "unit_price_display": money_display(unit_price),
        "tax_rate": str(tax_rate),
        "tax_rate_display": _rate_display(tax_rate),
        "amount": str(amount),
        "amount_display": money_display(amount),
    }


def bank_account() -> dict[str, str]:
    """Blue Cloud's receiving account: ``settings.BLUECLOUD_BANK_ACCOUNT`` or the demo one."""
    account = getattr(settings, "BLUECLOUD_BANK_ACCOUNT", None) or DEMO_BANK_ACCOUNT
    return {key: str(account.get(key, "")) for key in ("account_name", "bank_name", "account_no")}


def contract_build_data(
    *,
    company: Company | str,
    contact_name: str,
    contact_phone: str,
    payment_method: str,
    currency: str,
    lines: list[dict],
    end_customer: dict,
    business_owner_name: str | None = None,
    business_owner_email: str | None = None,
) -> dict:
    """The e-order's merge data: parties, the product and service tables with their totals
    (含税) and capitals, the grand total, Blue Cloud's bank account and the end customer.

    ``lines``: dicts with ``name``, ``sku``, ``kind`` ("product"/"service"), ``quantity``
    (int), ``unit_price`` (Decimal, tax included), ``tax_rate`` (Decimal percent) and an
    optional ``solution`` name. Party B's contact defaults to the company's business owner.
    Amounts are strings in the result, so it can be stored as JSON.
    """
    if payment_method not in PaymentMethod.values:
        raise ContractError(_("Unknown payment method."))
    if currency not in Currency.values:
        raise ContractError(_("Unknown currency."))
    if not lines:
        raise ContractError(_("The order has no items."))
    if len(lines) > MAX_LINES:
        raise ContractError(_("The order has too many items."))

    if isinstance(company, Company):
        party_a_name = company.name
        owner = company.business_owner
        if owner is not None:
            business_owner_name = business_owner_name or owner.get_full_name()
            business_owner_email = business_owner_email or owner.email
    else:
        party_a_name = str(company)

    built = [_line(raw, index) for index, raw in enumerate(lines, start=1)]
    product_lines = [line for line in built if line["kind"] == LineKind.PRODUCT]
    service_lines = [line for line in built if line["kind"] == LineKind.SERVICE]
    product_total = sum((Decimal(line["amount"]) for line in product_lines), Decimal("0.00"))
    service_total = sum((Decimal(line["amount"]) for line in service_lines), Decimal("0.00"))
    grand_total = product_total + service_total

    with translation.override(DOCUMENT_LANGUAGE):
        currency_name = str(CURRENCY_NAMES[currency])
        payment_label = str(PaymentMethod(payment_method).label)
    symbol = CURRENCY_SYMBOLS[currency]
    # 人民币 is implied; other currencies are named in front of the capitals: 美元壹佰元整.
    prefix = "" if currency == Currency.CNY else currency_name

    def totals(key: str, amount: Decimal) -> dict:
        return {
            key: str(amount),
            f"{key}_display": f"{symbol}{money_display(amount)}",
            f"{key}_capitals": prefix + amount_in_chinese_capitals(amount),
        }

    customer = end_customer or {}
    return {
        "contract_number": "",
        "agreed_at": "",
        "currency": currency,
        "currency_symbol": symbol,
        "currency_name": currency_name,
        "payment_method": payment_method,
        "payment_method_label": payment_label,
        "party_a": {
            "name": party_a_name,
            "contact_name": str(contact_name or ""),
            "contact_phone": str(contact_phone or ""),
        },
        "party_b": {
            "name": PARTY_B_NAME,
            "name_en": PARTY_B_NAME_EN,
            "contact_name": str(business_owner_name or ""),
            "contact_email": str(business_owner_email or ""),
        },
        "product_lines": product_lines,
        "service_lines": service_lines,
        **totals("product_total", product_total),
        **totals("service_total", service_total),
        **totals("grand_total", grand_total),
        "bank": bank_account(),
        "end_customer": {
            key: str(customer.get(key) or "")
            for key in ("name", "company", "email", "phone", "address")
        },
    }


def contract_preview_html(
    data: dict, *, template: ContractTemplate | None = None, language: str = DOCUMENT_LANGUAGE
) -> str:
    """The HTML of the e-order (same document as the PDF), for the 生成电子订单 dialog.

    ``data`` is merge data (the active template's clauses are added) or a stored snapshot.
    """
    if "clauses" not in data or template is not None:
        template = template or selectors.active_template()
        if template is None:
            raise ContractError(_("No contract template is active."))
    document = document_build(data=data, template=template)
    with translation.override(language):
        return render_to_string("contracts/preview.html", {"contract_doc": document})


def contract_number_next(*, now=None) -> str:
    """The next contract number (合同编号: ``yyyyMMddHHmmss`` + running sequence).

    Taken in its own short transaction when the caller has none open, so the counter
    row is locked for one UPDATE only. Numbers are unique (decision 8), not gap-free: a
    checkout refused after this leaves its number unused.
    """
    return next_number(
        key=CONTRACT_NUMBER_KEY, prefix_format=CONTRACT_NUMBER_FORMAT, now=now or timezone.now()
    )


def _template_share_locked(pk: int | None) -> ContractTemplate | None:
    """The template row (``pk``, or the active version when None) under ``FOR SHARE``
    (PostgreSQL), in one query: many checkouts may hold it at once, while the console's
    ``select_for_update`` edits wait for them. Databases without row locks (SQLite)
    serialise writers anyway."""
    from django.db import connection

    if pk is None:
        queryset = ContractTemplate.objects.filter(is_active=True).order_by()[:1]
    else:
        queryset = ContractTemplate.objects.filter(pk=pk)
    if connection.vendor == "postgresql":
        sql, params = queryset.query.sql_with_params()
        return next(iter(ContractTemplate.objects.raw(f"{sql} FOR SHARE", params)), None)
    return queryset.first()


def contract_agree(
    *,
    data: dict,
    company: Company,
    agreed_by: User,
    template: ContractTemplate | None = None,
    order_number: str = "",
    number: str = "",
) -> Contract:
    """同意: number the contract and store it with its snapshot (the whole document).

    Call it inside the order's transaction: if that rolls back, the row disappears and no
    file was written. The PDF is rendered from the snapshot after the commit
    (``contract_render_pdf``, queued on commit), so no transaction is open while it
    renders. ``number`` is a contract number the caller took before its transaction
    (``contract_number_next``); without it one is taken here. The template version is held
    with a shared lock: checkouts never wait for each other, and a console edit of the
    version waits until they commit.
    """
    if agreed_by.company_id != company.pk:
        raise ContractError(_("Only a user of the company can agree to its contract."))
    missing = DATA_KEYS - set(data)
    if missing:
        # A programming error: the data must come from contract_build_data.
        raise ValueError(f"Contract data lacks {sorted(missing)}; use contract_build_data().")
    with transaction.atomic():
        # Share-lock the version so a console edit of an unused version cannot interleave.
        template = _template_share_locked(template.pk if template else None)
        if template is None:
            raise ContractError(_("No contract template is active."))
        now = timezone.now()
        number = number or contract_number_next(now=now)
        local = timezone.localtime(now, ZoneInfo(NUMBER_TIMEZONE))
        merged = {
            **data,
            "contract_number": number,
            "agreed_at": local.strftime("%Y-%m-%d %H:%M:%S"),
        }
        document = document_build(data=merged, template=template)
        contract = Contract(
            number=number,
            template=template,
            company=company,
            agreed_by=agreed_by,
            agreed_at=now,
            currency=document["currency"],
            total=_money(document["grand_total"]),
            snapshot=document,
            snapshot_sha256=snapshot_digest(document),
            order_number=order_number,
        )
        # The field checks only: the foreign keys were just read, and the number's
        # uniqueness and the total's constraint are the database's (an INSERT refuses them)
        # — full_clean would ask the database once for each.
        contract.full_clean(
            exclude=["template", "company", "agreed_by"],
            validate_unique=False,
            validate_constraints=False,
        )
        contract.save()
        enqueue_on_commit(RENDER_TASK, contract.pk)
    return contract


def contract_render_pdf(*, contract_id: int) -> Contract:
    """The contract's PDF, rendered from its snapshot and stored once (with its SHA-256).

    Idempotent and safe to run twice at once: a contract that has its file is returned as
    it is; two renders racing both write a file, the first to fill the row keeps its
    file and the other deletes its own. Runs outside any transaction (after the commit,
    or on a download that comes before the task), so no row stays locked while it renders.
    """
    contract = Contract.objects.get(pk=contract_id)
    if contract.pdf:
        return contract
    if contract.snapshot_sha256 and snapshot_digest(contract.snapshot) != contract.snapshot_sha256:
        raise ContractError(_("The contract's snapshot does not match its hash."))
    pdf_bytes = render_contract_pdf(contract.snapshot)
    sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    contract.pdf.save(f"{contract.number}.pdf", ContentFile(pdf_bytes), save=False)
    stored = Contract.objects.filter(pk=contract.pk, pdf="").update(
        pdf=contract.pdf.name, sha256=sha256
    )
    if not stored:
        contract.pdf.delete(save=False)
        contract.refresh_from_db()
        return contract
    contract.sha256 = sha256
    return contract


# --- templates ---------------------------------------------------------------------------


def _payment_terms(
    payment_terms: dict[str, str] | None, fallback: ContractTemplate | None
) -> dict[str, str]:
    terms = {}
    for method in PaymentMethod.values:
        value = (payment_terms or {}).get(method)
        if value is None and fallback is not None:
            value = fallback.payment_terms_for(method)
        terms[f"payment_terms_{method}"] = value or ""
    return terms


def _activate(template: ContractTemplate) -> None:
    """Make ``template`` the only active version (saved one by one, so history records it)."""
    for other in (
        ContractTemplate.objects.select_for_update().filter(is_active=True).exclude(pk=template.pk)
    ):
        other.is_active = False
        other.save(update_fields=["is_active"])
    if not template.is_active:
        template.is_active = True
        template.save(update_fields=["is_active"])


def template_create(
    *,
    name: str,
    clauses: list[dict],
    payment_terms: dict[str, str],
    actor: User | None,
) -> ContractTemplate:
    """A new template (version 1, or the next version of ``name``); active if none is."""
    with transaction.atomic():
        latest = (
            ContractTemplate.objects.select_for_update()
            .filter(name=name)
            .order_by("-version")
            .first()
        )
        template = ContractTemplate(
            name=name,
            version=(latest.version + 1) if latest else 1,
            clauses=clauses,
            created_by=actor,
            **_payment_terms(payment_terms, None),
        )
        template.full_clean()
        template.save()
        if selectors.active_template() is None:
            _activate(template)
    return template


def template_update(
    *,
    template: ContractTemplate,
    clauses: list[dict],
    payment_terms: dict[str, str] | None = None,
    actor: User | None = None,
) -> ContractTemplate:
    """Edit a version no contract has used yet; a used version is frozen."""
    with transaction.atomic():
        locked = ContractTemplate.objects.select_for_update().get(pk=template.pk)
        if locked.is_used:
            raise ContractError(
                _("This version is used by agreed contracts: publish a new version instead.")
            )
        locked.clauses = clauses
        for field, value in _payment_terms(payment_terms, locked).items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save()
    return locked


def template_publish_new_version(
    *,
    template: ContractTemplate,
    clauses: list[dict],
    actor: User | None,
    payment_terms: dict[str, str] | None = None,
) -> ContractTemplate:
    """Copy ``template`` into the next version with ``clauses`` and make it the active one.

    The old version (and every contract that used it) stays exactly as it was.
    """
    with transaction.atomic():
        latest = (
            ContractTemplate.objects.select_for_update()
            .filter(name=template.name)
            .order_by("-version")
            .first()
        )
        new = ContractTemplate(
            name=template.name,
            version=latest.version + 1,
            clauses=clauses,
            created_by=actor,
            **_payment_terms(payment_terms, template),
        )
        new.full_clean()
        new.save()
        _activate(new)
    return new


def template_activate(*, template: ContractTemplate, actor: User | None = None) -> ContractTemplate:
    """Make ``template`` the version new contracts use."""
    with transaction.atomic():
        locked = ContractTemplate.objects.select_for_update().get(pk=template.pk)
        _activate(locked)
    return locked


def contract_sample_data(*, product_lines: int = 1, service_lines: int = 1) -> dict:
    """Demo merge data (a console sample PDF of a template version, the benchmark)."""
    lines = [
        {
            "solution": "SkyAudit",
            "name": f"基本计划 {index}",
            "sku": "S-WXX-DES-SKY-P-SSSX-BCD",
            "kind": LineKind.PRODUCT,
            "quantity": 1 + index % 3,
            "unit_price": Decimal("107.00"),
            "tax_rate": Decimal("6"),
        }
        for index in range(1, product_lines + 1)
    ] + [
        {
            "solution": "服务实施项",
            "name": f"部署服务 {index}",
            "sku": "M-JXX-BUS-PLA-P-SXXX-DEC",
            "kind": LineKind.SERVICE,
            "quantity": 1,
            "unit_price": Decimal("1488.39"),
            "tax_rate": Decimal("6"),
        }
        for index in range(1, service_lines + 1)
    ]
    return contract_build_data(
        company="示例经销商 BlueCloud_D",
        contact_name="An",
        contact_phone="13653812334",
        business_owner_name="赵易康",
        business_owner_email="owner@example.com",
        payment_method=PaymentMethod.ONLINE,
        currency=Currency.CNY,
        lines=lines,
        end_customer={
            "name": "AiKi",
            "company": "示例客户公司",
            "email": "customer@example.com",
            "phone": "13653812334",
            "address": "上海市虹口区",
        },
    )
