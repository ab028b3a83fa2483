"""Console: finance (财务). Rebate wallets, credit lines, bills, repayments and coupons.

Balances and ledger entries are read-only here. Every posting goes through a detail
action: GET shows an unfold-styled form page, POST calls one ``billing.services``
function. A ``BillingError`` becomes a form error (or an error message), never a
success. Postings that could be submitted twice carry a one-time token, passed to
the service as its idempotency key, so a double submit posts once.
"""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from import_export import resources
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    RangeDateFilter,
    RangeDateTimeFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelect2MultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
)

from backoffice.core.money import format_money
from billing.models import (
    MONEY_DIGITS,
    MONEY_PLACES,
    Bill,
    BillStatus,
    Coupon,
    CouponCampaign,
    CouponStatus,
    CreditAccount,
    CreditEntry,
    CreditLimitChange,
    PendingPosting,
    PendingPostingKind,
    PendingPostingStatus,
    RebateEntry,
    RebateWallet,
    Repayment,
    RepaymentStatus,
)
from billing.services.approvals import posting_approve, posting_reject, posting_request
from billing.services.coupons import campaign_issue, campaign_issue_to_tier
from billing.services.credit import (
    local_today,
    overdue_block_lift,
    repayment_confirm,
    repayment_reject,
)
from billing.services.errors import BillingError
from billing.services.wallet import wallet_clawback
from catalog.models import Region
from partners.models import Company, CompanyStatus, Tier

from .base import ActionPageMixin, BaseAdmin, ReadOnlyAdmin, label_display, posted
from .navigation import NavGroup
from .partners import _count_of
from .queues import ALREADY, ReviewQueueAdmin, ReviewStatusFilter

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
OPEN_BILL_STATUSES = (BillStatus.PENDING, BillStatus.OVERDUE)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _local(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime(DATETIME_FORMAT)


def _period(bill: Bill) -> str:
    start, end = bill.period_start, bill.period_end
    return f"{start.year}/{start.month}/{start.day}~{end.year}/{end.month}/{end.day}"


def _money_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        widget=UnfoldAdminDecimalFieldWidget,
        **kwargs,
    )


def _reason_field(help_text=None) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=help_text or _("Required. Kept with the posting for audit."),
    )


class TokenForm(forms.Form):
    """A form with a one-time token, created on GET and sent back as a hidden field.

    The token becomes the service's idempotency key: posting the same page twice
    (double click, browser retry) writes one entry.
    """

    token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *args, **kwargs):
        if data is None:
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault("token", uuid.uuid4())
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("token"):
            raise forms.ValidationError(
                _("This form has no valid one-time token. Open it again from the detail page."),
                code="token",
            )
        return cleaned


class AmountReasonForm(TokenForm):
    amount = _money_field(_("Amount"), min_value=Decimal("0.01"))
    reason = _reason_field()

    field_order = ["amount", "reason", "token"]


class SetLimitForm(forms.Form):
    credit_limit = _money_field(
        _("Credit limit"),
        min_value=Decimal("0"),
        help_text=_("Equal to the bank guarantee (1:1)."),
    )
    term_days = forms.IntegerField(
        label=_("Term days"),
        min_value=1,
        max_value=365,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text=_("A bill is due this many days after its period ends (1 to 365)."),
    )
    reason = _reason_field(_("Required. The company is e-mailed the new limit."))


class LiftBlockForm(forms.Form):
    until = forms.DateField(
        label=_("Lift until (inclusive)"),
        widget=UnfoldAdminSingleDateWidget,
        help_text=_("Credit pay works again until the end of this day, Asia/Shanghai time."),
    )
    reason = _reason_field()

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until < local_today():
            raise forms.ValidationError(_("Choose today or a later date."))
        return until


class RejectRepaymentForm(forms.Form):
    reason = forms.CharField(
        label=_("Rejection reason"),
        max_length=200,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("Required. The partner sees it in 还款记录."),
    )


def _company_choices():
    return Company.objects.filter(status=CompanyStatus.ENABLED).order_by("name", "pk")


