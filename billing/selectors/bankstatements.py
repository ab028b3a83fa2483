"""Reads of the bank reconciliation: the open items a line may settle (as plain data for
``billing.bankfiles.matching``), the payer accounts each company paid from, the queues."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from billing.bankfiles.matching import Candidates, Kind, Target, normalise_name
from partners.models import Company

from ..models import (
    Bill,
    Payment,
    PaymentRecordStatus,
    Repayment,
    RepaymentBill,
    RepaymentStatus,
)
from ..models.bankstatements import BankLineStatus, BankStatementLine
from ..rules import OPEN_BILL_STATUSES
from .receipts import awaited_orders, awaited_payments, awaited_repayments, scope_filters


def unmatched_bank_lines() -> QuerySet[BankStatementLine]:
    """未匹配银行流水: lines no rule could match and finance has not decided yet."""
    return BankStatementLine.objects.filter(status=BankLineStatus.UNMATCHED)


def _payment_targets(currency: str | None, company_id: int | None) -> list[Target]:
    payments = awaited_payments(company_id=company_id, currency=currency).select_related(
        "order__company"
    )
    return [
        Target(
            kind=Kind.PAYMENT,
            ids=(p.pk,),
            company_id=p.order.company_id,
            amount=p.amount,
            currency=p.currency,
            label=f"{p.reference} · {p.order.number} · {p.order.company.name}",
            references=tuple(r for r in (p.reference, p.order.number, p.transfer_reference) if r),
        )
        for p in payments
    ]


def _order_targets(currency: str | None, company_id: int | None) -> list[Target]:
    """Unpaid offline orders the partner has not reported a transfer for."""
    orders = awaited_orders(company_id=company_id, currency=currency).select_related("company")
    return [
        Target(
            kind=Kind.ORDER,
            ids=(o.pk,),
            company_id=o.company_id,
            amount=o.amount_due,
            currency=o.currency,
            label=f"{o.number} · {o.company.name}",
            references=(o.number,),
        )
        for o in orders
    ]


def _repayment_targets(currency: str | None, company_id: int | None) -> list[Target]:
    repayments = (
        awaited_repayments(company_id=company_id, currency=currency)
        .select_related("account__company")
        .prefetch_related("bills")
    )
    targets = []
    for r in repayments:
        numbers = tuple(b.number for b in r.bills.all())
        targets.append(_account_target(Kind.REPAYMENT, [r], numbers, references=numbers))
    return targets


def _bill_targets(currency: str | None, company_id: int | None) -> list[Target]:
    """Open bills no repayment claims: each alone, and all of a company's together."""
    claimed = RepaymentBill.objects.filter(bill=OuterRef("pk"), active=True)
    bills = (
        Bill.objects.filter(
            status__in=OPEN_BILL_STATUSES,
            **scope_filters(
                company_id, currency, company="account__company_id", money="account__currency"
            ),
        )
        .exclude(Exists(claimed))
        .select_related("account__company")
        .order_by("account_id", "due_date", "pk")
    )
    by_account: dict[int, list[Bill]] = defaultdict(list)
    targets = []
    for bill in bills:
        by_account[bill.account_id].append(bill)
        targets.append(
            _account_target(Kind.BILLS, [bill], (bill.number,), references=(bill.number,))
        )
    for group in by_account.values():
        if len(group) > 1:
            targets.append(_account_target(Kind.BILLS, group, tuple(b.number for b in group)))
    return targets


def _account_target(
    kind: str, rows: list, numbers: tuple[str, ...], references: tuple[str, ...] = ()
) -> Target:
    """A target of ``rows`` (a repayment, a bill, or a company's bills together) on one
    credit account: their total, labelled "numbers · company"."""
    account = rows[0].account
    return Target(
        kind=kind,
        ids=tuple(row.pk for row in rows),
        company_id=account.company_id,
        amount=sum((row.amount for row in rows), Decimal("0")),
        currency=account.currency,
        label=f"{' + '.join(numbers)} · {account.company.name}",
        references=references,
    )


def open_targets(*, currency: str | None = None, company_id: int | None = None) -> list[Target]:
    """Every open item a bank credit may settle (of one company when ``company_id``)."""
    return [
        *_payment_targets(currency, company_id),
        *_order_targets(currency, company_id),
        *_repayment_targets(currency, company_id),
        *_bill_targets(currency, company_id),
    ]


def known_payer_accounts() -> dict[str, set[int]]:
    """payer account → the companies that paid from it before (payments, repayments,
    receipts finance posted)."""
    accounts: dict[str, set[int]] = defaultdict(set)
    rows = [
        *Payment.objects.exclude(payer_account="")
        .exclude(status=PaymentRecordStatus.REJECTED)
        .values_list("payer_account", "order__company_id"),
        *Repayment.objects.exclude(payer_account="")
        .exclude(status=RepaymentStatus.REJECTED)
        .values_list("payer_account", "account__company_id"),
        *_receipt_accounts(),
    ]
    for account, company_id in rows:
        accounts[account.replace(" ", "")].add(company_id)
    return dict(accounts)


def _receipt_accounts() -> list[tuple[str, int]]:
    from ..models import Receipt

    return list(
        Receipt.objects.exclude(payer_account="")
        .exclude(status="rejected")
        .values_list("payer_account", "company_id")
    )


def company_names() -> dict[str, set[int]]:
    names: dict[str, set[int]] = defaultdict(set)
    for pk, name in Company.objects.values_list("pk", "name"):
        names[normalise_name(name)].add(pk)
    return dict(names)


def match_candidates(*, currency: str | None = None) -> Candidates:
    return Candidates(
        targets=open_targets(currency=currency),
        accounts=known_payer_accounts(),
        names=company_names(),
    )
