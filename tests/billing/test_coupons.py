"""Coupon rules at their boundaries (threshold, quantity, validity in Asia/Shanghai)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.models import Coupon, CouponStatus
from billing.services import coupons
from billing.services.errors import BillingError
from tests.billing.factories import CouponCampaignFactory
from tests.billing.helpers import make_company
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def line(amount: str, quantity: int = 1, currency: str = "CNY") -> coupons.CartLine:
    return coupons.CartLine(
        solution_id=1, region="cn", currency=currency, amount=Decimal(amount), quantity=quantity
    )


def issue(**campaign_fields) -> Coupon:
    staff = UserFactory(is_staff=True)
    fields = {
        "name": "满减",
        "face_value": "10",
        "threshold_amount": "100.00",
        "quantity": 5,
        **campaign_fields,
    }
    campaign = CouponCampaignFactory(created_by=staff, **fields)
    return coupons.campaign_issue(campaign=campaign, company_ids=[make_company().pk])[0]


def test_threshold_minus_one_cent_is_refused_and_exactly_the_threshold_accepted():
    coupon = issue()
    with pytest.raises(BillingError, match="100.00"):
        coupons.coupon_redeem(
            coupon_id=coupon.pk,
            company_id=coupon.company_id,
            order_number="o1",
            lines=[line("99.99")],
        )
    assert Coupon.objects.get(pk=coupon.pk).status == CouponStatus.UNUSED
    used = coupons.coupon_redeem(
        coupon_id=coupon.pk, company_id=coupon.company_id, order_number="o1", lines=[line("100.00")]
    )
    assert used.status == CouponStatus.USED and used.order_number == "o1"


def test_minimum_quantity_and_currency():
    coupon = issue(threshold_amount="0", min_quantity=3)
    assert coupons.coupon_problem(coupon, [line("50", quantity=2)], datetime.now(SHANGHAI))
    assert coupons.coupon_problem(
        coupon, [line("50", quantity=3, currency="USD")], datetime.now(SHANGHAI)
    )
    assert coupons.coupon_problem(coupon, [line("50", quantity=3)], datetime.now(SHANGHAI)) is None


def test_validity_ends_at_the_stated_local_time():
    end = datetime(2026, 10, 7, 8, 0, 0, tzinfo=SHANGHAI)
    coupon = issue(
        threshold_amount="0",
        valid_from=datetime(2026, 10, 1, 8, 0, tzinfo=SHANGHAI),
        valid_until=end,
    )
    just_before = datetime(2026, 10, 7, 7, 59, 59, tzinfo=SHANGHAI)
    assert coupons.coupon_problem(coupon, [line("1")], just_before) is None
    assert coupons.coupon_problem(coupon, [line("1")], end) is not None
    assert coupons.coupons_applicable(
        company_id=coupon.company_id, lines=[line("1")], now=just_before
    ) == [coupon]
    assert (
        coupons.coupons_applicable(company_id=coupon.company_id, lines=[line("1")], now=end) == []
    )


def test_expiry_job_twice_is_one_run_and_restore_after_expiry_gives_expired():
    end = datetime(2026, 10, 7, 8, 0, 0, tzinfo=SHANGHAI)
    coupon = issue(threshold_amount="0", valid_until=end)
    other = issue(threshold_amount="0", valid_until=end)
    coupons.coupon_redeem(
        coupon_id=other.pk,
        company_id=other.company_id,
        order_number="o9",
        lines=[line("5")],
        now=datetime(2026, 10, 6, tzinfo=SHANGHAI),
    )
    assert coupons.coupons_expire(now=end) == 1
    assert coupons.coupons_expire(now=end) == 0
    assert Coupon.objects.get(pk=coupon.pk).status == CouponStatus.EXPIRED
    restored = coupons.coupon_restore(coupon_id=other.pk, order_number="o9", now=end)
    assert restored.status == CouponStatus.EXPIRED


def test_quantity_of_a_campaign_is_a_hard_limit_and_codes_are_unique():
    staff = UserFactory(is_staff=True)
    campaign = CouponCampaignFactory(
        name="10.1促销", face_value="1", threshold_amount="0", quantity=3, created_by=staff
    )
    companies = [make_company().pk for _ in range(4)]
    with pytest.raises(BillingError):
        coupons.campaign_issue(campaign=campaign, company_ids=companies)
    issued = coupons.campaign_issue(campaign=campaign, company_ids=companies[:3])
    codes = [c.code for c in issued]
    assert len(set(codes)) == 3 and all(
        len(c) == 8 and c.isalnum() and c.upper() == c for c in codes
    )
