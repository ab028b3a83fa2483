"""Coupons (优惠券): campaigns issued to companies or a tier, single-use redemption.

Redemption is one conditional UPDATE (unused → used) that also re-checks the
validity window, so concurrent checkouts cannot both use one coupon.
"""

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing import locks
from billing.models import Coupon, CouponCampaign, CouponStatus

from .errors import BillingError

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 8


@dataclass(frozen=True)
class CartLine:
    solution_id: int
    region: str
    currency: str
    amount: Decimal  # line total
    quantity: int


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def campaign_issue(*, campaign: CouponCampaign, company_ids: list[int], actor=None) -> list[Coupon]:
    """Issue one coupon of ``campaign`` to each company, within the campaign's quantity."""
    campaign = locks.lock_campaign(campaign.pk)
    company_ids = list(dict.fromkeys(company_ids))
    issued = campaign.coupons.count()
    if issued + len(company_ids) > campaign.quantity:
        raise BillingError(
            _("Only %(left)d of %(quantity)d coupons are left in this campaign.")
            % {"left": max(campaign.quantity - issued, 0), "quantity": campaign.quantity},
            code="quantity",
        )
    return [coupon_create(campaign=campaign, company_id=company_id) for company_id in company_ids]


def coupon_create(*, campaign: CouponCampaign, company_id: int, quota=None) -> Coupon:
    """One new coupon with a freshly drawn code (inside the caller's transaction, which
    holds the campaign's lock and has checked its quantity)."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    campaign=campaign, company_id=company_id, quota=quota, code=_new_code()
                )
        except IntegrityError:
            continue  # code collision: draw again
    raise BillingError(_("Could not draw a unique coupon code."), code="code")


def campaign_issue_to_tier(*, campaign: CouponCampaign, tier_id: int, actor=None) -> list[Coupon]:
    from partners.models import Company, CompanyStatus

    ids = list(
        Company.objects.filter(tier_id=tier_id, status=CompanyStatus.ENABLED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return campaign_issue(campaign=campaign, company_ids=ids, actor=actor)


def _valid_now(now: datetime) -> Q:
    return (Q(campaign__valid_from__isnull=True) | Q(campaign__valid_from__lte=now)) & (
        Q(campaign__valid_until__isnull=True) | Q(campaign__valid_until__gt=now)
    )


def coupon_eligible_lines(coupon: Coupon, lines: list[CartLine]) -> list[CartLine]:
    """The lines the coupon applies to: its currency, its solutions (all when it names
    none) and its region (any when blank). Its threshold and its discount count only these."""
    campaign = coupon.campaign
    solution_ids = {s.pk for s in campaign.solutions.all()}
    return [
        line
        for line in lines
        if line.currency == campaign.currency
        and (not solution_ids or line.solution_id in solution_ids)
        and (not campaign.region or line.region == campaign.region)
    ]


def _problem(coupon: Coupon, eligible: list[CartLine], now: datetime) -> str | None:
    campaign = coupon.campaign
    if coupon.status != CouponStatus.UNUSED:
        return _("This coupon was already used.")
    if campaign.valid_from and now < campaign.valid_from:
        return _("This coupon is not valid yet.")
    if campaign.valid_until and now >= campaign.valid_until:
        return _("This coupon has expired.")
    if not eligible:
        return _("This coupon does not apply to these solutions.")
    amount = sum((line.amount for line in eligible), Decimal("0"))
    quantity = sum(line.quantity for line in eligible)
    if amount < campaign.threshold_amount:
        return _("Usable from an order amount of %(threshold)s.") % {
            "threshold": format_money(campaign.threshold_amount, campaign.currency)
        }
    if quantity < campaign.min_quantity:
        return _("Usable from a quantity of %(quantity)d.") % {"quantity": campaign.min_quantity}
    return None


def _discount(coupon: Coupon, eligible: list[CartLine]) -> Decimal:
    eligible_total = sum((to_money(line.amount) for line in eligible), Decimal("0.00"))
    return min(to_money(coupon.campaign.face_value), eligible_total)


def coupon_problem(coupon: Coupon, lines: list[CartLine], now: datetime) -> str | None:
    """Why the coupon does not apply to these lines, or None when it does."""
    return _problem(coupon, coupon_eligible_lines(coupon, lines), now)


def coupon_discount(coupon: Coupon, lines: list[CartLine]) -> Decimal:
    """The face value, capped by the lines the coupon applies to: a ¥100 coupon for
    solution A on A ¥30 + B ¥500 takes ¥30 off, and never makes an amount negative."""
    return _discount(coupon, coupon_eligible_lines(coupon, lines))


def coupon_evaluate(
    coupon: Coupon, lines: list[CartLine], now: datetime
) -> tuple[str | None, Decimal]:
    """(``coupon_problem``, ``coupon_discount``) from one pass over the lines."""
    eligible = coupon_eligible_lines(coupon, lines)
    problem = _problem(coupon, eligible, now)
    return problem, Decimal("0.00") if problem else _discount(coupon, eligible)


def coupons_applicable(
    *, company_id: int, lines: list[CartLine], now: datetime | None = None
) -> list[Coupon]:
    """The company's unused, valid coupons that apply to the cart lines."""
    now = now or timezone.now()
    candidates = (
        Coupon.objects.filter(company_id=company_id, status=CouponStatus.UNUSED)
        .filter(_valid_now(now))
        .select_related("campaign")
        .prefetch_related("campaign__solutions")
        .order_by("-campaign__face_value", "campaign__valid_until", "pk")
    )
    return [c for c in candidates if coupon_problem(c, lines, now) is None]