class IssueToCompaniesForm(forms.Form):
    companies = forms.ModelMultipleChoiceField(
        label=_("Companies"),
        queryset=Company.objects.none(),
        widget=UnfoldAdminSelect2MultipleWidget,
        help_text=_("Enabled companies; type to search. Each gets one coupon."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].queryset = _company_choices()


class IssueToTierForm(forms.Form):
    tier = forms.ModelChoiceField(
        label=_("Membership tier"),
        queryset=Tier.objects.order_by("rank"),
        widget=UnfoldAdminSelectWidget,
        help_text=_("Every enabled company of this tier gets one coupon."),
    )


class FinanceActionMixin(ActionPageMixin):
    """Detail-action pages of the finance admins (the partners' unfold-styled template)."""

    action_errors = (BillingError,)

    def _pk(self, object_id) -> int | None:
        try:
            return int(unquote(str(object_id)))
        except (TypeError, ValueError):
            return None

    def _not_posted(self, request, obj, entry) -> HttpResponse:
        """A posting that did not reach the ledger now: not a success, so not said as one.

        ``entry`` is a ``PendingPosting`` left for a four-eyes checker (a warning), or the
        entry an earlier submit of the same form already wrote (a note).
        """
        if isinstance(entry, PendingPosting):
            _pending_message(self, request, entry)
        else:
            self.message_user(
                request,
                gettext(
                    "This form was already submitted (transaction %(number)s); "
                    "nothing was posted again."
                )
                % {"number": entry.number},
                messages.INFO,
            )
        return HttpResponseRedirect(self._change_url(obj))


# --------------------------------------------------------------------------
# Rebate wallets (可抵扣优惠金额) and their ledger
# --------------------------------------------------------------------------


@admin.register(RebateWallet)
class RebateWalletAdmin(FinanceActionMixin, ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "savings"
    nav_order = 10

    list_display = ("company", "currency", "balance_display", "updated_at")
    list_select_related = ("company",)
    list_filter = ("currency", ("company__tier", RelatedDropdownFilter))
    search_fields = ("company__name",)
    search_help_text = _("Search by company name")
    ordering = ("company__name", "currency")
    fields = ("company", "currency", "balance_display", "updated_at")
    readonly_fields = fields
    actions_detail = ("grant_detail", "clawback_detail")

    @display(description=_("balance"), ordering="balance")
    def balance_display(self, obj: RebateWallet) -> str:
        return format_money(obj.balance, obj.currency)

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
            if granting:  # four-eyes: above the threshold it waits for a checker
                entry = posting_request(
                    kind=PendingPostingKind.WALLET_GRANT,
                    company_id=wallet.company_id,
                    currency=wallet.currency,
                    amount=data["amount"],
                    maker=request.user,
                    reason=data["reason"],
                    idempotency_key=key,
                )
            else:
                entry = wallet_clawback(
                    company_id=wallet.company_id,
                    currency=wallet.currency,
                    amount=data["amount"],
                    actor=request.user,
                    reason=data["reason"],
                    idempotency_key=key,
                )
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
                gettext("Adds the amount to the wallet as a staff grant (人工发放).")
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

    @action(
        description=_("Grant"),
        url_path="grant",
        permissions=["grant"],
        icon="add_circle",
        variant=ActionVariant.SUCCESS,
    )
    def grant_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._posting(request, object_id, kind="grant")

    @action(
        description=_("Claw back"),
        url_path="clawback",
        permissions=["clawback"],
        icon="remove_circle",
        variant=ActionVariant.DANGER,
    )
    def clawback_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._posting(request, object_id, kind="clawback")


class RebateEntryResource(resources.ModelResource):
    """账户收支明细 export with Chinese headers (formula escaping is on project-wide)."""

    number = export_fields.Field(attribute="number", column_name=_("Transaction no."))
    company = export_fields.Field(attribute="wallet__company__name", column_name=_("Company"))
    currency = export_fields.Field(attribute="wallet__currency", column_name=_("Currency"))
    entry_type = export_fields.Field(column_name=_("Type"))
    amount = export_fields.Field(column_name=_("Transaction amount"))
    balance_after = export_fields.Field(column_name=_("Balance"))
    order_number = export_fields.Field(attribute="order_number", column_name=_("Order no."))
    reason = export_fields.Field(attribute="reason", column_name=_("Reason"))
    actor = export_fields.Field(column_name=_("Operator"))
    created_at = export_fields.Field(column_name=_("Date"))

    class Meta:
        model = RebateEntry
        fields = (
            "number",
            "company",
            "currency",
            "entry_type",
            "amount",
            "balance_after",
            "order_number",
            "reason",
            "actor",
            "created_at",
        )
        export_order = fields

    def dehydrate_entry_type(self, entry: RebateEntry) -> str:
        return str(entry.get_entry_type_display())

    def dehydrate_amount(self, entry: RebateEntry) -> str:
        return format_money(entry.amount, entry.wallet.currency, signed=True)

    def dehydrate_balance_after(self, entry: RebateEntry) -> str:
        return format_money(entry.balance_after, entry.wallet.currency)

    def dehydrate_actor(self, entry: RebateEntry) -> str:
        return str(entry.actor) if entry.actor_id else ""

    def dehydrate_created_at(self, entry: RebateEntry) -> str:
        return _local(entry.created_at)


@admin.register(RebateEntry)
class RebateEntryAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "receipt_long"
    nav_order = 15

    resource_classes = (RebateEntryResource,)
    list_display = (
        "number",
        "company",
        "entry_type",
        "amount_display",
        "balance_display",
        "order_number",
        "reason",
        "actor",
        "created_at",
    )
    list_select_related = ("wallet__company", "actor")
    list_filter = (
        "entry_type",
        ("wallet__currency", admin.ChoicesFieldListFilter),
        ("created_at", RangeDateTimeFilter),
    )
    # Codes match from the start (index-served on millions of ledger rows).
    search_fields = ("^number", "^order_number", "wallet__company__name")
    search_help_text = _("Search by the start of the transaction or order no., or by company name")
    ordering = ("-created_at", "-pk")

    @display(description=_("company"), ordering="wallet__company__name")
    def company(self, obj: RebateEntry) -> str:
        return obj.wallet.company.name

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: RebateEntry) -> str:
        return format_money(obj.amount, obj.wallet.currency, signed=True)

    @display(description=_("balance after"), ordering="balance_after")
    def balance_display(self, obj: RebateEntry) -> str:
        return format_money(obj.balance_after, obj.wallet.currency)


# --------------------------------------------------------------------------
# Credit lines (账期), their ledger, bills and repayments
# --------------------------------------------------------------------------


class CreditLimitChangeInline(TabularInline):
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
    ordering = ("-created_at", "-pk")
    verbose_name = _("credit limit change")
    verbose_name_plural = _("credit limit changes")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "account")

    @display(description=_("old limit"))
    def old_limit_display(self, obj: CreditLimitChange) -> str:
        return format_money(obj.old_limit, obj.account.currency)

    @display(description=_("new limit"))
    def new_limit_display(self, obj: CreditLimitChange) -> str:
        return format_money(obj.new_limit, obj.account.currency)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditAccount)
