"""The statement list: header totals of the filtered rows and the columns."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.core.money import format_money
from billing.models import Statement
from billing.statements.labels import rate_display
from billing.statements.selectors import statement_totals

from ..base import status_column
from .common import STATUS_LABELS


class StatementDisplayMixin:
    """Header totals above the list, and the list's columns."""

    # --- list: header totals of the filtered rows ---

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and context.get("cl") is not None:
            context["statement_totals"] = statement_totals(context["cl"].queryset)
        return response

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
