"""The distributor's page: its delegated credit lines (two-tier distribution), per
sub-reseller allocated / used / available. Read-only; only staff who may view delegated
lines (财务, 超级管理员) see the section."""

from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.core.money import format_money
from billing.models import DelegatedCreditLine

from ..base import ReadOnlyInline


class DelegatedCreditLineInline(ReadOnlyInline):
    model = DelegatedCreditLine
    fk_name = "distributor"
    fields = ("reseller_name", "currency", "allocated", "used_display", "available_display")
    readonly_fields = fields
    verbose_name = _("delegated credit line")
    verbose_name_plural = _("delegated credit lines")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reseller").order_by("reseller__name")

    @display(description=_("sub-reseller"))
    def reseller_name(self, obj: DelegatedCreditLine) -> str:
        return obj.reseller.name

    @display(description=_("allocated"))
    def allocated(self, obj: DelegatedCreditLine) -> str:
        return format_money(obj.credit_limit, obj.currency)

    @display(description=_("used"))
    def used_display(self, obj: DelegatedCreditLine) -> str:
        return format_money(obj.used, obj.currency)

    @display(description=_("available"))
    def available_display(self, obj: DelegatedCreditLine) -> str:
        return format_money(obj.available, obj.currency)
