"""Reads about repayments: the ``check_ledgers`` invariant of the settlement rule (a bill
has at most one settling repayment, and what settled it adds up)."""

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from backoffice.core.money import to_money

from ..models import (
    SETTLING_REPAYMENT_STATUSES,
    Bill,
    BillStatus,
    CreditEntry,
    Repayment,
    RepaymentBill,
    RepaymentStatus,
)
from . import ZERO

LIMIT = 100  # offending rows listed per problem


def _total(queryset, field: str) -> Subquery:
    """The sum of ``field`` over ``queryset`` (filtered on ``OuterRef``), 0 when empty."""
    return Coalesce(
        Subquery(queryset.values("repayment_id").annotate(total=Sum(field)).values("total")),
        ZERO,
    )


def repayment_settlement_problems() -> list[dict]:
    """Offending rows of the settlement rule; [] when it holds.

    * ``bill_settled_twice``: a bill with more than one confirmed repayment;
    * ``claim_out_of_step``: a claim active for a rejected repayment, or released for
      one under review or confirmed;
    * ``confirmed_on_open_bill``: a confirmed repayment whose bill is still open;
    * ``settled_without_repayment``: a settled bill with an amount but no confirmed
      repayment (a bill cancelled down to zero settles without one);
    * ``repayment_not_reconciled``: a confirmed repayment whose amount differs from its
      bills' total or from what it posted to the credit ledger.
    """
    confirmed = Q(claims__repayment__status=RepaymentStatus.CONFIRMED)
    settling = list(SETTLING_REPAYMENT_STATUSES)
    rows: list[dict] = []
    for problem, queryset, key in (
        (
            "bill_settled_twice",
            Bill.objects.annotate(n=Count("claims", filter=confirmed)).filter(n__gt=1),
            "bill",
        ),
        (
            "claim_out_of_step",
            RepaymentBill.objects.filter(
                Q(active=True) & ~Q(repayment__status__in=settling)
                | Q(active=False, repayment__status__in=settling)
            ),
            "claim",
        ),
        (
            "confirmed_on_open_bill",
            Bill.objects.filter(confirmed).exclude(status=BillStatus.SETTLED),
            "bill",
        ),
        (
            "settled_without_repayment",
            Bill.objects.filter(status=BillStatus.SETTLED, amount__gt=0).exclude(
                claims__repayment__status=RepaymentStatus.CONFIRMED
            ),
            "bill",
        ),
    ):
        rows += [
            {"problem": problem, key: pk}
            for pk in queryset.order_by("pk").values_list("pk", flat=True).distinct()[:LIMIT]
        ]
    repayments = Repayment.objects.filter(status=RepaymentStatus.CONFIRMED).annotate(
        bills_total=_total(RepaymentBill.objects.filter(repayment=OuterRef("pk")), "bill__amount"),
        posted=_total(CreditEntry.objects.filter(repayment=OuterRef("pk")), "amount"),
    )
    # The sums run in the database; compared as quantised Decimals here (SQLite sums
    # decimals in floating point).
    for pk, amount, bills_total, posted in repayments.values_list(
        "pk", "amount", "bills_total", "posted"
    ).iterator(chunk_size=5000):
        if not to_money(amount) == to_money(bills_total) == -to_money(posted):
            rows.append({"problem": "repayment_not_reconciled", "repayment": pk})
            if len(rows) >= 5 * LIMIT:
                break
    return rows
