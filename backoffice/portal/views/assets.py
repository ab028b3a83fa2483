"""我的资产 (My assets): 零钱 / 可抵扣优惠金额, 优惠券, 账期余额 and the offline repayment form.

Every query is scoped to ``request.user.company`` through ``billing.selectors``; the
writes (线下还款, 线上还款) go through ``billing.services.bills``, whose refusals become
form errors or messages. Amounts are formatted with ``format_money`` only.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.core.money import format_money
from billing import selectors
from billing.constants import SUPPORT_EMAIL, receiving_account
from billing.models import (
    Bill,
    CouponStatus,
    CreditEntry,
    Currency,
    PaymentRecordStatus,
    RebateEntry,
    RebateEntryType,
    Repayment,
    RepaymentStatus,
)
from billing.rules import bill_is_open, repayment_bills_problem
from billing.selectors.delegated import delegated_lines_of
from billing.selectors.payments import online_repayment_for_company
from billing.services.bills import (
    repayment_online_payload,
    repayment_online_start,
    repayment_provider_form,
    repayment_submit_offline,
)
from billing.services.credit import local_today
from billing.services.errors import BillingError
from billing.services.payments import repayment_online_callback
from catalog.models import Region

from ..errors import errors_to_messages, form_submit
from ..forms.assets import (
    CUSTOM,
    PERIOD_CHOICES,
    AssetFilters,
    OfflineRepaymentForm,
    asset_filters,
)
from ..navigation import account_menu, can_view_assets
from .base import paginate, partner_view, render_account
from .payments import sandbox_settle

REBATE_TABS = [
    ("ledger", gettext_lazy("Account ledger")),
    ("topups", gettext_lazy("Top-up history")),
]
COUPON_TABS = [
    (CouponStatus.UNUSED, gettext_lazy("Unused")),
    (CouponStatus.USED, gettext_lazy("Used")),
    (CouponStatus.EXPIRED, gettext_lazy("Expired")),
]
CREDIT_TABS = [
    ("entries", gettext_lazy("All details")),
    ("bills", gettext_lazy("Bills issued")),
    ("repayments", gettext_lazy("Repayment records")),
]
TOPUP_TYPES = (RebateEntryType.REWARD, RebateEntryType.GRANT)


# --------------------------------------------------------------------------
# Plumbing shared by the three pages
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    active: bool


def _tabs(request: HttpRequest, choices) -> tuple[str, list[Tab]]:
    keys = [key for key, _label in choices]
    current = request.GET.get("tab")
    current = current if current in keys else keys[0]
    return current, [Tab(key, label, key == current) for key, label in choices]


def _scoped(queryset: QuerySet, filters: AssetFilters) -> QuerySet:
    """No rows for an invalid filter: the page shows the errors, never another period's rows."""
    return queryset if filters.valid else queryset.none()


def _window(company, filters: AssetFilters) -> dict:
    """Selector arguments: the company, the chosen currency and the time window."""
    return {
        "company_id": company.pk,
        "currency": filters.currency,
        "since": filters.since,
        "until": filters.until,
    }


def _render(
    request: HttpRequest, template: str, section: str, filters: AssetFilters, context: dict
) -> HttpResponse:
    context = {
        **context,
        "filters": filters,
        "filter_form": filters.form,
        "currencies": Currency.choices,
        "periods": PERIOD_CHOICES,
        "custom_period": CUSTOM,
    }
    return render_account(request, f"portal/account/assets/{template}", section, context)


def _period(bill: Bill) -> str:
    """账期 as in the manual: 2020/2/28~2020/2/28."""

    def short(day: date) -> str:
        return f"{day.year}/{day.month}/{day.day}"

    return f"{short(bill.period_start)}~{short(bill.period_end)}"


# --------------------------------------------------------------------------
# 零钱 / 可抵扣优惠金额
# --------------------------------------------------------------------------


def _rebate_row(entry: RebateEntry, currency: str) -> dict:
    return {
        "pk": entry.pk,
        "number": entry.number,
        "created_at": entry.created_at,
        "amount": format_money(entry.amount, currency, signed=True),
        "negative": entry.amount < 0,
        "balance": format_money(entry.balance_after, currency),
        "type": entry.get_entry_type_display(),
        "order_number": entry.order_number,
        # Rewards and staff grants are credited by Blue Cloud online (spec 10.1.4).
        "method": _("Online") if entry.entry_type in TOPUP_TYPES else "",
    }


