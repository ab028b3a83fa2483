"""Coupon quotas: issue, hand-out, reclaim; their refusals change nothing; check_ledgers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.core.models import Notification, OutboundEmail
from billing.models import Coupon, CouponMove, CouponMoveKind, CouponQuota, CouponStatus
from billing.selectors.coupon_quotas import coupon_moves, quota_problems
from billing.services import coupons
from billing.services.coupon_quotas import coupon_hand_out, coupon_quota_issue, coupon_reclaim
from billing.services.errors import BillingError
from tests.billing.coupon_quota_helpers import Distribution, make_distribution_company

pytestmark = pytest.mark.django_db

LINES = [
    coupons.CartLine(solution_id=1, region="cn", currency="CNY", amount=Decimal("500"), quantity=1)
]


def hand_out(world, count=1, reseller=None, **kwargs):
    return _quota_move(coupon_hand_out, world, count, reseller, **kwargs)


def reclaim(world, count=1, reseller=None, **kwargs):
    return _quota_move(coupon_reclaim, world, count, reseller, **kwargs)


def _quota_move(service, world, count, reseller, *, actor=None, **kwargs):
    """``coupon_hand_out``/``coupon_reclaim`` of the world's quota, by its distributor's
    admin for its reseller unless ``actor``/``reseller`` say otherwise."""
    return service(
        actor=actor or world.admin,
        quota_id=world.quota.pk,
        reseller_id=(reseller or world.reseller).pk,
        count=count,
        **kwargs,
    )


def snapshot(world):
    return (
        list(Coupon.objects.filter(quota=world.quota).values_list("pk", "company_id", "status")),
        CouponMove.objects.count(),
        CouponQuota.objects.get(pk=world.quota.pk).handed_out,
    )


def test_issue_creates_the_coupons_for_the_distributor_with_one_move_each():
    world = Distribution(quantity=5)
    held = Coupon.objects.filter(quota=world.quota)
    assert held.count() == 5 and set(held.values_list("company_id", flat=True)) == {
        world.distributor.pk
    }
    moves = CouponMove.objects.filter(quota=world.quota)
    assert moves.count() == 5 and {m.kind for m in moves} == {CouponMoveKind.ISSUE}
    assert quota_problems() == []


def test_issue_only_to_a_distributor_and_within_the_campaign():
    world = Distribution(quantity=5)
    with pytest.raises(BillingError):
        coupon_quota_issue(
            campaign_id=world.campaign.pk,
            distributor_id=world.reseller.pk,
            quantity=1,
            actor=world.staff,
        )
    with pytest.raises(BillingError) as refused:
        coupon_quota_issue(
            campaign_id=world.campaign.pk,
            distributor_id=world.distributor.pk,
            quantity=96,
            actor=world.staff,
        )
    assert refused.value.code == "quantity"
    for bad in (0, -3):
        with pytest.raises(BillingError):
            coupon_quota_issue(
                campaign_id=world.campaign.pk,
                distributor_id=world.distributor.pk,
                quantity=bad,
                actor=world.staff,
            )
    assert CouponQuota.objects.count() == 1


def test_hand_out_and_reclaim_move_the_owner_and_log_each_coupon():
    world = Distribution(quantity=5)
    mails_before = OutboundEmail.objects.count()
    moved = hand_out(world, count=3, reason="promo")
    assert {c.pk for c in Coupon.objects.filter(company=world.reseller)} == {c.pk for c in moved}
    assert world.refresh().handed_out == 3
    out = CouponMove.objects.filter(kind=CouponMoveKind.HAND_OUT).order_by("pk")
    assert [m.handed_out_after for m in out] == [1, 2, 3]
    assert {(m.from_company_id, m.to_company_id, m.actor_id, m.reason) for m in out} == {
        (world.distributor.pk, world.reseller.pk, world.admin.pk, "promo")
    }
    # the sub-reseller is told, by a notice and a mail through the outbox
    assert Notification.objects.filter(
        kind="coupons_handed_out", recipient=world.reseller_admins[0]
    ).exists()
    assert OutboundEmail.objects.count() > mails_before

    reclaim(world, count=2)
    assert world.refresh().handed_out == 1
    assert Coupon.objects.filter(company=world.reseller).count() == 1
    assert Notification.objects.filter(kind="coupons_reclaimed").exists()
    assert quota_problems() == []
    assert coupon_moves(company=world.distributor).count() == 5
    assert coupon_moves(company=world.reseller).count() == 5
    call_command("check_ledgers")


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(lambda w: hand_out(w, count=6), id="over-quota"),
        pytest.param(lambda w: hand_out(w, count=0), id="zero"),
        pytest.param(lambda w: hand_out(w, count=-1), id="negative"),
        pytest.param(lambda w: hand_out(w, expected_handed_out=4), id="stale"),
        pytest.param(lambda w: reclaim(w, count=3), id="reclaim-more-than-held"),
        pytest.param(lambda w: hand_out(w, actor=w.co_admin), id="co-admin"),
        pytest.param(lambda w: hand_out(w, actor=w.reseller_admins[0]), id="sub-reseller"),
        pytest.param(
            lambda w: hand_out(w, reseller=make_distribution_company()), id="foreign-reseller"
        ),
        pytest.param(lambda w: hand_out(w, reseller=w.distributor), id="to-itself"),
    ],
)
def test_refusals_change_nothing(attempt):
    world = Distribution(quantity=5)
    hand_out(world, count=2)
    before = snapshot(world)
    mails = OutboundEmail.objects.count()
    with pytest.raises(BillingError):
        attempt(world)
    assert snapshot(world) == before
    assert OutboundEmail.objects.count() == mails


def test_another_distributors_quota_is_not_found():
    world, other = Distribution(), Distribution()
    with pytest.raises(BillingError) as refused:
        coupon_hand_out(
            actor=other.admin, quota_id=world.quota.pk, reseller_id=other.reseller.pk, count=1
        )
    assert refused.value.code == "not_found"


def test_used_or_expired_coupons_are_not_moved():
    world = Distribution(quantity=2)
    hand_out(world, count=2)
    used = Coupon.objects.filter(company=world.reseller).first()
    coupons.coupon_redeem(
        coupon_id=used.pk, company_id=world.reseller.pk, order_number="O1", lines=LINES
    )
    with pytest.raises(BillingError):
        reclaim(world, count=2)
    reclaim(world, count=1)  # the unused one
    assert Coupon.objects.get(pk=used.pk).company_id == world.reseller.pk
    # once the campaign has ended, neither hand-out nor reclaim
    world.campaign.valid_until = timezone.now() - timedelta(minutes=1)
    world.campaign.valid_from = timezone.now() - timedelta(days=1)
    world.campaign.save()
    with pytest.raises(BillingError) as refused:
        hand_out(world)
    assert refused.value.code == "expired"
    assert quota_problems() == []


def test_redemption_rechecks_the_owner():
    """A checkout that read the coupon before a reclaim moved it cannot use it after."""
    world = Distribution(quantity=1)
    coupon = hand_out(world)[0]
    stale = coupons.coupon_of_company(company_id=world.reseller.pk, coupon_id=coupon.pk)
    reclaim(world)
    with pytest.raises(BillingError):
        coupons.coupon_redeem(
            coupon_id=coupon.pk,
            company_id=world.reseller.pk,
            order_number="O1",
            lines=LINES,
            coupon=stale,
        )
    assert Coupon.objects.get(pk=coupon.pk).status == CouponStatus.UNUSED


def test_the_database_keeps_handed_out_within_the_quota():
    world = Distribution(quantity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponQuota.objects.filter(pk=world.quota.pk).update(handed_out=3)


def test_check_ledgers_finds_a_count_or_owner_that_moves_do_not_explain():
    world = Distribution(quantity=3)
    hand_out(world, count=1)
    Coupon.objects.filter(quota=world.quota, company=world.distributor).update(
        company=world.resellers[1]
    )  # moved behind the services' back
    problems = quota_problems()
    assert problems and any("coupon" in row for row in problems)