class CreditAccountAdmin(FinanceActionMixin, ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "credit_card"
    nav_order = 20

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

    @display(description=_("credit limit"), ordering="credit_limit")
    def limit_display(self, obj: CreditAccount) -> str:
        return format_money(obj.credit_limit, obj.currency)

    @display(description=_("used"), ordering="used")
    def used_display(self, obj: CreditAccount) -> str:
        return format_money(obj.used, obj.currency)

    @display(description=_("available"))
    def available_display(self, obj: CreditAccount) -> str:
        return format_money(obj.available, obj.currency)

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

    @action(
        description=_("Set limit"),
        url_path="set-limit",
        permissions=["set_limit"],
        icon="tune",
        variant=ActionVariant.PRIMARY,
    )
    def set_limit_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self._object_or_404(request, object_id)
        form = SetLimitForm(
            posted(request),
            initial={"credit_limit": account.credit_limit, "term_days": account.term_days},
        )

        def perform(data) -> str | HttpResponse:
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

        return self._form_action(
            request,
            account,
            form,
            perform=perform,
            title=gettext("Set the credit limit and term days"),
            description=gettext(
                "The limit equals the bank guarantee (1:1). It cannot be lower than what is "
                "already used."
            ),
            submit_label=gettext("Save"),
            summary=self._summary,
        )

    @action(
        description=_("Offline use"),
        url_path="offline-charge",
        permissions=["offline_charge"],
        icon="point_of_sale",
        variant=ActionVariant.WARNING,
    )
    def offline_charge_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self._object_or_404(request, object_id)

        def perform(data) -> str | HttpResponse:
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

        return self._form_action(
            request,
            account,
            AmountReasonForm(posted(request)),
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

    @action(
        description=_("Lift overdue block"),
        url_path="lift-block",
        permissions=["lift_block"],
        icon="lock_open",
        variant=ActionVariant.DEFAULT,
    )
    def lift_block_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self._object_or_404(request, object_id)

        def perform(data) -> str:
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

        return self._form_action(
            request,
            account,
            LiftBlockForm(posted(request)),
            perform=perform,
            title=gettext("Lift the overdue block"),
            description=gettext(
                "While a bill is overdue the company cannot pay with its credit line. Lifting "
                "the block allows it until the chosen day; the reason is kept in the history."
            ),
            submit_label=gettext("Lift the block"),
            summary=self._summary,
        )


class CreditEntryResource(resources.ModelResource):
    """全部明细 export with Chinese headers."""

    number = export_fields.Field(attribute="number", column_name=_("Transaction no."))
    company = export_fields.Field(attribute="account__company__name", column_name=_("Company"))
    currency = export_fields.Field(attribute="account__currency", column_name=_("Currency"))
    entry_type = export_fields.Field(column_name=_("Type"))
    amount = export_fields.Field(column_name=_("Transaction amount"))
    available_after = export_fields.Field(column_name=_("Remaining amount"))
    order_number = export_fields.Field(attribute="order_number", column_name=_("Order no."))
    reason = export_fields.Field(attribute="reason", column_name=_("Reason"))
    actor = export_fields.Field(column_name=_("Operator"))
    created_at = export_fields.Field(column_name=_("Date"))

    class Meta:
        model = CreditEntry
        fields = (
            "number",
            "company",
            "currency",
            "entry_type",
            "amount",
            "available_after",
            "order_number",
            "reason",
            "actor",
            "created_at",
        )
        export_order = fields

    def dehydrate_entry_type(self, entry: CreditEntry) -> str:
        return str(entry.get_entry_type_display())

    def dehydrate_amount(self, entry: CreditEntry) -> str:
        # The change of *used*: a charge is positive (available falls).
        return format_money(entry.amount, entry.account.currency, signed=True)

    def dehydrate_available_after(self, entry: CreditEntry) -> str:
        return format_money(entry.available_after, entry.account.currency)

    def dehydrate_actor(self, entry: CreditEntry) -> str:
        return str(entry.actor) if entry.actor_id else ""

    def dehydrate_created_at(self, entry: CreditEntry) -> str:
        return _local(entry.created_at)


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "receipt"
    nav_order = 25

    resource_classes = (CreditEntryResource,)
    list_display = (
        "number",
        "company",
        "entry_type",
        "amount_display",
        "available_display",
        "order_number",
        "reason",
        "actor",
        "created_at",
    )
    list_select_related = ("account__company", "actor")
    list_filter = (
        "entry_type",
        ("account__currency", admin.ChoicesFieldListFilter),
        ("created_at", RangeDateTimeFilter),
    )
    # Codes match from the start (index-served on millions of ledger rows).
    search_fields = ("^number", "^order_number", "account__company__name")
    search_help_text = _("Search by the start of the transaction or order no., or by company name")
    ordering = ("-created_at", "-pk")

    @display(description=_("company"), ordering="account__company__name")
    def company(self, obj: CreditEntry) -> str:
        return obj.account.company.name

    @display(description=_("change of used"), ordering="amount")
    def amount_display(self, obj: CreditEntry) -> str:
        return format_money(obj.amount, obj.account.currency, signed=True)

    @display(description=_("remaining available"), ordering="available_after")
    def available_display(self, obj: CreditEntry) -> str:
        return format_money(obj.available_after, obj.account.currency)


BILL_STATUS_LABELS = {
    BillStatus.PENDING: "warning",
    BillStatus.OVERDUE: "danger",
    BillStatus.SETTLED: "success",
}


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "request_quote"
    nav_order = 30

    list_display = (
        "number",
        "company",
        "amount_display",
        "period",
        "due_date",
        "status_label",
        "days_remaining",
        "created_at",
    )
    list_select_related = ("account__company",)
    list_filter = (
        "status",
        ("account__currency", admin.ChoicesFieldListFilter),
        ("due_date", RangeDateFilter),
    )
    search_fields = ("number", "account__company__name")
    search_help_text = _("Search by bill no. or company name")
    ordering = ("-created_at", "-pk")
    fields = (
        "number",
        "account",
        "period_start",
        "period_end",
        "amount_display",
        "due_date",
        "status",
        "settled_at",
        "reminder_sent_at",
        "overdue_notice_sent_at",
        "created_at",
    )
    readonly_fields = fields

    @display(description=_("company"), ordering="account__company__name")
    def company(self, obj: Bill) -> str:
        return obj.account.company.name

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Bill) -> str:
        return format_money(obj.amount, obj.account.currency)

    @display(description=_("billing period"), ordering="period_start")
    def period(self, obj: Bill) -> str:
        return _period(obj)

    @label_display(description=_("status"), labels=BILL_STATUS_LABELS, ordering="status")
    def status_label(self, obj: Bill):
        return obj.status, obj.get_status_display()

    @display(description=_("days remaining"))
    def days_remaining(self, obj: Bill) -> int | str:
        if obj.status not in OPEN_BILL_STATUSES:
            return "—"
        return (obj.due_date - local_today()).days


REPAYMENT_STATUS_LABELS = {
    RepaymentStatus.SUBMITTED: "warning",
    RepaymentStatus.CONFIRMED: "success",
    RepaymentStatus.REJECTED: "danger",
}


@admin.register(Repayment)
class RepaymentAdmin(FinanceActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "price_check"
    nav_order = 35

    review_statuses = RepaymentStatus
    pending_status = RepaymentStatus.SUBMITTED
    review_permissions = ("billing.change_repayment",)
    confirm_service = staticmethod(repayment_confirm)
    reject_service = staticmethod(repayment_reject)
    service_object_arg = "repayment_id"

    list_display = (
        "company",
        "amount_display",
        "method",
        "payer_account",
        "paid_on",
        "bill_numbers",
        "submitted_by",
        "created_at",
        "status_label",
    )
    list_select_related = ("account__company", "submitted_by")
    list_filter = (ReviewStatusFilter, "method", ("paid_on", RangeDateFilter))
    search_fields = ("account__company__name", "payer_account", "bills__number")
    search_help_text = _("Search by company name, paying account or bill no.")
    ordering = ("-created_at", "-pk")
    fields = (
        "account",
        "method",
        "amount_display",
        "payer_account",
        "paid_on",
        "provider_reference",
        "status",
        "submitted_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
    )
    readonly_fields = fields
    actions = ("confirm_selected",)
    actions_detail = ("confirm_detail", "reject_detail")

    def get_queryset(self, request):
        bills = Bill.objects.only("pk", "number").order_by("pk")
        return super().get_queryset(request).prefetch_related(Prefetch("bills", queryset=bills))

    @display(description=_("company"), ordering="account__company__name")
    def company(self, obj: Repayment) -> str:
        return obj.account.company.name

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Repayment) -> str:
        return format_money(obj.amount, obj.account.currency)

    @display(description=_("bills"))
    def bill_numbers(self, obj: Repayment) -> str:
        return ", ".join(bill.number for bill in obj.bills.all())

    @label_display(description=_("status"), labels=REPAYMENT_STATUS_LABELS, ordering="status")
    def status_label(self, obj: Repayment):
        return obj.status, obj.get_status_display()

    # --- permissions: who may review; the state decides which buttons show ---

    def has_confirm_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def has_reject_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        if not self.is_pending(request, object_id):
            return []  # confirmed or rejected: nothing left to review
        return actions

    def _summary(self, repayment: Repayment) -> list[tuple[str, object]]:
        currency = repayment.account.currency
        return [
            (_("company"), repayment.account.company.name),
            (_("amount"), format_money(repayment.amount, currency)),
            (_("method"), repayment.get_method_display()),
            (_("paying bank account"), repayment.payer_account),
            (_("payment date"), repayment.paid_on),
            (_("bills"), ", ".join(bill.number for bill in repayment.bills.all())),
            (_("submitted by"), repayment.submitted_by),
            (_("status"), repayment.get_status_display()),
        ]

    def reviewed_response(self, request, repayment: Repayment) -> HttpResponse | None:
        if repayment.status == RepaymentStatus.SUBMITTED:
            return None
        if repayment.status == RepaymentStatus.CONFIRMED:
            self.message_user(
                request,
                gettext("This repayment is already confirmed; nothing was posted again."),
                messages.INFO,
            )
        else:
            self.message_user(
                request,
                gettext("This repayment was rejected: %(reason)s")
                % {"reason": repayment.rejection_reason},
                messages.WARNING,
            )
        return HttpResponseRedirect(self._change_url(repayment))

    def _label(self, repayment: Repayment) -> dict:
        return {
            "amount": format_money(repayment.amount, repayment.account.currency),
            "company": repayment.account.company.name,
        }

    @action(
        description=_("Confirm"),
        url_path="confirm",
        permissions=["confirm"],
        icon="check_circle",
        variant=ActionVariant.SUCCESS,
    )
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: forms.Form(posted(request)),
            message=lambda repayment, _result, _data: (
                gettext(
                    "Confirmed the repayment of %(amount)s from %(company)s; its bills are "
                    "settled and the credit is available again."
                )
                % self._label(repayment)
            ),
            title=gettext("Confirm the offline repayment"),
            description=gettext(
                "Confirm only after the transfer arrived on Blue Cloud's account. Confirming "
                "settles the bills and restores the available credit."
            ),
            submit_label=gettext("Confirm"),
        )

    @action(
        description=_("Reject"),
        url_path="reject",
        permissions=["reject"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.reject,
            form=lambda: RejectRepaymentForm(posted(request)),
            message=lambda repayment, _result, _data: (
                gettext("Rejected the repayment of %(amount)s from %(company)s.")
                % self._label(repayment)
            ),
            title=gettext("Reject the offline repayment"),
            submit_label=gettext("Reject"),
            variant="danger",
        )

    @admin.action(description=_("Confirm selected repayments"), permissions=["confirm"])
    def confirm_selected(self, request: HttpRequest, queryset) -> None:
        self.apply_to_selected(
            request,
            queryset.select_related("account__company").order_by("pk"),
            lambda repayment: self.confirm(request, repayment),
            label=lambda repayment: "{company} {amount}".format(**self._label(repayment)),
            check=lambda repayment: (
                ALREADY if repayment.status == RepaymentStatus.CONFIRMED else None
            ),
            done_text=gettext("%(count)d repayment(s) confirmed: %(items)s."),
            already_text=gettext("%(count)d repayment(s) were already confirmed: %(items)s."),
            failed_text=gettext("%(count)d repayment(s) could not be confirmed: %(details)s"),
        )


# --------------------------------------------------------------------------
# Coupons (优惠券)
# --------------------------------------------------------------------------


class CouponCampaignForm(forms.ModelForm):
    class Meta:
        model = CouponCampaign
        fields = (
            "name",
            "currency",
            "face_value",
            "quantity",
            "threshold_amount",
            "min_quantity",
            "solutions",
            "region",
            "valid_from",
            "valid_until",
        )
        help_texts = {
            "valid_from": _("Asia/Shanghai local time. Leave both dates empty for 永久有效."),
            "valid_until": _("Asia/Shanghai local time. Leave both dates empty for 永久有效."),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("The end must be after the start."))
        quantity = cleaned.get("quantity")
        if quantity is not None and self.instance.pk:
            issued = self.instance.coupons.count()
            if quantity < issued:
                self.add_error(
                    "quantity",
                    _("%(issued)d coupons were already issued; the quantity cannot be lower.")
                    % {"issued": issued},
                )
        return cleaned


# Once coupons exist, their terms are what the partners hold: only name and quantity change.
CAMPAIGN_TERMS = (
    "currency",
    "face_value",
    "threshold_amount",
    "min_quantity",
    "solutions",
    "region",
    "valid_from",
    "valid_until",
)


@admin.register(CouponCampaign)
class CouponCampaignAdmin(FinanceActionMixin, BaseAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "confirmation_number"
    nav_order = 40

    form = CouponCampaignForm
    list_display = (
        "name",
        "face_value_display",
        "threshold_display",
        "min_quantity",
        "region_display",
        "validity",
        "quantity",
        "issued_count",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by",)
    list_filter = ("currency",)
    search_fields = ("name",)
    search_help_text = _("Search by campaign name")
    ordering = ("-created_at", "-pk")
    filter_horizontal = ("solutions",)
    fieldsets = (
        (None, {"fields": ("name", "currency", "face_value", "quantity")}),
        (
            _("Scope"),
            {"fields": ("threshold_amount", "min_quantity", "solutions", "region")},
        ),
        (_("Validity"), {"fields": ("valid_from", "valid_until")}),
        (_("Record"), {"fields": ("created_by", "created_at")}),
    )
    actions_detail = ("issue_companies_detail", "issue_tier_detail")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(issued_count=_count_of(Coupon, "campaign"))

    def get_readonly_fields(self, request, obj=None):
        readonly = ("created_by", "created_at")
        if obj is not None and obj.coupons.exists():
            readonly = (*readonly, *CAMPAIGN_TERMS)
        return readonly

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "region":
            return forms.ChoiceField(
                label=_("region"),
                choices=[("", _("All regions")), *Region.choices],
                required=False,
                widget=UnfoldAdminSelectWidget,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.coupons.exists():
            return False  # issued coupons refer to it
        return super().has_delete_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj: CouponCampaign, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # --- columns ---

    @display(description=_("face value"), ordering="face_value")
    def face_value_display(self, obj: CouponCampaign) -> str:
        return format_money(obj.face_value, obj.currency)

    @display(description=_("minimum order amount"), ordering="threshold_amount")
    def threshold_display(self, obj: CouponCampaign) -> str:
        return format_money(obj.threshold_amount, obj.currency)

    @display(description=_("region"))
    def region_display(self, obj: CouponCampaign) -> str:
        return dict(Region.choices).get(obj.region, obj.region) if obj.region else _("All regions")

    @display(description=_("Validity"))
    def validity(self, obj: CouponCampaign) -> str:
        if not obj.valid_from and not obj.valid_until:
            return gettext("Never expires")
        return f"{_local(obj.valid_from) or '…'} ~ {_local(obj.valid_until) or '…'}"

    @display(description=_("Issued"), ordering="issued_count")
    def issued_count(self, obj: CouponCampaign) -> int:
        return obj.issued_count

    # --- issuing ---

    def has_issue_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("billing.add_coupon")

    def _summary(self, campaign: CouponCampaign) -> list[tuple[str, object]]:
        issued = campaign.coupons.count()
        return [
            (_("Campaign"), campaign.name),
            (_("face value"), format_money(campaign.face_value, campaign.currency)),
            (_("quantity"), campaign.quantity),
            (_("Issued"), issued),
            (_("Left"), max(campaign.quantity - issued, 0)),
        ]

    def _issued(
        self, request, campaign: CouponCampaign, coupons: list[Coupon]
    ) -> str | HttpResponse:
        """The codes issued, or a warning (not a success) when no company matched."""
        if not coupons:
            self.message_user(
                request, gettext("No coupon was issued: no company matched."), messages.WARNING
            )
            return HttpResponseRedirect(self._change_url(campaign))
        return gettext("Issued %(count)d coupon(s) of “%(name)s”: %(codes)s.") % {
            "count": len(coupons),
            "name": campaign.name,
            "codes": ", ".join(coupon.code for coupon in coupons),
        }

    @action(
        description=_("Issue to companies"),
        url_path="issue-companies",
        permissions=["issue"],
        icon="send",
        variant=ActionVariant.PRIMARY,
    )
    def issue_companies_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        campaign = self._object_or_404(request, object_id)
        return self._form_action(
            request,
            campaign,
            IssueToCompaniesForm(posted(request)),
            perform=lambda data: self._issued(
                request,
                campaign,
                campaign_issue(
                    campaign=campaign,
                    company_ids=[company.pk for company in data["companies"]],
                    actor=request.user,
                ),
            ),
            title=gettext("Issue coupons to companies"),
            submit_label=gettext("Issue"),
            summary=self._summary,
        )

    @action(
        description=_("Issue to a tier"),
        url_path="issue-tier",
        permissions=["issue"],
        icon="workspace_premium",
        variant=ActionVariant.DEFAULT,
    )
    def issue_tier_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        campaign = self._object_or_404(request, object_id)
        return self._form_action(
            request,
            campaign,
            IssueToTierForm(posted(request)),
            perform=lambda data: self._issued(
                request,
                campaign,
                campaign_issue_to_tier(
                    campaign=campaign, tier_id=data["tier"].pk, actor=request.user
                ),
            ),
            title=gettext("Issue coupons to a membership tier"),
            submit_label=gettext("Issue"),
            summary=self._summary,
        )


class CouponResource(resources.ModelResource):
    code = export_fields.Field(attribute="code", column_name=_("Coupon code"))
    campaign = export_fields.Field(attribute="campaign__name", column_name=_("Campaign"))
    company = export_fields.Field(attribute="company__name", column_name=_("Company"))
    face_value = export_fields.Field(column_name=_("Face value"))
    status = export_fields.Field(column_name=_("Status"))
    order_number = export_fields.Field(attribute="order_number", column_name=_("Order no."))
    issued_at = export_fields.Field(column_name=_("Issued"))
    used_at = export_fields.Field(column_name=_("Used"))

    class Meta:
        model = Coupon
        fields = (
            "code",
            "campaign",
            "company",
            "face_value",
            "status",
            "order_number",
            "issued_at",
            "used_at",
        )
        export_order = fields

    def dehydrate_face_value(self, coupon: Coupon) -> str:
        return format_money(coupon.campaign.face_value, coupon.campaign.currency)

    def dehydrate_status(self, coupon: Coupon) -> str:
        return str(coupon.get_status_display())

    def dehydrate_issued_at(self, coupon: Coupon) -> str:
        return _local(coupon.issued_at)

    def dehydrate_used_at(self, coupon: Coupon) -> str:
        return _local(coupon.used_at)


COUPON_STATUS_LABELS = {
    CouponStatus.UNUSED: "info",
    CouponStatus.USED: "success",
    CouponStatus.EXPIRED: "danger",
}


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "local_activity"
    nav_order = 45

    resource_classes = (CouponResource,)
    list_display = (
        "code",
        "campaign",
        "company",
        "status_label",
        "order_number",
        "issued_at",
        "used_at",
    )
    list_select_related = ("campaign", "company")
    list_filter = ("status", ("campaign", RelatedDropdownFilter))
    search_fields = ("code", "company__name")
    search_help_text = _("Search by coupon code or company name")
    ordering = ("-issued_at", "-pk")

    @label_display(description=_("status"), labels=COUPON_STATUS_LABELS, ordering="status")
    def status_label(self, obj: Coupon):
        return obj.status, obj.get_status_display()


# --------------------------------------------------------------------------
# Four-eyes: postings above FOUR_EYES_THRESHOLD waiting for a second finance user
# --------------------------------------------------------------------------


def _pending_message(model_admin, request: HttpRequest, pending: PendingPosting) -> None:
    model_admin.message_user(
        request,
        gettext(
            "%(amount)s is above the four-eyes threshold of %(threshold)s: the posting is "
            "waiting for a second finance user to approve it (待复核财务操作) and has not "
            "changed the ledger yet."
        )
        % {
            "amount": format_money(pending.amount, pending.currency),
            "threshold": format_money(settings.FOUR_EYES_THRESHOLD, pending.currency),
        },
        messages.WARNING,
    )


PENDING_STATUS_LABELS = {
    PendingPostingStatus.PENDING: "warning",
    PendingPostingStatus.APPROVED: "success",
    PendingPostingStatus.REJECTED: "danger",
}


class RejectPostingForm(forms.Form):
    reason = forms.CharField(
        label=_("Rejection reason"),
        max_length=200,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("Required. The maker sees it in the queue."),
    )


def _terms(tier, rate) -> str:
    """“金牌级 · 6.00%”, or the tier's own rate when the company has none of its own."""
    if rate is None:
        return gettext("%(tier)s · the tier's rate (%(rate)s)") % {
            "tier": tier.name,
            "rate": f"{tier.revenue_share_rate * 100:.2f}%",
        }
    return f"{tier.name} · {rate * 100:.2f}%"


def _new_terms(pending: PendingPosting) -> str:
    return _terms(pending.tier, pending.revenue_share_rate)


def _current_terms(company) -> str:
    return _terms(company.tier, company.revenue_share_rate)


@admin.register(PendingPosting)
class PendingPostingAdmin(FinanceActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "rule"
    nav_order = 5

    review_statuses = PendingPostingStatus
    pending_status = PendingPostingStatus.PENDING
    review_permissions = ("billing.change_creditaccount", "billing.change_rebatewallet")
    confirm_service = staticmethod(posting_approve)
    reject_service = staticmethod(posting_reject)
    service_object_arg = "pending_id"
    service_actor_arg = "checker"

    list_display = (
        "kind",
        "company",
        "amount_display",
        "term_days",
        "reason",
        "maker",
        "created_at",
        "status_label",
        "checker",
        "result_reference",
    )
    list_select_related = ("company", "maker", "checker", "tier")
    list_filter = (ReviewStatusFilter, "kind", "currency")
    search_fields = ("company__name", "reason", "result_reference")
    search_help_text = _("Search by company name, reason or transaction no.")
    ordering = ("created_at", "pk")
    fields = (
        "kind",
        "company",
        "currency",
        "amount_display",
        "term_days",
        "reason",
        "maker",
        "created_at",
        "status",
        "checker",
        "decided_at",
        "rejection_reason",
        "result_reference",
    )
    readonly_fields = fields
    actions_detail = ("approve_posting_detail", "reject_posting_detail")

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PendingPosting) -> str:
        if obj.kind == PendingPostingKind.COMPANY_TERMS:
            return _new_terms(obj)
        return format_money(obj.amount, obj.currency)

    @label_display(description=_("status"), labels=PENDING_STATUS_LABELS, ordering="status")
    def status_label(self, obj: PendingPosting):
        return obj.status, obj.get_status_display()

    def has_approve_posting_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def has_reject_posting_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def pending_rows(self, request):
        # Four eyes: the maker's own posting waits for somebody else.
        return super().pending_rows(request).exclude(maker=request.user)

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        waiting = self.is_pending(request, object_id)
        return actions if waiting else []  # decided, or the viewer's own posting

    def _summary(self, pending: PendingPosting) -> list[tuple[str, object]]:
        rows = [(_("kind"), pending.get_kind_display()), (_("company"), pending.company.name)]
        if pending.kind == PendingPostingKind.COMPANY_TERMS:
            rows += [
                (_("current terms"), _current_terms(pending.company)),
                (_("new terms"), _new_terms(pending)),
            ]
        else:
            rows.append((_("amount"), format_money(pending.amount, pending.currency)))
        if pending.term_days:
            rows.append((_("term (days)"), pending.term_days))
        return [*rows, (_("reason"), pending.reason), (_("entered by"), pending.maker)]

    def reviewed_response(self, request, pending: PendingPosting) -> HttpResponse | None:
        if request.method != "GET" or pending.status == PendingPostingStatus.PENDING:
            return None
        self.message_user(
            request,
            gettext("This posting was already decided (%(status)s).")
            % {"status": pending.get_status_display()},
            messages.INFO,
        )
        return HttpResponseRedirect(self._change_url(pending))

    @staticmethod
    def _approved_message(pending, approved: PendingPosting, data) -> str:
        if approved.kind == PendingPostingKind.COMPANY_TERMS:
            return gettext("Approved: %(company)s has its new terms now (%(terms)s).") % {
                "company": approved.company.name,
                "terms": _new_terms(approved),
            }
        return gettext("Approved: the posting is in the ledger (%(reference)s).") % {
            "reference": approved.result_reference
        }

    @action(
        description=_("Approve"),
        url_path="approve",
        permissions=["approve_posting"],
        icon="check_circle",
        variant=ActionVariant.SUCCESS,
    )
    def approve_posting_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: forms.Form(posted(request)),
            message=self._approved_message,
            title=gettext("Approve the finance posting"),
            description=gettext(
                "Approving writes the posting to the ledger now, in your name as the second "
                "finance user. You cannot approve a posting you entered yourself."
            ),
            submit_label=gettext("Approve"),
        )

    @action(
        description=_("Reject"),
        url_path="reject",
        permissions=["reject_posting"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def reject_posting_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.reject,
            form=lambda: RejectPostingForm(posted(request)),
            message=lambda pending, _result, _data: gettext("Rejected: nothing was posted."),
            title=gettext("Reject the finance posting"),
            submit_label=gettext("Reject"),
            variant="danger",
        )
