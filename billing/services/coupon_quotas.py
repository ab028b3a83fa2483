"""Coupon quotas (优惠券额度): Blue Cloud issues a distributor a campaign's coupons; the
distributor hands them to its sub-resellers and reclaims the unused ones.

The quota's coupons are created when it is issued, owned by the distributor (not minted
on hand-out): every coupon exists from the start with its code, a coupon always has
exactly one owner (``Coupon.company``), the distributor may use or hand out any of them,
and the campaign's quantity is taken once, at issue. A move changes the owner of existing
coupons and appends one ``CouponMove`` per coupon.

Locks (``billing.locks``, level 4): the quota first, then its coupons in primary-key
order. The owner change is a conditional UPDATE (still unused, still the giver's), and
redemption's UPDATE re-checks the owner, so a reclaim racing a checkout never lets both
succeed. ``CouponQuota.handed_out`` (held by sub-resellers now) is changed under the
quota's lock and kept within the quantity by a CHECK constraint.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import locks
from billing.models import Coupon, CouponMove, CouponMoveKind, CouponQuota, CouponStatus
from billing.notices import coupons_moved_notify
from partners.models import Company, CompanyType
from partners.selectors import can_allocate

from .coupons import coupon_create
from .errors import BillingError


def _positive(count: int) -> None:
    if count is None or count <= 0:
        raise BillingError(_("Enter a number of coupons of at least 1."), code="count")


def _not_expired(quota: CouponQuota, now: datetime) -> None:
    valid_until = quota.campaign.valid_until
    if valid_until is not None and now >= valid_until:
        raise BillingError(_("This coupon quota has expired."), code="expired")


@transaction.atomic
def coupon_quota_issue(
    *,
    campaign_id: int,
    distributor_id: int,
    quantity: int,
    actor,
    reason: str = "",
    now: datetime | None = None,
) -> CouponQuota:
    """Staff: issue ``quantity`` coupons of the campaign to a distributor as a quota."""
    now = now or timezone.now()
    _positive(quantity)
    campaign = locks.lock_campaign(campaign_id)
    distributor = Company.objects.filter(
        pk=distributor_id, company_type=CompanyType.DISTRIBUTOR
    ).first()
    if distributor is None:
        raise BillingError(_("Coupon quotas are issued to distributors only."), code="company")
    if campaign.valid_until is not None and now >= campaign.valid_until:
        raise BillingError(_("This campaign has expired."), code="expired")
    issued = campaign.coupons.count()
    if issued + quantity > campaign.quantity:
        raise BillingError(
            _("Only %(left)d of %(quantity)d coupons are left in this campaign.")
            % {"left": max(campaign.quantity - issued, 0), "quantity": campaign.quantity},
            code="quantity",
        )
    quota = CouponQuota.objects.create(
        campaign=campaign,
        distributor=distributor,
        quantity=quantity,
        reason=reason,
        issued_by=actor,
        issued_at=now,
    )
    coupons = [
        coupon_create(campaign=campaign, company_id=distributor.pk, quota=quota)
        for _i in range(quantity)
    ]
    CouponMove.objects.bulk_create(
        CouponMove(
            quota=quota,
            coupon=coupon,
            kind=CouponMoveKind.ISSUE,
            to_company=distributor,
            handed_out_after=0,
            reason=reason,
            actor=actor,
            created_at=now,
        )
        for coupon in coupons
    )
    return quota


def _locked_quota_and_reseller(
    *, actor, quota_id: int, reseller_id: int, expected_handed_out: int | None
) -> tuple[CouponQuota, Company]:
    if not can_allocate(actor):
        raise BillingError(
            _("Only the distributor's administrator may hand out or reclaim coupons."),
            code="forbidden",
        )
    distributor_id = actor.company_id
    try:
        quota = locks.lock_coupon_quota(quota_id, distributor_id=distributor_id)
    except CouponQuota.DoesNotExist:
        raise BillingError(_("Coupon quota not found."), code="not_found") from None
    reseller = Company.objects.filter(pk=reseller_id, parent_id=distributor_id).first()
    if reseller is None:
        raise BillingError(_("Reseller not found."), code="not_found")
    if expected_handed_out is not None and quota.handed_out != expected_handed_out:
        raise BillingError(
            _(
                "The quota changed since you opened this page (coupons were handed out or "
                "reclaimed meanwhile). Check the figures and submit again."
            ),
            code="stale",
        )
    return quota, reseller


def _move(
    *,
    quota: CouponQuota,
    coupons: list[Coupon],
    kind: str,
    giver: Company,
    taker: Company,
    actor,
    reason: str,
    now: datetime,
) -> None:
    """Change the owner of ``coupons`` (locked, unused) and append their moves."""
    ids = [coupon.pk for coupon in coupons]
    moved = Coupon.objects.filter(
        pk__in=ids, quota=quota, company_id=giver.pk, status=CouponStatus.UNUSED
    ).update(company_id=taker.pk)
    if moved != len(ids):  # cannot happen under the locks; refuse rather than half-move
        raise BillingError(_("Some of these coupons were used meanwhile."), code="used")
    step = 1 if kind == CouponMoveKind.HAND_OUT else -1
    before = quota.handed_out
    quota.handed_out = before + step * len(ids)
    quota.save(update_fields=["handed_out"])
    CouponMove.objects.bulk_create(
        CouponMove(
            quota=quota,
            coupon_id=coupon_id,
            kind=kind,
            from_company=giver,
            to_company=taker,
            handed_out_after=before + step * (i + 1),
            reason=reason,
            actor=actor,
            created_at=now,
        )
        for i, coupon_id in enumerate(ids)
    )
    coupons_moved_notify(
        quota=quota,
        reseller=taker if kind == CouponMoveKind.HAND_OUT else giver,
        kind=kind,
        count=len(ids),
        reason=reason,
    )


def _transfer(
    *,
    kind: str,
    actor,
    quota_id: int,
    reseller_id: int,
    count: int,
    reason: str,
    expected_handed_out: int | None,
    now: datetime | None,
) -> list[Coupon]:
    now = now or timezone.now()
    _positive(count)
    quota, reseller = _locked_quota_and_reseller(
        actor=actor,
        quota_id=quota_id,
        reseller_id=reseller_id,
        expected_handed_out=expected_handed_out,
    )
    _not_expired(quota, now)
    hand_out = kind == CouponMoveKind.HAND_OUT
    giver, taker = (quota.distributor, reseller) if hand_out else (reseller, quota.distributor)
    coupons = locks.lock_quota_coupons(
        quota, limit=count, company_id=giver.pk, status=CouponStatus.UNUSED
    )
    if len(coupons) < count:
        if hand_out:
            message = _("Only %(left)d coupon(s) of this quota are available to hand out.") % {
                "left": len(coupons)
            }
        else:
            message = _("%(name)s holds only %(left)d unused coupon(s) of this quota.") % {
                "name": reseller.name,
                "left": len(coupons),
            }
        raise BillingError(message, code="quantity")
    _move(
        quota=quota,
        coupons=coupons,
        kind=kind,
        giver=giver,
        taker=taker,
        actor=actor,
        reason=reason,
        now=now,
    )
    return coupons


@transaction.atomic
def coupon_hand_out(
    *,
    actor,
    quota_id: int,
    reseller_id: int,
    count: int,
    reason: str = "",
    expected_handed_out: int | None = None,
    now: datetime | None = None,
) -> list[Coupon]:
    """The distributor's 管理员 hands ``count`` unused coupons of its quota to one of its
    own sub-resellers. ``expected_handed_out``: the figure the form showed (stale → error)."""
    return _transfer(
        kind=CouponMoveKind.HAND_OUT,
        actor=actor,
        quota_id=quota_id,
        reseller_id=reseller_id,
        count=count,
        reason=reason,
        expected_handed_out=expected_handed_out,
        now=now,
    )


@transaction.atomic
def coupon_reclaim(
    *,
    actor,
    quota_id: int,
    reseller_id: int,
    count: int,
    reason: str = "",
    expected_handed_out: int | None = None,
    now: datetime | None = None,
) -> list[Coupon]:
    """The distributor's 管理员 takes back ``count`` of its sub-reseller's unused coupons of
    the quota, before the quota expires."""
    return _transfer(
        kind=CouponMoveKind.RECLAIM,
        actor=actor,
        quota_id=quota_id,
        reseller_id=reseller_id,
        count=count,
        reason=reason,
        expected_handed_out=expected_handed_out,
        now=now,
    )
