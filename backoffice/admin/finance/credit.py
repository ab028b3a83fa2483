"""Credit lines (账期) and their ledger."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display
from unfold.enums import ActionVariant

from backoffice.core.money import format_money
from billing.models import (
    Bill,
    BillStatus,
    CreditAccount,
    CreditEntry,
    CreditLimitChange,
    PendingPosting,
    PendingPostingKind,
)
from billing.services.approvals import posting_request
from billing.services.bills import (
    overdue_block_lift,
)

from ..base import NoEditingMixin, ReadOnlyAdmin, guarded_action, money_column, posted
from .common import (
    AmountReasonForm,
    FinanceActionMixin,
    LedgerEntryAdmin,
    LedgerEntryResource,
    LiftBlockForm,
    SetLimitForm,
    _local,
    ledger_columns,
    ledger_displays,
    ledger_export_fields,
    ledger_lookups,
)


class CreditLimitChangeInline(NoEditingMixin, TabularInline):
    model = CreditLimitChange
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "old_limit_display",
        "new_limit_display",
        "old_term_days",
        "new_term_days",
        "reason",
        "actor",
    )
    readonly_fields = fields
    verbose_name = _("credit limit change")
    verbose_name_plural = _("credit limit changes")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "account")

    old_limit_display = money_column("old_limit", _("old limit"), currency_of="account")

    new_limit_display = money_column("new_limit", _("new limit"), currency_of="account")


@admin.register(CreditAccount)
class CreditAccountAdmin(FinanceActionMixin, ReadOnlyAdmin):
    list_display = (
        "company",
        "currency",
        "limit_display",
        "used_display",
        "available_display",
        "term_days",
        "has_overdue",
    )
    list_select_related = ("company",)
    list_filter = ("currency", ("company__tier", RelatedDropdownFilter))
    search_fields = ("company__name",)
    search_help_text = _("Search by company name")
    ordering = ("company__name", "currency")
    fields = (
        "company",
        "currency",
        "limit_display",
        "used_display",
        "available_display",
        "term_days",
        "overdue_block_lifted_until",
        "overdue_block_lift_reason",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (CreditLimitChangeInline,)
    actions_detail = ("set_limit_detail", "offline_charge_detail", "lift_block_detail")

    def get_queryset(self, request):
        overdue = Bill.objects.filter(account=OuterRef("pk"), status=BillStatus.OVERDUE)
        return super().get_queryset(request).annotate(overdue=Exists(overdue))

    limit_display = money_column("credit_limit", _("credit limit"), ordering="credit_limit")

    used_display = money_column("used", _("used"), ordering="used")

    available_display = money_column("available", _("available"))

    @display(description=_("overdue"), boolean=True, ordering="overdue")
    def has_overdue(self, obj: CreditAccount) -> bool:
        return obj.overdue

    def _may_change(self, request) -> bool:
        return request.user.has_perm("billing.change_creditaccount")

    def has_set_limit_permission(self, request, object_id=None) -> bool:
        return self._may_change(request)

    def has_offline_charge_permission(self, request, object_id=None) -> bool:
        return self._may_change(request)

    def has_lift_block_permission(self, request, object_id=None) -> bool:
        return self._may_change(request)

    def _summary(self, account: CreditAccount) -> list[tuple[str, object]]:
        return [
            (_("company"), account.company.name),
            (_("currency"), account.get_currency_display()),
            (_("credit limit"), format_money(account.credit_limit, account.currency)),
            (_("used"), format_money(account.used, account.currency)),
            (_("available"), format_money(account.available, account.currency)),
            (_("term (days)"), account.term_days),
        ]

    @guarded_action("set_limit", _("Set limit"), icon="tune", variant=ActionVariant.PRIMARY)
    def set_limit_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(account, data) -> str | HttpResponse:
            result = posting_request(
                kind=PendingPostingKind.CREDIT_LIMIT,
                company_id=account.company_id,
                currency=account.currency,
                amount=data["credit_limit"],
                term_days=data["term_days"],
                maker=request.user,
                reason=data["reason"],
            )
            if isinstance(result, PendingPosting):
                return self._not_posted(request, account, result)
            return gettext(
                "The credit line of %(company)s is now %(limit)s with %(days)d term "
                "days; the company was e-mailed."
            ) % {
                "company": account.company.name,
                "limit": format_money(data["credit_limit"], account.currency),
                "days": data["term_days"],
            }

        return self._object_action(
            request,
            object_id,
            lambda account: SetLimitForm(
                posted(request),
                initial={"credit_limit": account.credit_limit, "term_days": account.term_days},
            ),
            perform=perform,
            title=gettext("Set the credit limit and term days"),
            description=gettext(
                "The limit equals the bank guarantee (1:1). It cannot be lower than what is "
                "already used."
            ),
            submit_label=gettext("Save"),
            summary=self._summary,
        )

    @guarded_action(
        "offline_charge", _("Offline use"), icon="point_of_sale", variant=ActionVariant.WARNING
    )
    def offline_charge_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(account, data) -> str | HttpResponse:
            key = f"console:offline:{account.pk}:{data['token']}"
            replay = CreditEntry.objects.filter(idempotency_key=key).exists()
            entry = posting_request(
                kind=PendingPostingKind.OFFLINE_CHARGE,
                company_id=account.company_id,
                currency=account.currency,
                amount=data["amount"],
                maker=request.user,
                reason=data["reason"],
                idempotency_key=key,
            )
            if replay or isinstance(entry, PendingPosting):
                return self._not_posted(request, account, entry)
            return gettext(
                "Recorded %(amount)s of offline consumption for %(company)s "
                "(transaction %(number)s); available is now %(available)s. "
                "The company was e-mailed."
            ) % {
                "amount": format_money(entry.amount, account.currency),
                "company": account.company.name,
                "number": entry.number,
                "available": format_money(entry.available_after, account.currency),
            }

        return self._object_action(
            request,
            object_id,
            AmountReasonForm,
            perform=perform,
            title=gettext("Record offline consumption"),
            description=gettext(
                "Uses the credit line for consumption agreed outside the portal. The company "
                "receives an e-mail with its new available balance."
            ),
            submit_label=gettext("Record"),
            variant="danger",
            summary=self._summary,
        )

    @guarded_action("lift_block", _("Lift overdue block"), icon="lock_open")
    def lift_block_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(account, data) -> str:
            until = datetime.combine(
                data["until"] + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
            )
            overdue_block_lift(
                company_id=account.company_id,
                currency=account.currency,
                until=until,
                actor=request.user,
                reason=data["reason"],
            )
            return gettext(
                "%(company)s may use credit pay despite overdue bills until %(until)s."
            ) % {"company": account.company.name, "until": _local(until)}

        return self._object_action(
            request,
            object_id,
            LiftBlockForm,
            perform=perform,
            title=gettext("Lift the overdue block"),
            description=gettext(
                "While a bill is overdue the company cannot pay with its credit line. Lifting "
                "the block allows it until the chosen day; the reason is kept in the history."
            ),
            submit_label=gettext("Lift the block"),
            summary=self._summary,
        )


class CreditEntryResource(LedgerEntryResource):
    """全部明细 export with Chinese headers."""

    holder = "account"

    company = export_fields.Field(attribute="account__company__name", column_name=_("Company"))
    currency = export_fields.Field(attribute="account__currency", column_name=_("Currency"))
    available_after = export_fields.Field(column_name=_("Remaining amount"))

    class Meta:
        model = CreditEntry
        fields = ledger_export_fields("available_after")
        export_order = fields

    # ``amount`` is the change of *used*: a charge is positive (available falls).
    def dehydrate_available_after(self, entry: CreditEntry) -> Decimal | None:
        return self.money(entry.available_after)


@admin.register(CreditEntry)
class CreditEntryAdmin(LedgerEntryAdmin):
    resource_classes = (CreditEntryResource,)
    list_display = ledger_columns("available_display")
    list_select_related, list_filter, search_fields = ledger_lookups("account")

    company, amount_display, available_display = ledger_displays(
        "account",
        amount=_("change of used"),
        balance_field="available_after",
        balance=_("remaining available"),
    )
