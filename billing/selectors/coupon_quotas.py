"""Reads of coupon quotas (优惠券额度) and their moves; portal callers pass the signed-in
company."""

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Coupon, CouponMove, CouponMoveKind, CouponQuota, CouponStatus


def _count(queryset: QuerySet, **outer) -> Coalesce:
    """A correlated count of ``queryset`` rows (``field=OuterRef(...)`` in ``outer``)."""
    counted = (
        queryset.filter(**outer)
        .order_by()
        .values(*outer.keys())
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def distributor_quotas(*, distributor_id: int, now=None) -> QuerySet[CouponQuota]:
    """The distributor's quotas, newest first, with ``available`` (unused, still the
    distributor's, not expired), ``used_by_reseller`` and ``held_unused`` (unused at its
    sub-resellers) counted in the same query."""
    now = now or timezone.now()
    at_distributor = Coupon.objects.filter(
        company_id=OuterRef("distributor_id"), status=CouponStatus.UNUSED
    )
    at_resellers = Coupon.objects.exclude(company_id=OuterRef("distributor_id"))
    return (
        CouponQuota.objects.filter(distributor_id=distributor_id)
        .select_related("campaign")
        .annotate(
            available=_count(at_distributor, quota=OuterRef("pk")),
            held_unused=_count(
                at_resellers.filter(status=CouponStatus.UNUSED), quota=OuterRef("pk")
            ),
            used_by_reseller=_count(
                at_resellers.filter(status=CouponStatus.USED), quota=OuterRef("pk")
            ),
            expired=ExpressionWrapper(
                Q(campaign__valid_until__isnull=False, campaign__valid_until__lte=now),
                output_field=BooleanField(),
            ),
        )
        .order_by("-issued_at", "-pk")
    )


def coupon_moves(*, company, kinds=(CouponMoveKind.HAND_OUT, CouponMoveKind.RECLAIM)):
    """The coupon moves ``company`` took part in (for a distributor: every move of its
    quotas), newest first, for the adjustment log (调整记录)."""
    return (
        CouponMove.objects.filter(
            Q(quota__distributor_id=company.pk)
            | Q(from_company_id=company.pk)
            | Q(to_company_id=company.pk),
            kind__in=kinds,
        )
        .select_related("coupon", "quota__campaign", "from_company", "to_company", "actor")
        .order_by("-created_at", "-pk")
    )


def quota_problems() -> list[dict]:
    """``check_ledgers``: each quota's counts equal its coupons and moves, and each of its
    coupons is owned by the company its last move gave it to."""
    quotas = CouponQuota.objects.annotate(
        coupons_n=_count(Coupon.objects.all(), quota=OuterRef("pk")),
        at_resellers=_count(
            Coupon.objects.exclude(company_id=OuterRef("distributor_id")), quota=OuterRef("pk")
        ),
        issued_n=_count(CouponMove.objects.filter(kind=CouponMoveKind.ISSUE), quota=OuterRef("pk")),
        out_n=_count(CouponMove.objects.filter(kind=CouponMoveKind.HAND_OUT), quota=OuterRef("pk")),
        back_n=_count(CouponMove.objects.filter(kind=CouponMoveKind.RECLAIM), quota=OuterRef("pk")),
    ).values(
        "pk", "quantity", "handed_out", "coupons_n", "at_resellers", "issued_n", "out_n", "back_n"
    )
    problems = [
        {"quota": row["pk"], **row}
        for row in quotas.iterator(chunk_size=2000)
        if not (
            row["quantity"] == row["coupons_n"] == row["issued_n"]
            and row["handed_out"] == row["at_resellers"] == row["out_n"] - row["back_n"]
        )
    ]
    last_owner = Subquery(
        CouponMove.objects.filter(coupon=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("to_company_id")[:1]
    )
    problems += [
        {"coupon": pk, "owner": owner, "last_move_to": moved_to}
        for pk, owner, moved_to in Coupon.objects.filter(quota__isnull=False)
        .annotate(moved_to=last_owner)
        .exclude(company_id=F("moved_to"))
        .values_list("pk", "company_id", "moved_to")
    ]
    return problems


def quota_holdings(*, quota: CouponQuota) -> list[dict]:
    """Per sub-reseller holding coupons of ``quota``: its unused, used and expired counts
    (one grouped query, whatever the number of sub-resellers)."""
    return list(
        Coupon.objects.filter(quota=quota)
        .exclude(company_id=quota.distributor_id)
        .values("company_id", "company__name")
        .annotate(
            unused=Count("pk", filter=Q(status=CouponStatus.UNUSED)),
            used=Count("pk", filter=Q(status=CouponStatus.USED)),
            expired=Count("pk", filter=Q(status=CouponStatus.EXPIRED)),
        )
        .order_by("company__name", "company_id")
    )
