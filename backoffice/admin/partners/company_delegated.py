"""The distributor's page: its delegated credit lines (two-tier distribution), per
sub-reseller allocated / used / available. Read-only; only staff who may view delegated
lines (财务, 超级管理员) see the section."""

from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from billing.models import DelegatedCreditLine

from ..base import ReadOnlyInline, money_column


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

    allocated = money_column("credit_limit", _("allocated"))

    used_display = money_column("used", _("used"))

    available_display = money_column("available", _("available"))
