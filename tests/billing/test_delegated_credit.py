"""Two-tier distribution: allocate, reclaim, checkout on delegated credit, release, checks."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import (
    CreditAccount,
    CreditEntry,
    DelegatedCreditEntry,
    DelegatedCreditEntryType,
    DelegatedCreditLine,
)
from billing.selectors import ledger_mismatches
from billing.selectors.delegated import adjustment_log, delegated_mismatches
from billing.services.errors import BillingError
from billing.services.orders import order_cancel
from tests.billing.delegated_helpers import Tree

pytestmark = pytest.mark.django_db


def account(company) -> CreditAccount:
    return CreditAccount.objects.get(company=company, currency="CNY")


def line(company) -> DelegatedCreditLine:
    return DelegatedCreditLine.objects.get(reseller=company, currency="CNY")


def assert_clean() -> None:
    report = {**ledger_mismatches(), **delegated_mismatches()}
    assert not {k: v for k, v in report.items() if isinstance(v, list) and v}


def test_allocate_moves_available_credit_to_the_sub_reseller():
    tree = Tree()
    entry = tree.allocate("300.00", reason="Q4")
    assert (entry.limit_before, entry.limit_after, entry.actor, entry.reason) == (
        Decimal("0.00"),
        Decimal("300.00"),
        tree.admin,
        "Q4",
    )
    dist = account(tree.dist)
    assert (dist.delegated_limit, dist.available) == (Decimal("300.00"), Decimal("700.00"))
    assert line(tree.sub).available == Decimal("300.00")
    assert_clean()


def test_over_allocation_negative_and_stale_are_refused_and_change_nothing():
    tree = Tree()
    tree.allocate("600.00")
    for amount in ("400.01", "-5", "0"):
        with pytest.raises(BillingError):
            tree.allocate(amount)
    with pytest.raises(BillingError, match="changed|变"):
        tree.allocate("10.00", expected_limit="0.00")  # the form saw no allocation
    assert line(tree.sub).credit_limit == Decimal("600.00")
    assert account(tree.dist).delegated_limit == Decimal("600.00")
    assert DelegatedCreditEntry.objects.count() == 1


def test_database_refuses_an_over_allocation():
    tree = Tree()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(pk=account(tree.dist).pk).update(
            delegated_limit=Decimal("1000.01")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DelegatedCreditLine.objects.create(
            distributor=tree.dist, reseller=tree.sub, currency="CNY", used=Decimal("1.00")
        )


def test_checkout_on_delegated_credit_charges_both_lines_and_cancel_releases():
    tree = Tree()
    tree.allocate("300.00")
    order = tree.buy_on_credit(2)
    assert order.company == tree.sub and order.credit_amount == Decimal("200.00")
    sub_line, dist = line(tree.sub), account(tree.dist)
    assert (sub_line.used, sub_line.available) == (Decimal("200.00"), Decimal("100.00"))
    # Blue Cloud bills the distributor: the charge is on its account.
    assert (dist.used, dist.delegated_used, dist.available) == (
        Decimal("200.00"),
        Decimal("200.00"),
        Decimal("700.00"),
    )
    assert CreditEntry.objects.get(order_number=order.number).account == dist
    assert account(tree.sub).used == 0
    with pytest.raises(BillingError):
        tree.buy_on_credit(2)  # ¥200 > ¥100 available on the delegated line
    with pytest.raises(BillingError, match="unused|未使用"):
        tree.reclaim("100.01")  # below used
    assert_clean()
    order_cancel(order_id=order.pk, actor=tree.staff, reason="test", by_staff=True)
    sub_line, dist = line(tree.sub), account(tree.dist)
    assert (sub_line.used, dist.used, dist.delegated_used) == (0, 0, 0)
    assert DelegatedCreditEntry.objects.filter(entry_type=DelegatedCreditEntryType.RELEASE).exists()
    tree.reclaim("300.00")
    assert account(tree.dist).available == Decimal("1000.00")
    assert_clean()


def test_distributor_limit_cannot_drop_below_its_allocations():
    from billing.services.credit import credit_limit_set

    tree = Tree()
    tree.allocate("600.00")
    with pytest.raises(BillingError):
        credit_limit_set(
            company_id=tree.dist.pk,
            currency="CNY",
            credit_limit="500",
            term_days=30,
            actor=tree.staff,
            reason="cut",
        )


def test_who_may_allocate():
    tree = Tree()
    with pytest.raises(BillingError):
        tree.allocate("10", actor=tree.co_admin)  # not granted
    tree.co_admin.can_allocate = True
    tree.co_admin.save(update_fields=["can_allocate"])
    tree.allocate("10", actor=tree.co_admin)
    with pytest.raises(BillingError):
        tree.allocate("10", actor=tree.sub_user)  # a sub-reseller cannot allocate
    with pytest.raises(BillingError):
        tree.allocate("10", reseller=tree.other_sub)  # another distributor's reseller
    with pytest.raises(BillingError):
        tree.reclaim("5", reseller=tree.other_sub)
    assert not DelegatedCreditLine.objects.filter(reseller=tree.other_sub).exists()


def test_mails_on_allocate_reclaim_and_usage_thresholds(
    django_capture_on_commit_callbacks, mailoutbox
):
    tree = Tree(sku_price="10.00")
    with django_capture_on_commit_callbacks(execute=True):
        tree.allocate("100.00")
        tree.reclaim("20.00")
    to_sub = [m for m in mailoutbox if tree.sub_user.email in m.to]
    assert len(to_sub) == 2
    assert "100.00" in to_sub[0].body and "20.00" in to_sub[1].body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tree.buy_on_credit(5)  # 50 of 80: 62 %
    assert not [m for m in mailoutbox if tree.admin.email in m.to]
    with django_capture_on_commit_callbacks(execute=True):
        tree.buy_on_credit(1)  # 60: 75 % → the 70 % alert
        tree.buy_on_credit(1)  # 70: 87.5 % → the 85 % alert
        tree.buy_on_credit(1)  # 80: no new crossing
    alerts = [m for m in mailoutbox if tree.admin.email in m.to]
    assert len(alerts) == 2
    assert "70%" in alerts[0].body and "85%" in alerts[1].body


def test_adjustment_log_rows_and_check_ledgers_catches_a_tampered_line():
    tree = Tree()
    tree.allocate("300.00", reason="Q4")
    tree.buy_on_credit(1)
    tree.reclaim("50.00", reason="unused")
    rows = adjustment_log(distributor_id=tree.dist.pk)
    assert [r["reason"] for r in rows][0] == "unused"
    assert len(rows) == 3
    assert adjustment_log(distributor_id=tree.other.pk) == []
    DelegatedCreditLine.objects.filter(reseller=tree.sub).update(credit_limit=Decimal("400.00"))
    assert delegated_mismatches()["delegated_line_mismatches"]
