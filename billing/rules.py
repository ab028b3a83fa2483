"""Billing rules the front doors ask before they offer an action.

Each ``*_problem()`` answers "" when the action may go ahead, or the translated reason it
may not (the page shows it as is). The services still check again when they act.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from billing.models import Bill, BillStatus

# Bills that still wait for a repayment (待还款, or overdue).
OPEN_BILL_STATUSES = (BillStatus.PENDING, BillStatus.OVERDUE)


def bill_is_open(bill: Bill) -> bool:
    """The bill still waits for a repayment."""
    return bill.status in OPEN_BILL_STATUSES


def repayment_bills_problem(bills: Iterable[Bill]) -> str:
    """Why these bills (of one company) cannot be repaid together, or "".

    They must be of one currency, and each must still await repayment.
    """
    bills = list(bills)
    if len({bill.account.currency for bill in bills}) > 1:
        return _("Repay bills of one currency at a time.")
    if any(not bill_is_open(bill) for bill in bills):
        return _("Choose bills of your own that are awaiting repayment.")
    return ""