@transaction.atomic
def coupon_redeem(
    *,
    coupon_id: int,
    company_id: int,
    order_number: str,
    lines: list[CartLine],
    now: datetime | None = None,
    coupon: Coupon | None = None,
) -> Coupon:
    """Use the coupon for an order. Single use, also under concurrent checkouts.

    ``coupon``: the coupon (with its campaign) that checkout's lock phase already locked
    (``billing.locks.lock_coupon``); without it, the coupon is read here (no lock: the
    conditional UPDATE below is what serialises redemptions).
    """
    now = now or timezone.now()
    if coupon is None:
        coupon = coupon_of_company(company_id=company_id, coupon_id=coupon_id)
    if coupon is None:
        raise BillingError(_("Coupon not found."), code="not_found")
    problem = coupon_problem(coupon, lines, now)
    if problem:
        raise BillingError(problem, code="not_applicable")
    # One UPDATE on the coupon's own columns. (A filter through the campaign would
    # make Django emit ``WHERE id IN (subquery)``, which PostgreSQL does not re-check
    # after waiting for the row lock: several concurrent redemptions would pass.)
    # ``company_id`` too: a distributor reclaiming the coupon meanwhile (``coupon_reclaim``)
    # changed its owner, and then this redemption must fail.
    updated = Coupon.objects.filter(
        pk=coupon.pk, company_id=company_id, status=CouponStatus.UNUSED
    ).update(status=CouponStatus.USED, order_number=order_number, used_at=now)
    if updated != 1:
        raise BillingError(_("This coupon was already used."), code="used")
    coupon.status, coupon.order_number, coupon.used_at = CouponStatus.USED, order_number, now
    return coupon


def coupon_of_company(*, company_id: int, coupon_id: int) -> Coupon | None:
    """The company's coupon with its campaign and the campaign's solutions (no lock)."""
    return (
        Coupon.objects.select_related("campaign")
        .prefetch_related("campaign__solutions")
        .filter(pk=coupon_id, company_id=company_id)
        .first()
    )


@transaction.atomic
def coupon_restore(*, coupon_id: int, order_number: str, now: datetime | None = None) -> Coupon:
    """Order cancelled: the coupon returns to unused, or to expired when past its validity."""
    now = now or timezone.now()
    coupon = locks.lock_coupon_to_restore(coupon_id)
    if coupon.status != CouponStatus.USED or coupon.order_number != order_number:
        return coupon  # already restored, or used by another order: nothing to do
    expired = coupon.campaign.valid_until is not None and now >= coupon.campaign.valid_until
    coupon.status = CouponStatus.EXPIRED if expired else CouponStatus.UNUSED
    coupon.order_number = ""
    coupon.used_at = None
    coupon.save(update_fields=["status", "order_number", "used_at"])
    return coupon


def coupons_expire(*, now: datetime | None = None) -> int:
    """Scheduled: unused coupons past their validity become expired. Idempotent."""
    now = now or timezone.now()
    return Coupon.objects.filter(
        status=CouponStatus.UNUSED,
        campaign__valid_until__isnull=False,
        campaign__valid_until__lte=now,
    ).update(status=CouponStatus.EXPIRED)
