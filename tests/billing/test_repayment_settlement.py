"""No double settlement: a bill has at most one settling repayment (under review or
confirmed), enforced by the database, re-checked under lock when finance confirms."""

import contextlib
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.models import (
    Bill,
    BillStatus,
    CreditAccount,
    CreditEntry,
    OnlineRepayment,
    PaymentRecordStatus,
    Repayment,
    RepaymentBill,
    RepaymentMethod,
    RepaymentStatus,
)
from billing.selectors.repayments import repayment_settlement_problems
from billing.services import bills as bill_services
from billing.services import credit, payments
from billing.services.errors import BillingError
from tests.billing.factories import RepaymentBillFactory, RepaymentFactory
from tests.billing.helpers import (
    charge_credit,
    make_company,
    make_partner_user,
    set_credit_limit,
    submit_offline_repayment,
)
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


class Line:
    """A company with a 1000 credit line, a bill of ``billed`` and ``unbilled`` used on top
    (so a second settlement of the bill shows as credit restored twice, not as an error)."""

    def __init__(self, billed=("120",), unbilled="300"):
        self.company = make_company()
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.user = make_partner_user(self.company)
        set_credit_limit(self.company, self.staff)
        self.charges = [self.charge(amount) for amount in billed]
        bill_services.bills_generate(until=credit.local_today())
        self.bill = Bill.objects.get(account__company=self.company)
        if Decimal(unbilled):
            self.charge(unbilled)

    def charge(self, amount):
        key = f"c{self.company.pk}-{CreditEntry.objects.count()}"
        return charge_credit(self.company, amount, order_number=key, key=key)

    @property
    def used(self) -> Decimal:
        return CreditAccount.objects.get(company=self.company, currency="CNY").used

    def offline(self, bills=None) -> Repayment:
        return submit_offline_repayment(
            self.company, bills or [self.bill], self.user, payer_account="6222 0000"
        )

    def online(self, reference="PAY-1", amount=None) -> Repayment:
        return bill_services.repayment_record_online(
            company_id=self.company.pk,
            currency="CNY",
            bill_ids=[self.bill.pk],
            provider_reference=reference,
            amount=amount or self.bill.amount,
        )

    def confirm(self, repayment) -> Repayment:
        return bill_services.repayment_confirm(repayment_id=repayment.pk, actor=self.staff)

    def settlements(self) -> int:
        return CreditEntry.objects.filter(
            account__company=self.company, entry_type="repayment"
        ).count()


def check_ledgers_clean() -> None:
    call_command("check_ledgers")  # raises CommandError on any mismatch
    assert repayment_settlement_problems() == []


@pytest.fixture
def line():
    return Line()


# --- offline under review, then the online payment arrives ---------------------------


def test_online_payment_of_a_bill_under_offline_review_is_refused(line):
    offline = line.offline()
    with pytest.raises(BillingError, match=line.bill.number) as refused:
        line.online()
    assert refused.value.code == "claimed"
    line.bill.refresh_from_db()
    assert line.bill.status == BillStatus.PENDING
    assert line.used == Decimal("420.00") and line.settlements() == 0
    line.confirm(offline)  # the transfer finance reviews settles the bill, once
    assert line.used == Decimal("300.00") and line.settlements() == 1
    check_ledgers_clean()


def test_provider_money_for_a_bill_under_offline_review_becomes_a_refund_due(line):
    """The online payment started before the transfer was reported: its money is not
    dropped but owed back (待退款); the bill is settled once, by the transfer."""
    online = bill_services.repayment_online_start(
        company_id=line.company.pk, currency="CNY", bill_ids=[line.bill.pk], actor=line.user
    )
    offline = line.offline()
    payload, signature = bill_services.repayment_online_payload(online)
    online = payments.repayment_online_callback(payload=payload, signature=signature)
    assert online.status == PaymentRecordStatus.REFUND_DUE and online.confirmed_at
    assert line.bill.number in online.refund_reason and online.repayment is None
    line.confirm(offline)
    assert line.used == Decimal("300.00") and line.settlements() == 1
    check_ledgers_clean()


