"""我的资产 (scope ``assets:read``), the key's own company: rebate wallet balance and
entries, coupons, the credit line and its bills, through ``billing.selectors``."""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from billing import selectors
from billing.models import CouponStatus, Currency
from partners.models import ApiScope

from .auth import scoped
from .pagination import page_of

router = Router(tags=["assets"], auth=scoped(ApiScope.ASSETS_READ))


class WalletOut(Schema):
    currency: str
    balance: Decimal


class EntryOut(Schema):
    number: str
    entry_type: str
    amount: Decimal
    created_at: datetime


class RebateEntryOut(EntryOut):
    balance_after: Decimal


class CreditEntryOut(EntryOut):
    used_after: Decimal
    available_after: Decimal


class RebateEntryPage(Schema):
    items: list[RebateEntryOut]
    next_cursor: str | None


class CreditEntryPage(Schema):
    items: list[CreditEntryOut]
    next_cursor: str | None


class CouponOut(Schema):
    code: str
    status: str
    campaign: str
    amount: Decimal | None = None
    currency: str | None = None
    valid_until: datetime | None = None
    order_number: str
    issued_at: datetime
    used_at: datetime | None

    @staticmethod
    def resolve_campaign(obj):
        return obj.campaign.name

    @staticmethod
    def resolve_amount(obj):
        return obj.campaign.face_value

    @staticmethod
    def resolve_currency(obj):
        return obj.campaign.currency

    @staticmethod
    def resolve_valid_until(obj):
        return obj.campaign.valid_until


class CouponPage(Schema):
    items: list[CouponOut]
    next_cursor: str | None


class CreditOut(Schema):
    currency: str
    credit_limit: Decimal
    used: Decimal
    available: Decimal
    term_days: int
    pending_bills: Decimal
    unbilled: Decimal


class BillOut(Schema):
    number: str
    period_start: date
    period_end: date
    amount: Decimal
    due_date: date
    status: str
    settled_at: datetime | None
    created_at: datetime


class BillPage(Schema):
    items: list[BillOut]
    next_cursor: str | None


def _company_id(request: HttpRequest) -> int:
    return request.user.company_id


@router.get("/wallet", response=WalletOut)
def wallet(request: HttpRequest, currency: Currency = Currency.CNY):
    found = selectors.wallet_of(company_id=_company_id(request), currency=currency)
    return {"currency": currency, "balance": found.balance if found else Decimal("0")}


@router.get("/wallet/entries", response=RebateEntryPage)
def wallet_entries(
    request: HttpRequest,
    currency: Currency = Currency.CNY,
    cursor: str | None = None,
    limit: int = 20,
):
    queryset = selectors.wallet_entries(company_id=_company_id(request), currency=currency)
    return page_of(queryset, cursor=cursor, limit=limit)


@router.get("/coupons", response=CouponPage)
def coupons(
    request: HttpRequest,
    status: CouponStatus = CouponStatus.UNUSED,
    cursor: str | None = None,
    limit: int = 20,
):
    queryset = selectors.coupons_by_status(company_id=_company_id(request), status=status)
    return page_of(queryset, cursor=cursor, limit=limit, field="issued_at")


@router.get("/credit", response=CreditOut)
def credit(request: HttpRequest, currency: Currency = Currency.CNY):
    summary = selectors.credit_overview(company_id=_company_id(request), currency=currency)
    if summary is None:
        raise Http404
    account = summary["account"]
    return {
        "currency": account.currency,
        "credit_limit": account.credit_limit,
        "used": account.used,
        "available": account.available,
        "term_days": account.term_days,
        "pending_bills": summary["pending_bills"],
        "unbilled": summary["unbilled"],
    }


@router.get("/credit/entries", response=CreditEntryPage)
def credit_entries(
    request: HttpRequest,
    currency: Currency = Currency.CNY,
    cursor: str | None = None,
    limit: int = 20,
):
    queryset = selectors.credit_entries(company_id=_company_id(request), currency=currency)
    return page_of(queryset, cursor=cursor, limit=limit)


@router.get("/bills", response=BillPage)
def bills(
    request: HttpRequest,
    currency: Currency = Currency.CNY,
    cursor: str | None = None,
    limit: int = 20,
):
    queryset = selectors.company_bills(company_id=_company_id(request), currency=currency)
    return page_of(queryset, cursor=cursor, limit=limit)
