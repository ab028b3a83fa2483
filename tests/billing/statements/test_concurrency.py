"""PostgreSQL: two workers generating the same month at once produce one statement per
company, month and currency (the unique constraint), with its lines once."""

import threading
from collections import Counter

import pytest
from django.db import connections
from django.db.models import Count

from billing.models import Statement, StatementLine
from billing.statements.services import generate_statements

from .helpers import Seller, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_parallel(work, workers: int = 2) -> tuple[list, list]:
    barrier = threading.Barrier(workers)
    results, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=30)
            outcome = work()
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.parametrize("month", [3, 4, 5])
def test_two_workers_generate_one_statement_per_company_month_and_currency(month):
    sellers = [Seller() for _ in range(4)]
    for index, seller in enumerate(sellers):
        seller.orders(5 + index, at=local(2026, month, 10, 9), total="10.00")
        seller.orders(2, at=local(2026, month, 20, 9), total="3.00", currency="USD")

    results, errors = _in_parallel(lambda: generate_statements(period=f"2026-{month:02d}"))

    assert not errors, errors
    assert len(results) == 2
    per_key = Counter(Statement.objects.values_list("company_id", "currency", "period_start"))
    assert len(per_key) == 8 and set(per_key.values()) == {1}
    assert sum(r["created"] for r in results) == 8
    assert all(r["statements"] == 8 and r["failed"] == 0 for r in results)
    numbers = list(Statement.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 8
    # Every statement holds each of its orders exactly once, and its totals match.
    for statement in Statement.objects.annotate(n=Count("lines")):
        assert statement.n == statement.order_count
    duplicated = (
        StatementLine.objects.values("statement_id", "order_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not duplicated.exists()


def test_two_confirmations_of_the_same_month_and_currency_keep_the_rollup_exact():
    """Two partners confirm their statements of one month and currency at the same moment:
    both move the same two rollup rows (待确认 −1, 已确认 +1). The upsert adds under the
    row's lock, so neither delta is lost and the rollup still equals the statements."""
    from billing.models import StatementRollup, StatementStatus
    from billing.statements.selectors import statement_rollup_mismatches
    from billing.statements.workflow import statement_confirm

    sellers = [Seller() for _ in range(6)]
    for seller in sellers:
        seller.orders(3, at=local(2026, 6, 10, 9), total="10.00")
    generate_statements(period="2026-06")
    statements = list(Statement.objects.filter(period_start="2026-06-01").order_by("pk"))
    assert len(statements) == 6
    admins = {seller.company.pk: seller.admin for seller in sellers}
    pending = iter(statements)
    lock = threading.Lock()

    def confirm_next():
        confirmed = []
        while True:
            with lock:
                statement = next(pending, None)
            if statement is None:
                return confirmed
            statement_confirm(statement_id=statement.pk, actor=admins[statement.company_id])
            confirmed.append(statement.pk)

    results, errors = _in_parallel(confirm_next, workers=3)

    assert not errors, errors
    assert sorted(pk for done in results for pk in done) == [s.pk for s in statements]
    assert statement_rollup_mismatches() == []
    rows = {
        row.status: row.statement_count
        for row in StatementRollup.objects.filter(period_start="2026-06-01", currency="CNY")
    }
    assert rows.get(StatementStatus.CONFIRMED) == 6 and not rows.get(StatementStatus.DRAFT)
