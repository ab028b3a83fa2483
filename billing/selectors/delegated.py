"""Reads of two-tier distribution: a distributor's sub-resellers with their delegated
credit, the adjustment log (调整记录), a sub-reseller's delegated lines, and the
``check_ledgers`` invariants (README "Two-tier distribution")."""

from collections.abc import Callable
from decimal import Decimal

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from backoffice.core.money import format_money
from billing.models import (
    LIMIT_TYPES,
    Coupon,
    CouponMove,
    CouponMoveKind,
    CouponStatus,
    CreditAccount,
    DelegatedCreditEntry,
    DelegatedCreditLine,
)

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=18, decimal_places=2))


def sub_resellers_with_credit(*, distributor_id: int, currency: str):
    """The distributor's sub-resellers, each annotated with its delegated line in
    ``currency`` (``allocated``, ``used``, ``available``) and ``coupons_held`` (its unused
    coupons), in one query whatever their number."""
    from partners.models import Company

    lines = DelegatedCreditLine.objects.filter(reseller=OuterRef("pk"), currency=currency)
    coupons = (
        Coupon.objects.filter(company=OuterRef("pk"), status=CouponStatus.UNUSED)
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Company.objects.filter(parent_id=distributor_id)
        .annotate(
            allocated=Coalesce(Subquery(lines.values("credit_limit")[:1]), ZERO),
            used=Coalesce(Subquery(lines.values("used")[:1]), ZERO),
            coupons_held=Coalesce(Subquery(coupons[:1], output_field=IntegerField()), Value(0)),
        )
        .annotate(available=F("allocated") - F("used"))
        .order_by("name", "pk")
    )


def delegated_lines_of(*, reseller_id: int):
    """A sub-reseller's delegated lines (我的资产), with the distributor as their source."""
    return DelegatedCreditLine.objects.filter(
        reseller_id=reseller_id, credit_limit__gt=0
    ).select_related("distributor")


# --------------------------------------------------------------------------
# 调整记录: rows from several sources (credit here; coupon moves join by adding a source)
# --------------------------------------------------------------------------


def _credit_rows(*, distributor_id: int, reseller_id: int | None, limit: int) -> list[dict]:
    qs = DelegatedCreditEntry.objects.filter(line__distributor_id=distributor_id)
    if reseller_id is not None:
        qs = qs.filter(line__reseller_id=reseller_id)
    rows = []
    for e in qs.select_related("line__reseller", "actor").order_by("-created_at", "-pk")[:limit]:
        limit_move = e.entry_type in LIMIT_TYPES
        before, after = (
            (e.limit_before, e.limit_after) if limit_move else (e.used_before, e.used_after)
        )
        rows.append(
            {
                "kind": "credit",
                "at": e.created_at,
                "number": e.number,
                "reseller": e.line.reseller.name,
                "reseller_id": e.line.reseller_id,
                "what": e.get_entry_type_display(),
                "amount": format_money(e.amount, e.line.currency),
                "measure": "allocated" if limit_move else "used",
                "before": format_money(before, e.line.currency),
                "after": format_money(after, e.line.currency),
                "actor": (e.actor.get_full_name() if e.actor else ""),
                "reason": e.reason,
                "order_number": e.order_number,
            }
        )
    return rows


def _coupon_rows(*, distributor_id: int, reseller_id: int | None, limit: int) -> list[dict]:
    """Hand-outs and reclaims of the distributor's coupon quotas (优惠券额度); before and
    after name the coupon's holder."""
    qs = CouponMove.objects.filter(
        quota__distributor_id=distributor_id,
        kind__in=(CouponMoveKind.HAND_OUT, CouponMoveKind.RECLAIM),
    )
    if reseller_id is not None:
        qs = qs.filter(Q(to_company_id=reseller_id) | Q(from_company_id=reseller_id))
    qs = qs.select_related(
        "coupon", "quota__campaign", "from_company", "to_company", "actor"
    ).order_by("-created_at", "-pk")
    rows = []
    for move in qs[:limit]:
        reseller = move.to_company if move.kind == CouponMoveKind.HAND_OUT else move.from_company
        campaign = move.quota.campaign
        rows.append(
            {
                "kind": "coupon",
                "at": move.created_at,
                "number": move.coupon.code,
                "reseller": reseller.name if reseller else "",
                "reseller_id": reseller.pk if reseller else None,
                "what": f"{move.get_kind_display()} · {campaign.name}",
                "amount": format_money(campaign.face_value, campaign.currency),
                "measure": "holder",
                "before": move.from_company.name if move.from_company else "",
                "after": move.to_company.name if move.to_company else "",
                "actor": (move.actor.get_full_name() if move.actor else ""),
                "reason": move.reason,
                "order_number": "",
            }
        )
    return rows


#: Each source returns up to ``limit`` newest rows as dicts with the keys above.
ADJUSTMENT_SOURCES: list[Callable[..., list[dict]]] = [_credit_rows, _coupon_rows]


def adjustment_log(
    *, distributor_id: int, reseller_id: int | None = None, limit: int = 200
) -> list[dict]:
    """调整记录: the newest ``limit`` moves of every source, newest first."""
    rows = [
        row
        for source in ADJUSTMENT_SOURCES
        for row in source(distributor_id=distributor_id, reseller_id=reseller_id, limit=limit)
    ]
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows[:limit]


# --------------------------------------------------------------------------
# check_ledgers
# --------------------------------------------------------------------------


def delegated_mismatches() -> dict[str, list]:
    """Every line equals the sum of its entries (limit: allocate/reclaim; used: charge/
    release); every distributor's totals equal the sum of its lines; and its allocations
    plus its own use never exceed its line."""
    lines = DelegatedCreditLine.objects.annotate(
        limit_sum=Coalesce(
            Sum("entries__amount", filter=Q(entries__entry_type__in=LIMIT_TYPES)), ZERO
        ),
        used_sum=Coalesce(
            Sum("entries__amount", filter=~Q(entries__entry_type__in=LIMIT_TYPES)), ZERO
        ),
    )
    line_rows = [
        {
            "line": line.pk,
            "limit": line.credit_limit,
            "entries_limit": line.limit_sum,
            "used": line.used,
            "entries_used": line.used_sum,
        }
        for line in lines
        if line.credit_limit != line.limit_sum or line.used != line.used_sum
    ]
    totals = (
        DelegatedCreditLine.objects.filter(
            distributor_id=OuterRef("company_id"), currency=OuterRef("currency")
        )
        .order_by()
        .values("distributor_id")
    )
    accounts = CreditAccount.objects.annotate(
        lines_limit=Coalesce(
            Subquery(totals.annotate(t=Sum("credit_limit")).values("t")[:1]), ZERO
        ),
        lines_used=Coalesce(Subquery(totals.annotate(t=Sum("used")).values("t")[:1]), ZERO),
    )
    total_rows = [
        {
            "account": a.pk,
            "delegated_limit": a.delegated_limit,
            "lines_limit": a.lines_limit,
            "delegated_used": a.delegated_used,
            "lines_used": a.lines_used,
        }
        for a in accounts.filter(
            ~Q(delegated_limit=F("lines_limit")) | ~Q(delegated_used=F("lines_used"))
        )
    ]
    over = list(
        CreditAccount.objects.filter(
            used__gt=F("credit_limit") - F("delegated_limit") + F("delegated_used")
        ).values("pk")
    )
    return {
        "delegated_line_mismatches": line_rows,
        "delegated_total_mismatches": total_rows,
        "distributor_over_allocated": over,
    }
