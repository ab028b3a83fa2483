"""billing.rules: the repayment checks the portal asks before it shows the form."""

from types import SimpleNamespace

from django.utils import translation

from billing.models import BillStatus
from billing.rules import bill_is_open, repayment_bills_problem


def _bill(status=BillStatus.PENDING, currency="CNY"):
    return SimpleNamespace(status=status, account=SimpleNamespace(currency=currency))


def test_open_bills_are_pending_or_overdue():
    assert bill_is_open(_bill(BillStatus.PENDING))
    assert bill_is_open(_bill(BillStatus.OVERDUE))
    assert not bill_is_open(_bill(BillStatus.SETTLED))


def test_open_bills_of_one_currency_may_be_repaid_together():
    assert repayment_bills_problem([_bill(), _bill(BillStatus.OVERDUE)]) == ""


def test_bills_of_two_currencies_are_refused_first():
    with translation.override("en"):
        problem = repayment_bills_problem([_bill(BillStatus.SETTLED), _bill(currency="USD")])
    assert problem == "Repay bills of one currency at a time."


def test_a_settled_bill_is_refused():
    with translation.override("en"):
        problem = repayment_bills_problem([_bill(), _bill(BillStatus.SETTLED)])
    assert problem == "Choose bills of your own that are awaiting repayment."
