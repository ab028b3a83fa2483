"""Rebate wallets (可抵扣优惠金额) and their ledger."""

from decimal import Decimal

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.enums import ActionVariant

from backoffice.core.money import Currency, format_money
from billing.models import PendingPosting, PendingPostingKind, RebateEntry, RebateWallet
from billing.services.approvals import posting_request
from billing.services.wallet import wallet_clawback

from ..base import ReadOnlyAdmin, ReadOnlyInline, guarded_action, money_column, posted
from ..queues import DefaultingRadioFilter
from .common import (
    AmountReasonForm,
    FinanceActionMixin,
    LedgerEntryAdmin,
    LedgerEntryResource,
    ledger_columns,
    ledger_displays,
    ledger_export_fields,
    ledger_lookups,
)


class WalletShownFilter(DefaultingRadioFilter):
    """Empty foreign-currency wallets (every company has one per currency) are hidden
    unless asked for: the list opens on the wallets that hold money or are in CNY."""

    title = _("wallets")
    parameter_name = "shown"
    IN_USE = "in_use"
    default = IN_USE
    options = [(IN_USE, _("Hide empty foreign-currency wallets"))]

    def queryset(self, request, queryset):
        if self.value() == self.IN_USE:
            return queryset.exclude(~Q(currency=Currency.CNY) & Q(balance=0))
        return super().queryset(request, queryset)


class RebateEntryInline(ReadOnlyInline):
    """返利明细 on the wallet page: newest first, a page at a time (unfold's paginated
    inline, ``?entries-page=N``), with one query per page whatever its length."""

    model = RebateEntry
    per_page = 20
    fields = ("number", "entry_type", "amount_display", "balance_display")
    fields += ("order_number", "reason", "actor", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("wallet", "actor")

    amount_display = money_column("amount", _("amount"), currency_of="wallet", signed=True)

    balance_display = money_column("balance_after", _("balance after"), currency_of="wallet")


@admin.register(RebateWallet)
class RebateWalletAdmin(FinanceActionMixin, ReadOnlyAdmin):
    list_display = ("company", "currency", "balance_display", "updated_at")
    list_select_related = ("company",)
    list_filter = (WalletShownFilter, "currency", ("company__tier", RelatedDropdownFilter))
    search_fields = ("company__name",)
    search_help_text = _("Search by company name")
    ordering = ("company__name", "currency")
    fields = ("company", "currency", "balance_display", "updated_at")
    readonly_fields = fields
    inlines = (RebateEntryInline,)
    actions_detail = ("grant_detail", "clawback_detail")

    balance_display = money_column("balance", _("balance"), ordering="balance")

    def has_grant_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("billing.change_rebatewallet")

    def has_clawback_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("billing.change_rebatewallet")

    def _posting(self, request: HttpRequest, object_id: str, *, kind: str) -> HttpResponse:
        wallet = self._object_or_404(request, object_id)
        granting = kind == "grant"

        def perform(data) -> str | HttpResponse:
            key = f"console:{kind}:{wallet.pk}:{data['token']}"
            replay = RebateEntry.objects.filter(idempotency_key=key).exists()
            posting = {
                "company_id": wallet.company_id,
                "currency": wallet.currency,
                "amount": data["amount"],
                "reason": data["reason"],
                "idempotency_key": key,
            }
            if granting:  # four-eyes: above the threshold it waits for a checker
                entry = posting_request(
                    kind=PendingPostingKind.WALLET_GRANT, maker=request.user, **posting
                )
            else:
                entry = wallet_clawback(actor=request.user, **posting)
            if replay or isinstance(entry, PendingPosting):
                return self._not_posted(request, wallet, entry)
            return gettext(
                "Posted %(amount)s to %(company)s (transaction %(number)s); "
                "the balance is now %(balance)s."
            ) % {
                "amount": format_money(entry.amount, wallet.currency, signed=True),
                "company": wallet.company.name,
                "number": entry.number,
                "balance": format_money(entry.balance_after, wallet.currency),
            }

        return self._form_action(
            request,
            wallet,
            AmountReasonForm(posted(request)),
            perform=perform,
            title=gettext("Grant rebate") if granting else gettext("Claw back rebate"),
            description=(
                gettext("Adds the amount to the wallet as a manual grant.")
                if granting
                else gettext("Takes the amount back from the wallet; it never goes below zero.")
            ),
            submit_label=gettext("Grant") if granting else gettext("Claw back"),
            variant="primary" if granting else "danger",
            summary=lambda wallet: [
                (_("company"), wallet.company.name),
                (_("currency"), wallet.get_currency_display()),
                (_("balance"), format_money(wallet.balance, wallet.currency)),
            ],
        )

    @guarded_action("grant", _("Grant"), icon="add_circle", variant=ActionVariant.SUCCESS)
    def grant_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._posting(request, object_id, kind="grant")

    @guarded_action("clawback", _("Claw back"), icon="remove_circle", variant=ActionVariant.DANGER)
    def clawback_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._posting(request, object_id, kind="clawback")


class RebateEntryResource(LedgerEntryResource):
    """账户收支明细 export with Chinese headers (formula escaping is on project-wide)."""

    holder = "wallet"

    company = export_fields.Field(attribute="wallet__company__name", column_name=_("Company"))
    currency = export_fields.Field(attribute="wallet__currency", column_name=_("Currency"))
    balance_after = export_fields.Field(column_name=_("Balance"))

    class Meta:
        model = RebateEntry
        fields = ledger_export_fields("balance_after")
        export_order = fields

    def dehydrate_balance_after(self, entry: RebateEntry) -> Decimal | None:
        return self.money(entry.balance_after)


@admin.register(RebateEntry)
class RebateEntryAdmin(LedgerEntryAdmin):
    resource_classes = (RebateEntryResource,)
    list_display = ledger_columns("balance_display")
    list_select_related, list_filter, search_fields = ledger_lookups("wallet")

    company, amount_display, balance_display = ledger_displays(
        "wallet", amount=_("amount"), balance_field="balance_after", balance=_("balance after")
    )