# --- finance confirms after the bill was settled elsewhere ----------------------------


def test_confirm_after_the_bill_was_settled_elsewhere_is_refused(line):
    offline = line.offline()
    credit.credit_reverse_charge(entry=line.charges[0], reason="order cancelled")
    line.bill.refresh_from_db()
    assert line.bill.status == BillStatus.SETTLED  # cancelled down to zero
    used = line.used
    with pytest.raises(BillingError, match=line.bill.number) as refused:
        line.confirm(offline)
    assert refused.value.code == "bill_settled"
    offline.refresh_from_db()
    assert offline.status == RepaymentStatus.SUBMITTED and line.settlements() == 0
    assert line.used == used
    bill_services.repayment_reject(
        repayment_id=offline.pk, actor=line.staff, reason="bill cancelled"
    )
    check_ledgers_clean()


def test_confirm_after_the_bills_changed_is_refused():
    line = Line(billed=("120", "30"))
    offline = line.offline()
    credit.credit_reverse_charge(entry=line.charges[1], reason="order cancelled")
    used = line.used
    with pytest.raises(BillingError) as refused:
        line.confirm(offline)
    assert refused.value.code == "amount_changed"
    assert line.used == used and line.settlements() == 0


# --- double confirmation ---------------------------------------------------------------


def test_double_confirm_settles_once_and_nothing_repays_the_bill_again(line):
    offline = line.offline()
    line.confirm(offline)
    line.confirm(offline)  # a second click: nothing more
    assert line.settlements() == 1 and line.used == Decimal("300.00")
    for again in (line.offline, line.online):
        with pytest.raises(BillingError, match=line.bill.number) as refused:
            again()
        assert refused.value.code == "bill_settled"
    assert line.settlements() == 1 and Repayment.objects.count() == 1
    check_ledgers_clean()


def test_a_second_repayment_of_a_confirmed_bill_cannot_be_confirmed(line):
    """A repayment that lost its claim (e.g. left over from before the rule) is refused."""
    line.confirm(line.offline())
    stale = RepaymentFactory(
        account=line.bill.account, method=RepaymentMethod.OFFLINE, amount=line.bill.amount
    )
    RepaymentBillFactory(repayment=stale, bill=line.bill, active=False)
    with pytest.raises(BillingError) as refused:
        line.confirm(stale)
    assert refused.value.code == "claimed"
    assert line.settlements() == 1 and line.used == Decimal("300.00")


# --- offline submission on a claimed bill, rejection frees it -------------------------


def test_offline_submission_on_a_bill_under_review_names_the_bill(line):
    line.offline()
    with pytest.raises(BillingError, match=line.bill.number) as refused:
        line.offline()
    assert refused.value.code == "duplicate"
    assert Repayment.objects.count() == 1


def test_rejection_releases_the_bill_for_another_repayment(line):
    offline = line.offline()
    bill_services.repayment_reject(repayment_id=offline.pk, actor=line.staff, reason="no transfer")
    assert not RepaymentBill.objects.get(repayment=offline).active
    line.online()
    line.bill.refresh_from_db()
    assert line.bill.status == BillStatus.SETTLED and line.settlements() == 1
    check_ledgers_clean()


# --- the database itself ---------------------------------------------------------------


