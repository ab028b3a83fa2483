"""The statement list: header totals of the filtered rows and the columns."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.core.money import format_money
from billing.models import Statement
from billing.statements.labels import rate_display
from billing.statements.selectors import statement_totals, statement_totals_of_months
from billing.statements.services import StatementError, period_parse

from ..base import status_column
from ..scope import is_owner_scoped
from .common import STATUS_LABELS, PeriodFilter

# List filters the rollup answers (query parameter → rollup key); any other goes to rows.
ROLLUP_FILTERS = {
    PeriodFilter.parameter_name: "period_start",
    "status__exact": "status",
    "currency__exact": "currency",
}


class StatementDisplayMixin:
    """Header totals above the list, and the list's columns."""

    # --- list: header totals of the filtered rows ---

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and context.get("cl") is not None:
            cl = context["cl"]
            months = self._rollup_filters(request, cl)
            context["statement_totals"] = (
                statement_totals(cl.queryset)
                if months is None
                else statement_totals_of_months(**months)
            )
        return response

    def _rollup_filters(self, request, cl) -> dict | None:
        """The list's filters as the per-month rollup's keys, or None when they go beyond
        what it holds (a search, the company or tier filter, a sales person's scope):
        then the totals are summed over the filtered rows, which are few."""
        if cl.query or is_owner_scoped(request):
            return None
        months: dict = {}
        for name, values in cl.get_filters_params().items():
            keyword = ROLLUP_FILTERS.get(name)
            if keyword is None or len(values) != 1:
                return None
            value = values[0]
            if keyword == "period_start":
                if not value:
                    continue  # the period filter ignores an empty value
                try:
                    value = period_parse(value).start
                except StatementError:
                    return {"status": ""}  # no statement has it: the period filter shows none
            months[keyword] = value
        return months

    # --- columns ---

    @display(description=_("Billing period"), ordering="period_start")
    def period_display(self, obj: Statement) -> str:
        return obj.period_label

    @display(description=_("Sales amount"), ordering="sales_amount")
    def sales_display(self, obj: Statement) -> str:
        return format_money(obj.sales_amount, obj.currency)

    @display(description=_("Revenue-share rate"), ordering="share_rate")
    def rate_display(self, obj: Statement) -> str:
        return rate_display(obj.share_rate)

    @display(description=_("Share payable"))
    def share_display(self, obj: Statement) -> str:
        return format_money(obj.share_amount, obj.currency)

    @display(description=_("Adjustments"))
    def adjustments_display(self, obj: Statement) -> str:
        return format_money(obj.adjustment_total, obj.currency, signed=True)

    @display(description=_("Statement amount"), ordering="total_payable")
    def total_display(self, obj: Statement) -> str:
        return format_money(obj.total_payable, obj.currency)

    status_label = status_column(STATUS_LABELS, _("Status"))

    @display(description=_("Voucher"))
    def voucher_display(self, obj: Statement) -> str:
        return obj.voucher_reference or gettext("None")

    @display(description=_("Voucher"))
    def voucher_link(self, obj: Statement):
        if not obj.voucher:
            return gettext("None")
        url = reverse("admin:billing_statement_voucher", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.voucher_name)
