"""分账管理 (revenue-share statements) in the personal center, spec 9.

Who sees it: the company's 管理员 and 协同管理员. The permission matrix of spec 0.4 marks
statements "admin" only, but it is [inferred], and decision 6 (section 15, which settles
the gaps) gives the 协同管理员 "everything else (buy, customers, orders, assets,
statements)". So both roles see, confirm and dispute their company's statements. A
distributor's 管理员 also sees its sub-resellers' statements, read-only (no confirm or
dispute): those are looked up with ``writable=True``, which limits them to the user's
own company, so they answer 404.

Views are thin: lookups go through ``billing.statements.selectors`` (another company's id
answers 404), writes through ``billing.statements.workflow``.
"""

from functools import partial

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.core.files import private_file_response, workbook_response
from backoffice.core.money import format_money
from billing.models import Statement, StatementStatus
from billing.statements.constants import PAYER_CONTACT, PAYER_NAME
from billing.statements.excel import write_statements_workbook
from billing.statements.labels import order_status_label, summary_items
from billing.statements.pdf import pdf_filename, render_statement_pdf
from billing.statements.selectors import (
    can_act_on,
    portal_statement,
    portal_statements,
    statement_adjustments,
    statement_lines,
    statement_totals,
)
from billing.statements.services import StatementError, period_parse
from billing.statements.workflow import statement_confirm, statement_dispute

from ..errors import form_submit, service_call
from ..navigation import can_view_assets
from .base import paginate, partner_view, render_account

LINES_PAGE_SIZE = 50
SECTION = "revenue_statements"

# 分账管理: every partner user of the company (decision 6), the same rule as 我的资产.
can_view_statements = can_view_assets


class StatementFilterForm(forms.Form):
    """展开筛选: period (a month) and status."""

    period = forms.CharField(
        label=gettext_lazy("Billing period"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *StatementStatus.choices],
    )

    def clean_period(self):
        value = self.cleaned_data["period"]
        if not value:
            return None
        try:
            return period_parse(value)
        except StatementError as exc:
            raise forms.ValidationError(exc.message_dict["period"]) from exc


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Dispute reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 500}),
        help_text=gettext_lazy("Tell Blue Cloud what is wrong (at most 500 characters)."),
    )


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render_account(request, f"portal/statements/{template}", SECTION, context)


def _statement_or_404(request: HttpRequest, pk: int, *, writable: bool = False) -> Statement:
    statement = portal_statement(user=request.user, pk=pk, writable=writable)
    if statement is None:
        raise Http404
    return statement


def _row(statement: Statement) -> dict:
    return {
        "pk": statement.pk,
        "number": statement.number,
        "company": statement.company_name,
        "period": statement.period_label,
        "orders": statement.order_count,
        "products": statement.product_count,
        "sales": format_money(statement.sales_amount, statement.currency),
        "voucher": statement.voucher_reference,
        "status": statement.status,
        "status_label": statement.get_status_display(),
    }


@partner_view(allowed=can_view_statements)
def statements(request: HttpRequest) -> HttpResponse:
    form = StatementFilterForm(request.GET)
    valid = form.is_valid()
    queryset = (
        portal_statements(
            user=request.user,
            period=form.cleaned_data.get("period"),
            status=form.cleaned_data.get("status") or None,
        )
        if valid
        else Statement.objects.none()
    )
    totals = statement_totals(queryset)
    page, page_range = paginate(request, queryset)
    filtering = bool(request.GET.get("period") or request.GET.get("status"))
    return _render(
        request,
        "list.html",
        {
            "form": form,
            "filtering": filtering or not valid,
            "totals": totals,
            "rows": [_row(statement) for statement in page.object_list],
            "page": page,
            "page_range": page_range,
        },
    )


@partner_view(allowed=can_view_statements)
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(request, pk)
    page, page_range = paginate(request, statement_lines(statement=statement), LINES_PAGE_SIZE)
    lines = [
        {
            "order_number": line.order_number,
            "total": format_money(line.order_total, statement.currency),
            "products": line.products,
            "status": order_status_label(line.order_status),
            "quantity": line.quantity,
            "transacted_at": line.transacted_at,
            "in_sales": line.in_sales,
        }
        for line in page.object_list
    ]
    adjustments = [
        {
            "amount": format_money(adjustment.amount, statement.currency, signed=True),
            "reason": adjustment.reason,
            "created_at": adjustment.created_at,
        }
        for adjustment in statement_adjustments(statement=statement)
    ]
    return _render(
        request,
        "detail.html",
        {
            "statement": statement,
            "printed_on": timezone.localdate(),
            "total": format_money(statement.total_payable, statement.currency),
            "payer_name": PAYER_NAME,
            "payer_contact": PAYER_CONTACT,
            "summary": summary_items(statement),
            "lines": lines,
            "adjustments": adjustments,
            "page": page,
            "page_range": page_range,
            "can_act": can_act_on(user=request.user, statement=statement),
            "read_only": statement.company_id != request.user.company_id,
        },
    )


@partner_view(methods=("GET", "POST"), allowed=can_view_statements)
def statement_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST confirms (the company's own statement only)."""
    statement = _statement_or_404(request, pk, writable=True)
    if request.method == "POST":
        service_call(
            request,
            lambda: statement_confirm(statement_id=statement.pk, actor=request.user),
            _("Statement %(number)s is confirmed.") % {"number": statement.number},
            refusals=StatementError,
        )
        return redirect("portal:account_statement_detail", pk=statement.pk)
    return _render(
        request,
        "confirm.html",
        {
            "statement": statement,
            "total": format_money(statement.total_payable, statement.currency),
            "can_act": can_act_on(user=request.user, statement=statement),
        },
    )


@partner_view(methods=("GET", "POST"), allowed=can_view_statements)
def statement_dispute_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the reason form; POST disputes (the company's own statement only)."""
    statement = _statement_or_404(request, pk, writable=True)
    form = DisputeForm(request.POST if request.method == "POST" else None)
    if form_submit(
        request,
        form,
        lambda data: statement_dispute(
            statement_id=statement.pk,
            actor=request.user,
            reason=data["reason"],
        ),
        refusals=StatementError,
    ):
        messages.success(
            request,
            _("Your dispute on statement %(number)s was sent to Blue Cloud.")
            % {"number": statement.number},
        )
        return redirect("portal:account_statement_detail", pk=statement.pk)
    return _render(
        request,
        "dispute.html",
        {
            "statement": statement,
            "form": form,
            "can_act": can_act_on(user=request.user, statement=statement),
        },
    )


@partner_view(allowed=can_view_statements)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(request, pk)
    response = HttpResponse(render_statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(statement)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@partner_view(allowed=can_view_statements)
def statement_excel(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(request, pk)
    return workbook_response(
        partial(write_statements_workbook, [statement.pk]),
        filename=f"statement-{statement.number}.xlsx",
    )


@partner_view(allowed=can_view_statements)
def statement_voucher(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(request, pk)
    # No voucher yet: ``private_file_response`` answers 404.
    return private_file_response(
        statement.voucher,
        filename=statement.voucher_name or f"voucher-{statement.number}",
        content_type=statement.voucher_content_type,
    )
