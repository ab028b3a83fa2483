"""The 我的资产 demo loader: the manual's figures, idempotent, ledgers consistent."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import (
    Bill,
    BillStatus,
    Coupon,
    CouponCampaign,
    CouponStatus,
    CreditAccount,
    CreditEntry,
    CreditLimitChange,
    RebateEntry,
    RebateWallet,
    Repayment,
    RepaymentStatus,
)
from fixtures.assets_demo import load_assets
from fixtures.demo import load_partners, load_staff
from partners.models import User

pytestmark = pytest.mark.django_db

MODELS = (
    RebateEntry,
    CreditEntry,
    CreditLimitChange,
    Bill,
    Repayment,
    CouponCampaign,
    Coupon,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def demo():
    load_staff()
    load_partners()
    return load_assets()


def test_demo_assets_match_the_manual_and_load_once(demo):
    assert demo > 0
    first = counts()
    assert load_assets() == 0
    assert counts() == first
    call_command("check_ledgers")

    rebate = RebateWallet.objects.get(company__name="TestCompany-A", currency="CNY")
    assert rebate.balance == Decimal("41.25")
    distributor = CreditAccount.objects.get(company__name="BlueCloud_D", currency="CNY")
    assert (distributor.credit_limit, distributor.term_days) == (Decimal("1500.00"), 365)
    assert distributor.used == Decimal("300.00")
    reseller = CreditAccount.objects.get(company__name="TestCompany-A", currency="CNY")
    assert (reseller.credit_limit, reseller.term_days) == (Decimal("1000.00"), 30)
    assert reseller.used == Decimal("50.50")

    bill = Bill.objects.get()
    assert bill.account == distributor and bill.amount == Decimal("300.00")
    assert bill.status == BillStatus.PENDING
    repayment = Repayment.objects.get()
    assert repayment.status == RepaymentStatus.SUBMITTED
    assert list(repayment.bills.all()) == [bill]

    held = dict(
        Coupon.objects.filter(company__name="TestCompany-A", quota__isnull=True).values_list(
            "campaign__name", "status"
        )
    )
    assert held == {"双十一促销": CouponStatus.UNUSED, "10.1促销": CouponStatus.EXPIRED}


def test_demo_pages_show_the_figures(client, demo):
    client.force_login(User.objects.get(email="reseller@example.com"))
    html = client.get(reverse("portal:assets_rebate"), {"period": "6m"}).content.decode()
    assert "¥41.25" in html and "202002050845362237" in html
    coupons = client.get(reverse("portal:assets_coupons"), {"tab": "expired"}).content.decode()
    assert "10.1促销" in coupons and "2019-10-01 08:00 至 2019-10-07 08:00" in coupons

    client.force_login(User.objects.get(email="distributor@example.com"))
    credit = client.get(reverse("portal:assets_credit")).content.decode()
    assert 'data-card="limit">¥1,500.00<' in credit
    assert 'data-card="available">¥1,200.00<' in credit
    assert 'data-card="pending">¥300.00<' in credit
    bills = client.get(reverse("portal:assets_credit"), {"tab": "bills"}).content.decode()
    assert "data-under-review" in bills
