"""Coupon quotas under real concurrency (PostgreSQL): the quota's lock and the conditional
owner change keep every coupon with one owner and redemption single-use."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.models import Coupon, CouponStatus
from billing.services import coupons
from billing.services.coupon_quotas import coupon_hand_out, coupon_reclaim
from billing.services.errors import BillingError
from tests.billing.coupon_quota_helpers import Distribution
from tests.billing.test_concurrency import run_parallel
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LINES = [
    coupons.CartLine(solution_id=1, region="cn", currency="CNY", amount=Decimal("500"), quantity=1)
]


def test_30_concurrent_hand_outs_of_the_last_coupon_succeed_once():
    world = Distribution(subs=3, quantity=3)
    coupon_hand_out(
        actor=world.admin, quota_id=world.quota.pk, reseller_id=world.reseller.pk, count=2
    )

    def hand_out(i):
        coupon_hand_out(
            actor=world.admin,
            quota_id=world.quota.pk,
            reseller_id=world.resellers[i % 3].pk,
            count=1,
        )

    outcomes = run_parallel(30, hand_out)
    assert outcomes == Counter({"ok": 1, "refused": 29})
    assert world.refresh().handed_out == 3
    assert not Coupon.objects.filter(quota=world.quota, company=world.distributor).exists()
    call_command("check_ledgers")  # raises on any mismatch


@pytest.mark.parametrize("round_", range(5))
def test_a_redemption_racing_a_reclaim_never_both_succeed(round_):
    world = Distribution(quantity=1)
    coupon = coupon_hand_out(
        actor=world.admin, quota_id=world.quota.pk, reseller_id=world.reseller.pk, count=1
    )[0]
    results = {}

    def redeem():
        try:
            coupons.coupon_redeem(
                coupon_id=coupon.pk,
                company_id=world.reseller.pk,
                order_number=f"O{round_}",
                lines=LINES,
            )
            results["redeem"] = "ok"
        except BillingError:
            results["redeem"] = "refused"

    def reclaim():
        try:
            coupon_reclaim(
                actor=world.admin,
                quota_id=world.quota.pk,
                reseller_id=world.reseller.pk,
                count=1,
            )
            results["reclaim"] = "ok"
        except BillingError:
            results["reclaim"] = "refused"

    assert run_together(redeem, reclaim) == []
    assert sorted(results.values()) == ["ok", "refused"], results
    coupon.refresh_from_db()
    if results["redeem"] == "ok":
        assert (coupon.status, coupon.company_id) == (CouponStatus.USED, world.reseller.pk)
    else:
        assert (coupon.status, coupon.company_id) == (CouponStatus.UNUSED, world.distributor.pk)
    call_command("check_ledgers")