@partner_view(allowed=can_view_assets)
def rebate(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    filters = asset_filters(request.GET)
    tab, tabs = _tabs(request, REBATE_TABS)
    window = _window(company, filters)
    if tab == "ledger":
        entries = selectors.wallet_entries(**window)
    else:
        entries = selectors.wallet_topups(**window)
    page, page_range = paginate(request, _scoped(entries, filters))
    wallet = selectors.wallet_of(company_id=company.pk, currency=filters.currency)
    return _render(
        request,
        "rebate.html",
        "assets_rebate",
        filters,
        {
            "balance": format_money(wallet.balance if wallet else 0, filters.currency),
            "tab": tab,
            "tabs": tabs,
            "page": page,
            "page_range": page_range,
            "rows": [_rebate_row(entry, filters.currency) for entry in page],
            "support_email": SUPPORT_EMAIL,
        },
    )


# --------------------------------------------------------------------------
# 优惠券
# --------------------------------------------------------------------------


def _coupon_row(coupon) -> dict:
    campaign = coupon.campaign
    regions = dict(Region.choices)
    return {
        "pk": coupon.pk,
        "code": coupon.code,
        "name": campaign.name,
        "face_value": format_money(campaign.face_value, campaign.currency),
        "threshold": format_money(campaign.threshold_amount, campaign.currency),
        "min_quantity": campaign.min_quantity,
        "solutions": list(campaign.solutions.all()),
        "valid_from": campaign.valid_from,
        "valid_until": campaign.valid_until,
        "region": regions.get(campaign.region, campaign.region) if campaign.region else "",
        "order_number": coupon.order_number,
        "used_at": coupon.used_at,
        # A coupon of a distributor's quota held by its sub-reseller came from the distributor.
        "source": (
            coupon.quota.distributor.name
            if coupon.quota_id and coupon.quota.distributor_id != coupon.company_id
            else ""
        ),
    }


@partner_view(allowed=can_view_assets)
def coupons(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    filters = asset_filters(request.GET)
    status, tabs = _tabs(request, COUPON_TABS)
    # No time window: a coupon stays listed for as long as it exists (spec 10.2 has no filter).
    queryset = selectors.coupons_by_status(
        company_id=company.pk, status=status, currency=filters.currency
    )
    page, page_range = paginate(request, _scoped(queryset, filters))
    return _render(
        request,
        "coupons.html",
        "assets_coupons",
        filters,
        {
            "tab": status,
            "tabs": tabs,
            "show_order": status == CouponStatus.USED,
            "page": page,
            "page_range": page_range,
            "rows": [_coupon_row(coupon) for coupon in page],
        },
    )


# --------------------------------------------------------------------------
# 账期余额
# --------------------------------------------------------------------------


def _credit_entry_row(entry: CreditEntry, currency: str) -> dict:
    # ``amount`` is the change of *used*; the customer sees -charge / +repayment.
    return {
        "pk": entry.pk,
        "number": entry.number,
        "created_at": entry.created_at,
        "amount": format_money(-entry.amount, currency, signed=True),
        "negative": entry.amount > 0,
        "available_after": format_money(entry.available_after, currency),
        "type": entry.get_entry_type_display(),
        "order_number": entry.order_number,
    }


def _bill_row(bill: Bill, currency: str, today: date) -> dict:
    is_open = bill_is_open(bill)
    days = (bill.due_date - today).days if is_open else None
    return {
        "pk": bill.pk,
        "number": bill.number,
        "created_at": bill.created_at,
        "amount": format_money(bill.amount, currency),
        "period": _period(bill),
        "days_remaining": days,
        "overdue": days is not None and days < 0,
        "status": bill.status,
        "status_label": bill.get_status_display(),  # one name per state (README glossary)
        "under_review": is_open and bill.under_review,
        "can_repay": is_open and not bill.under_review,
    }


def _repayment_row(repayment: Repayment, currency: str) -> dict:
    return {
        "pk": repayment.pk,
        "bills": [bill.number for bill in repayment.bills.all()],
        "created_at": repayment.created_at,
        "amount": format_money(repayment.amount, currency),
        "method": repayment.get_method_display(),
        "payer_account": repayment.payer_account,
        "paid_on": repayment.paid_on,
        "status": repayment.status,
        "status_label": repayment.get_status_display(),
        "reason": repayment.rejection_reason,
    }


@partner_view(allowed=can_view_assets)
def credit(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    filters = asset_filters(request.GET)
    tab, tabs = _tabs(request, CREDIT_TABS)
    currency = filters.currency
    window = _window(company, filters)
    today = local_today()
    if tab == "entries":
        page, page_range = paginate(request, _scoped(selectors.credit_entries(**window), filters))
        rows = [_credit_entry_row(entry, currency) for entry in page]
    elif tab == "bills":
        page, page_range = paginate(request, _scoped(selectors.company_bills(**window), filters))
        rows = [_bill_row(bill, currency, today) for bill in page]
    else:
        repayments = selectors.company_repayments(**window)
        page, page_range = paginate(request, _scoped(repayments, filters))
        rows = [_repayment_row(repayment, currency) for repayment in page]
    summary = selectors.credit_overview(company_id=company.pk, currency=currency)
    cards = None
    if summary is not None:
        account = summary["account"]
        cards = {
            "limit": format_money(account.credit_limit, currency),
            "term_days": account.term_days,
            "available": format_money(account.available, currency),
            "pending": format_money(summary["pending_bills"], currency),
            "pending_due": summary["pending_bills"] > 0,
        }
    return _render(
        request,
        "credit.html",
        "assets_credit",
        filters,
        {
            "cards": cards,
            # Two-tier distribution: credit delegated by the distributor, source shown.
            "delegated": [
                {
                    "source": line.distributor.name,
                    "limit": format_money(line.credit_limit, line.currency),
                    "used": format_money(line.used, line.currency),
                    "available": format_money(line.available, line.currency),
                }
                for line in delegated_lines_of(reseller_id=company.pk)
            ],
            "tab": tab,
            "tabs": tabs,
            "page": page,
            "page_range": page_range,
            "rows": rows,
            # A bill with a repayment in flight shows that repayment's state (审核中).
            "under_review_label": RepaymentStatus.SUBMITTED.label,
            "repay_offline_url": reverse("portal:assets_repay_offline"),
            "repay_online_url": reverse("portal:assets_repay_online"),
        },
    )


# --------------------------------------------------------------------------
# 线下还款 (one bill or 批量还款)
# --------------------------------------------------------------------------


MAX_ID = 2**63 - 1  # the largest BigAutoField


def _bill_ids(values: list[str]) -> list[int]:
    """The ``bills`` ids of the query string or form, each once: plain positive integers
    a BigAutoField can hold. Anything else names no bill: 404 before any query (an id
    past the column's range would fail in the database, not just match nothing)."""
    ids = []
    for value in values:
        value = value.strip()
        digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))
        if not digits or not 0 < int(value) <= MAX_ID:
            raise Http404
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def _bills_page(currency: str) -> str:
    return f"{reverse('portal:assets_credit')}?{urlencode({'tab': 'bills', 'currency': currency})}"


@partner_view(methods=("GET", "POST"), allowed=can_view_assets)
def repay_offline(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    chosen = _chosen_bills(request)
    if isinstance(chosen, HttpResponse):
        return chosen
    ids, bills, currency = chosen
    form = OfflineRepaymentForm(request.POST if request.method == "POST" else None)
    if form_submit(
        request,
        form,
        lambda data: repayment_submit_offline(
            company_id=company.pk,
            currency=currency,
            bill_ids=ids,
            payer_account=data["payer_account"],
            paid_on=data["paid_on"],
            actor=request.user,
        ),
        refusals=BillingError,
    ):
        messages.success(
            request,
            _(
                "Your offline repayment was submitted. Blue Cloud finance will confirm it "
                "after checking the transfer."
            ),
        )
        return redirect(
            f"{reverse('portal:assets_credit')}?"
            f"{urlencode({'tab': 'repayments', 'currency': currency})}"
        )
    total = sum((bill.amount for bill in bills), Decimal("0"))
    return render_account(
        request,
        "portal/account/assets/repay_offline.html",
        "assets_credit",
        {
            "form": form,
            "bills": [
                {
                    "pk": bill.pk,
                    "number": bill.number,
                    "amount": format_money(bill.amount, currency),
                }
                for bill in bills
            ],
            "total": format_money(total, currency),
            "currency": currency,
            "receiving": receiving_account(),
            "back_url": _bills_page(currency),
        },
    )


def _chosen_bills(request: HttpRequest) -> tuple[list[int], list, str] | HttpResponse:
    """The bills chosen on the bills page (the query string's or the form's ``bills``):
    their ids, the open bills and their currency; else, with a message, back to the page."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _bill_ids(source.getlist("bills"))
    if not ids:
        messages.error(request, _("Select at least one bill first."))
        return redirect(_bills_page(Currency.CNY))
    bills, currency = _open_bills_of(request, ids)
    if bills is None:
        return redirect(_bills_page(currency))
    return ids, bills, currency


def _open_bills_of(request: HttpRequest, ids: list[int]):
    """The signed-in company's open bills among ``ids`` (one currency), or None with a message."""
    bills = list(selectors.company_bills_by_ids(company_id=request.user.company_id, bill_ids=ids))
    if len(bills) != len(ids):
        raise Http404  # another company's bill, or none at all: it does not exist here
    currency = next(iter({bill.account.currency for bill in bills}))
    problem = repayment_bills_problem(bills)
    if problem:
        messages.error(request, problem)
        return None, currency
    return bills, currency


@partner_view(methods=("GET", "POST"), allowed=can_view_assets)
def repay_online(request: HttpRequest) -> HttpResponse:
    """线上还款: GET shows the chosen bills; 去支付 (POST) starts an online repayment at the
    payment provider (the server draws its reference) and goes to its payment page."""
    chosen = _chosen_bills(request)
    if isinstance(chosen, HttpResponse):
        return chosen
    ids, bills, currency = chosen
    if request.method == "POST":
        try:
            online = repayment_online_start(
                company_id=request.user.company_id,
                currency=currency,
                bill_ids=ids,
                actor=request.user,
            )
        except BillingError as exc:
            errors_to_messages(request, exc, joined=True)
            return redirect(_bills_page(currency))
        return redirect("portal:assets_repay_online_pay", reference=online.reference)
    total = sum((bill.amount for bill in bills), Decimal("0"))
    return render(
        request,
        "portal/account/assets/repay_online.html",
        {
            "account_menu": account_menu(request.user, active="assets_credit"),
            "bills": [
                {"pk": b.pk, "number": b.number, "amount": format_money(b.amount, currency)}
                for b in bills
            ],
            "total": format_money(total, currency),
            "back_url": _bills_page(currency),
        },
    )


def _own_online_repayment(request: HttpRequest, reference: str):
    online = online_repayment_for_company(company_id=request.user.company_id, reference=reference)
    if online is None:
        raise Http404  # another company's reference does not exist here
    return online


def _repayments_page(currency: str) -> str:
    return f"{reverse('portal:assets_credit')}?{urlencode({'tab': 'repayments', 'currency': currency})}"


def _online_repayment_outcome(request: HttpRequest, online) -> HttpResponse:
    """The repayments tab, with what became of ``online``."""
    currency = online.account.currency
    if online.status == PaymentRecordStatus.SUCCEEDED:
        messages.success(
            request,
            _("Repayment of %(amount)s received; the available credit is restored.")
            % {"amount": format_money(online.amount, currency)},
        )
    elif online.status in (PaymentRecordStatus.REFUND_DUE, PaymentRecordStatus.REFUNDED):
        messages.warning(
            request,
            _(
                "Your payment arrived, but the bills were already settled or under review. "
                "Blue Cloud finance will refund it."
            ),
        )
    elif online.status == PaymentRecordStatus.FAILED:
        messages.error(
            request, _("The payment did not go through. Nothing was charged; try again.")
        )
    else:
        messages.info(
            request,
            _("The payment is being confirmed; the bills are settled once it arrives."),
        )
    return redirect(_repayments_page(currency))


@partner_view(methods=("GET",), allowed=can_view_assets)
def repay_online_pay(request: HttpRequest, reference: str) -> HttpResponse:
    """The online repayment's payment page (the provider's cashier sends the payer back
    here; a decided repayment shows the repayments tab)."""
    online = _own_online_repayment(request, reference)
    if online.status != PaymentRecordStatus.PENDING:
        return _online_repayment_outcome(request, online)
    currency = online.account.currency
    try:
        start = repayment_provider_form(
            online=online,
            notify_url=request.build_absolute_uri(
                reverse("portal:payment_notify", args=[online.provider])
            ),
            return_url=request.build_absolute_uri(
                reverse("portal:assets_repay_online_pay", args=[reference])
            ),
            complete_url=reverse("portal:assets_repay_online_complete", args=[reference]),
        )
    except KeyError:
        raise Http404 from None  # a provider that is gone
    return render(
        request,
        "portal/account/assets/repay_online_pay.html",
        {
            "account_menu": account_menu(request.user, active="assets_credit"),
            "online": online,
            "bills": [
                {"number": b.number, "amount": format_money(b.amount, currency)}
                for b in online.bills.order_by("pk")
            ],
            "total": format_money(online.amount, currency),
            "start": start,
            "sandbox": online.provider == "sandbox",
            "back_url": _bills_page(currency),
        },
    )


@partner_view(methods=("POST",), allowed=can_view_assets)
def repay_online_complete(request: HttpRequest, reference: str) -> HttpResponse:
    """立即支付 with the development sandbox: signs the sandbox's notification and hands it
    to the verified handler. Refused unless the sandbox is the active provider."""
    online = _own_online_repayment(request, reference)
    if online.status == PaymentRecordStatus.PENDING:
        try:
            online = sandbox_settle(
                request,
                online,
                payload=repayment_online_payload,
                callback=repayment_online_callback,
            )
        except BillingError as exc:
            errors_to_messages(request, exc, joined=True)
            return redirect(_bills_page(online.account.currency))
    return _online_repayment_outcome(request, online)
