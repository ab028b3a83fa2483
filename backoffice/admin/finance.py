"""Console: finance. Balance rows are read-only here; ledgers and their actions arrive later."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from billing.models import CreditAccount, RebateWallet

from .base import ReadOnlyAdmin
from .navigation import NavGroup


@admin.register(RebateWallet)
class RebateWalletAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "savings"
    nav_order = 10

    list_display = ("company", "currency", "balance", "updated_at")
    list_select_related = ("company",)
    list_filter = ("currency",)
    search_fields = ("company__name",)
    search_help_text = _("Search by company name")
    ordering = ("company__name", "currency")


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "credit_card"
    nav_order = 20

    list_display = ("company", "currency", "credit_limit", "used", "available", "term_days")
    list_select_related = ("company",)
    list_filter = ("currency",)
    search_fields = ("company__name",)
    search_help_text = _("Search by company name")
    ordering = ("company__name", "currency")

    @display(description=_("available"))
    def available(self, obj: CreditAccount):
        return obj.available
