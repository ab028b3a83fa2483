"""What the statement admins share: status badges, the action forms, the period filter
and the read-only inlines of a statement."""

from datetime import date

from django import forms
from django.db import connection
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSelect2Widget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from billing.models import (
    MONEY_DIGITS,
    MONEY_PLACES,
    Statement,
    StatementAdjustment,
    StatementEvent,
    StatementExportStatus,
    StatementLine,
    StatementStatus,
)
from billing.statements.constants import VOUCHER_ACCEPT
from billing.statements.labels import order_status_label
from billing.statements.services import (
    StatementError,
    period_parse,
)
from billing.statements.workflow import (
    Resolution,
)
from partners.models import Company

from ..base import ReadOnlyInline, money_column, text_field

S = StatementStatus
STATUS_LABELS = {
    S.DRAFT: "warning",
    S.CONFIRMED: "info",
    S.DISPUTED: "danger",
    S.PAID: "primary",
    S.COMPLETED: "success",
}
EXPORT_STATUS_LABELS = {
    StatementExportStatus.PENDING: "info",
    StatementExportStatus.RUNNING: "warning",
    StatementExportStatus.DONE: "success",
    StatementExportStatus.FAILED: "danger",
}


# --------------------------------------------------------------------------
# Forms of the action pages
# --------------------------------------------------------------------------


class GenerateForm(forms.Form):
    period = forms.CharField(
        label=_("Billing period"),
        max_length=7,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "2026-10"}),
        help_text=_("The month as YYYY-MM."),
    )
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.none(),
        required=False,
        widget=UnfoldAdminSelect2Widget,
        help_text=_("Optional: only this company. Empty: every company with orders."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.order_by("name", "pk")

    def clean_period(self):
        try:
            return period_parse(self.cleaned_data["period"])
        except StatementError as exc:
            raise forms.ValidationError(exc.message_dict["period"]) from exc


class ConfirmForm(forms.Form):
    """No fields: the page is the confirmation."""


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label=_("Resolution"),
        choices=[
            (Resolution.REGENERATE, _("Regenerate (back to “to be confirmed”)")),
            (Resolution.CONFIRM, _("Confirm on behalf of the partner")),
        ],
        widget=UnfoldAdminRadioSelectWidget,
    )
    note = text_field(_("Resolution note"), max_length=500, required=False)


class AdjustForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        widget=UnfoldAdminDecimalFieldWidget,
        help_text=_("Positive adds to the statement amount, negative deducts."),
    )
    reason = text_field(
        _("Adjustment reason"), _("Required. The partner sees it on the statement.")
    )


class VoucherForm(forms.Form):
    voucher = forms.FileField(
        label=_("Voucher"),
        widget=forms.ClearableFileInput(attrs={"accept": VOUCHER_ACCEPT}),
        help_text=_("PDF, JPG or PNG, at most 10 MB."),
    )
    paid_on = forms.DateField(label=_("Payment date"), widget=UnfoldAdminSingleDateWidget)
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=60,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("Shown to the partner in the 凭证 column."),
    )


# --------------------------------------------------------------------------
# Filters and inlines
# --------------------------------------------------------------------------


def statement_months(limit: int = 36) -> list[date]:
    """Months that have statements, newest first: ``statement_periods()`` without the scan.

    Grouping every statement by month reads the whole table on each page view. A period
    always starts on the 1st, so the distinct ``period_start`` values are the months;
    a recursive query walks them newest first with one index probe each (a "loose index
    scan" on the ``period_start`` index), on PostgreSQL and SQLite alike.
    """
    table = connection.ops.quote_name(Statement._meta.db_table)
    column = connection.ops.quote_name("period_start")
    sql = f"""
        WITH RECURSIVE months (day, n) AS (
            SELECT MAX({column}), 1 FROM {table}
            UNION ALL
            SELECT (SELECT MAX(s.{column}) FROM {table} s WHERE s.{column} < months.day), n + 1
            FROM months WHERE months.day IS NOT NULL AND n < %s
        )
        SELECT day FROM months WHERE day IS NOT NULL
    """  # noqa: S608 - only quoted model metadata is interpolated; the limit is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        rows = cursor.fetchall()
    months: list[date] = []
    for (value,) in rows:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        month = day.replace(day=1)
        if month not in months:
            months.append(month)
    return months


class PeriodFilter(DropdownFilter):
    title = _("Billing period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        return [(f"{day:%Y-%m}", f"{day:%Y-%m}") for day in statement_months()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(period_start=period_parse(value).start)
        except StatementError:
            return queryset.none()


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    fields = (
        "order_number",
        "total_display",
        "products",
        "status_display",
        "quantity",
        "transacted_at",
        "in_sales",
    )
    readonly_fields = fields
    ordering = ("-transacted_at", "-pk")
    per_page = 50
    verbose_name = _("statement line")
    verbose_name_plural = _("Statement lines")

    total_display = money_column("order_total", _("Order total amount"), currency_of="statement")

    @display(description=_("Order status"))
    def status_display(self, obj: StatementLine) -> str:
        return order_status_label(obj.order_status)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement")


class StatementAdjustmentInline(ReadOnlyInline):
    model = StatementAdjustment
    fields = ("amount", "reason", "created_by", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("Adjustments")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class StatementEventInline(ReadOnlyInline):
    model = StatementEvent
    fields = ("created_at", "from_display", "to_display", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = _("History")

    @display(description=_("from status"))
    def from_display(self, obj: StatementEvent) -> str:
        return S(obj.from_status).label if obj.from_status else "—"

    @display(description=_("to status"))
    def to_display(self, obj: StatementEvent) -> str:
        return S(obj.to_status).label

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")