def test_the_database_refuses_a_second_active_claim_on_a_bill(line):
    line.offline()
    second = RepaymentFactory(
        account=line.bill.account, method=RepaymentMethod.OFFLINE, amount=line.bill.amount
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RepaymentBillFactory(repayment=second, bill=line.bill)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.bills.add(line.bill)  # the many-to-many manager goes through the same table
    RepaymentBillFactory(repayment=second, bill=line.bill, active=False)  # released: ok


# --- check_ledgers ---------------------------------------------------------------------


def test_check_ledgers_reports_a_double_settlement(line):
    first = line.confirm(line.offline())
    twice = RepaymentFactory(
        account=line.bill.account,
        method=RepaymentMethod.ONLINE,
        amount=line.bill.amount,
        status=RepaymentStatus.CONFIRMED,
    )
    RepaymentBillFactory(repayment=twice, bill=line.bill, active=False)
    problems = {row["problem"] for row in repayment_settlement_problems()}
    assert problems == {"bill_settled_twice", "claim_out_of_step", "repayment_not_reconciled"}
    with pytest.raises(CommandError, match="broken invariant"):
        call_command("check_ledgers")
    assert first.status == RepaymentStatus.CONFIRMED


def test_check_ledgers_reports_a_settled_bill_nobody_paid(line):
    Bill.objects.filter(pk=line.bill.pk).update(status=BillStatus.SETTLED)
    assert [row["problem"] for row in repayment_settlement_problems()] == [
        "settled_without_repayment"
    ]


# --- the portal: ids out of range are 404, never 500 ----------------------------------


@pytest.mark.parametrize("name", ["portal:assets_repay_offline", "portal:assets_repay_online"])
@pytest.mark.parametrize(
    "raw", ["99999999999999999999", "9223372036854775808", "0", "-1", "1e3", "٣", "9" * 5000]
)
def test_bill_ids_out_of_range_are_404_and_change_nothing(client, line, name, raw):
    client.force_login(line.user)
    url = reverse(name)
    assert client.get(url, {"bills": raw}).status_code == 404
    assert client.get(url, {"bills": [line.bill.pk, raw]}).status_code == 404
    response = client.post(
        url, {"bills": [line.bill.pk, raw], "payer_account": "6222", "paid_on": "2026-01-01"}
    )
    assert response.status_code == 404
    assert not Repayment.objects.exists() and not OnlineRepayment.objects.exists()


def test_the_largest_id_is_just_a_bill_that_does_not_exist(client, line):
    client.force_login(line.user)
    url = reverse("portal:assets_repay_offline")
    assert client.get(url, {"bills": str(2**63 - 1)}).status_code == 404
    assert client.get(url, {"bills": line.bill.pk}).status_code == 200


# --- PostgreSQL: online and offline raced ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_online_and_offline_repayment_of_one_bill_raced_20_times_settle_it_once():
    """Each round: the provider's notification of an online repayment started earlier
    races the partner's transfer report followed by finance's confirmation. The bill is
    settled exactly once, the other money is owed back or the report refused, and
    check_ledgers stays at 0."""
    outcomes = []
    for round_ in range(20):
        line = Line()
        online = bill_services.repayment_online_start(
            company_id=line.company.pk, currency="CNY", bill_ids=[line.bill.pk], actor=line.user
        )
        payload, signature = bill_services.repayment_online_payload(online)

        def pay_offline(line=line, delay=(round_ % 4) * 0.01):
            time.sleep(delay)  # staggered starts: either side gets there first
            # Refused when the online payment settled the bill first: nothing written.
            with contextlib.suppress(BillingError):
                line.confirm(line.offline())

        def pay_online(payload=payload, signature=signature):
            payments.repayment_online_callback(payload=payload, signature=signature)

        errors = run_together(
            pay_online,
            pay_offline,
            join_timeout=60,
        )
        assert errors == []
        line.bill.refresh_from_db()
        online.refresh_from_db()
        assert line.bill.status == BillStatus.SETTLED
        assert line.settlements() == 1 and line.used == Decimal("300.00")
        # The provider's money is recorded either way: it settled the bill or is owed back.
        assert online.status in (PaymentRecordStatus.SUCCEEDED, PaymentRecordStatus.REFUND_DUE)
        assert (online.status == PaymentRecordStatus.SUCCEEDED) == (online.repayment is not None)
        outcomes.append(online.status)
    check_ledgers_clean()
    assert len(outcomes) == 20
