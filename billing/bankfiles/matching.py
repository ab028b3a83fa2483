"""Auto-matching of a bank credit line, on plain data (the selectors load the candidates).

In this order, the first rule that finds anything decides:

1. **reference** (high confidence): a number the portal shows the partner is in the memo:
   an offline payment's ``DD…`` payment order no. or its 参考号, an order number, a
   ``ZD…`` bill number;
2. **payer account** (medium): the payer account is one a company paid from before (or
   registered), and one open item of that company has exactly the line's amount;
3. **payer name** (low): the payer name is a company's name, and one open item of that
   company has exactly the amount.

One candidate is the proposal. Several (two pending payments of the same amount, two
companies sharing an account) leave the line unmatched with a note naming them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _


class Kind:
    PAYMENT = "payment"
    REPAYMENT = "repayment"
    BILLS = "bills"
    ORDER = "order"


@dataclass(frozen=True)
class Target:
    """An open item a credit line may settle."""

    kind: str
    ids: tuple[int, ...]
    company_id: int
    amount: Decimal
    currency: str
    label: str  # what finance reads: "DD2612021530001234 · BlueCloud_D"
    references: tuple[str, ...] = ()  # numbers the partner may quote in the memo


@dataclass(frozen=True)
class Candidates:
    targets: list[Target]
    accounts: dict[str, set[int]] = field(default_factory=dict)  # payer account → companies
    names: dict[str, set[int]] = field(default_factory=dict)  # normalised name → companies


@dataclass(frozen=True)
class Proposal:
    rule: str = ""  # reference | payer_account | payer_name | "" (unmatched)
    confidence: str = ""  # high | medium | low
    target: Target | None = None
    note: str = ""


MIN_REFERENCE_LENGTH = 6


def normalise_name(name: str) -> str:
    return "".join((name or "").split()).lower().replace("（", "(").replace("）", ")")


def _compact(text: str) -> str:
    return "".join((text or "").split()).upper()


def _ambiguous(targets: list[Target]) -> Proposal:
    labels = ", ".join(t.label for t in targets[:6])
    return Proposal(note=_("Several candidates: %(labels)s") % {"labels": labels})


def _by_reference(memo: str, targets: list[Target], amount: Decimal) -> list[Target]:
    found = []
    for target in targets:
        refs = [r for r in target.references if len(r) >= MIN_REFERENCE_LENGTH]
        if any(_compact(r) in memo for r in refs):
            found.append(target)
    # Bills of one company quoted together are one target: the open bills it lists.
    bills = [t for t in found if t.kind == Kind.BILLS]
    if len(bills) > 1 and len({t.company_id for t in bills}) == 1:
        merged = Target(
            kind=Kind.BILLS,
            ids=tuple(sorted(i for t in bills for i in t.ids)),
            company_id=bills[0].company_id,
            amount=sum((t.amount for t in bills), Decimal("0")),
            currency=bills[0].currency,
            label=" + ".join(t.label for t in bills),
        )
        found = [t for t in found if t.kind != Kind.BILLS] + [merged]
    return found


def _with_amount(targets: list[Target], companies: set[int], amount: Decimal) -> list[Target]:
    return [t for t in targets if t.company_id in companies and t.amount == amount]


def match_line(
    *,
    memo: str,
    amount: Decimal,
    currency: str,
    payer_name: str,
    payer_account: str,
    data: Candidates,
) -> Proposal:
    targets = [t for t in data.targets if t.currency == currency]
    found = _by_reference(_compact(memo), targets, amount)
    if len(found) == 1:
        target = found[0]
        if target.amount != amount:
            return Proposal(
                "reference",
                "medium",
                target,
                _("The amount differs from %(amount)s.") % {"amount": f"{target.amount:,.2f}"},
            )
        return Proposal("reference", "high", target)
    if len(found) > 1:
        return _ambiguous(found)
    account = (payer_account or "").replace(" ", "")
    if account and (companies := data.accounts.get(account)):
        found = _with_amount(targets, companies, amount)
        if len(found) == 1:
            return Proposal("payer_account", "medium", found[0])
        if len(found) > 1:
            return _ambiguous(found)
    name = normalise_name(payer_name)
    if name and (companies := data.names.get(name)):
        found = _with_amount(targets, companies, amount)
        if len(found) == 1:
            return Proposal("payer_name", "low", found[0])
        if len(found) > 1:
            return _ambiguous(found)
    return Proposal()
