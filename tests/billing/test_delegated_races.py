"""Two-tier distribution under real parallel transactions (PostgreSQL)."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.models import CreditAccount, DelegatedCreditEntry, DelegatedCreditLine
from billing.selectors import ledger_mismatches
from billing.selectors.delegated import delegated_mismatches
from billing.services.errors import BillingError
from tests.billing.delegated_helpers import Tree
from tests.billing.helpers import make_partner_user
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_clean() -> None:
    report = {**ledger_mismatches(), **delegated_mismatches()}
    assert not {k: v for k, v in report.items() if isinstance(v, list) and v}
    call_command("check_ledgers")  # raises on any mismatch


def outcomes_of(steps) -> Counter:
    results: Counter = Counter()

    def wrap(step):
        def run():
            try:
                step()
                results["ok"] += 1
            except BillingError:
                results["refused"] += 1

        return run

    errors = run_together(*[wrap(step) for step in steps])
    assert not errors, errors
    return results


def test_40_concurrent_allocations_of_100_against_1000_succeed_10_times():
    tree = Tree(limit="1000.00")
    outcomes = outcomes_of([lambda: tree.allocate("100.00")] * 40)
    assert outcomes == Counter({"ok": 10, "refused": 30})
    account = CreditAccount.objects.get(company=tree.dist, currency="CNY")
    assert (account.delegated_limit, account.available) == (Decimal("1000.00"), Decimal("0.00"))
    assert DelegatedCreditLine.objects.get(reseller=tree.sub).credit_limit == Decimal("1000.00")
    assert DelegatedCreditEntry.objects.count() == 10
    assert_clean()


def test_a_reclaim_racing_purchases_never_leaves_the_sub_reseller_over_its_limit():
    tree = Tree(limit="1000.00", sku_price="100.00")
    tree.allocate("500.00")
    buyers = [make_partner_user(tree.sub, role="co_admin") for _ in range(6)]
    steps = [lambda u=u: tree.buy_on_credit(user=u) for u in buyers]
    steps.append(lambda: tree.reclaim("300.00", expected_limit=None))
    outcomes_of(steps)
    line = DelegatedCreditLine.objects.get(reseller=tree.sub)
    assert line.used <= line.credit_limit
    assert line.credit_limit in (Decimal("500.00"), Decimal("200.00"))
    account = CreditAccount.objects.get(company=tree.dist, currency="CNY")
    assert account.used == line.used == account.delegated_used
    assert_clean()
