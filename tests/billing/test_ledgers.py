"""Ledger rules: balances move only with entries, never overdraw, postings are idempotent."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import (
    Bill,
    BillStatus,
    CreditAccount,
    CreditEntry,
    RebateEntry,
    RebateRun,
    RebateWallet,
    Repayment,
    RepaymentStatus,
)
from billing.selectors import ledger_mismatches
from billing.services import bills as bill_services
from billing.services import credit, wallet
from billing.services.errors import BillingError
from tests.billing.helpers import (
    charge_credit,
    grant_rebate,
    make_company,
    make_partner_user,
    set_credit_limit,
    spend_rebate,
    submit_offline_repayment,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CNY = "CNY"


def balance(company) -> Decimal:
    return RebateWallet.objects.get(company=company, currency=CNY).balance


def account(company) -> CreditAccount:
    return CreditAccount.objects.get(company=company, currency=CNY)


def no_mismatch() -> bool:
    report = ledger_mismatches()
    return not any(v for k, v in report.items() if isinstance(v, list))


class TestWallet:
    def test_grant_spend_reverse_keeps_balance_equal_to_entries(self):
        company, staff = make_company(), UserFactory(is_staff=True)
        grant_rebate(company, staff, "56.15", reason="H2 2019")
        spend = spend_rebate(company, "10", order_number="20200205084536001", key="checkout:1")
        assert (spend.amount, spend.balance_after) == (Decimal("-10.00"), Decimal("46.15"))
        wallet.wallet_reverse_spend(entry=spend)
        assert balance(company) == Decimal("56.15")
        assert no_mismatch()
        assert len(spend.number) == 14 and spend.number.isdigit()

    def test_overdraft_is_refused_and_writes_nothing(self):
        company, staff = make_company(), UserFactory(is_staff=True)
        grant_rebate(company, staff, "5", reason="x")
        with pytest.raises(BillingError):
            spend_rebate(company, "5.01", order_number="o", key="k")
        with pytest.raises(BillingError):
            wallet.wallet_clawback(
                company_id=company.pk, currency=CNY, amount="6", actor=staff, reason="oops"
            )
        assert balance(company) == Decimal("5.00")
        assert RebateEntry.objects.count() == 1

    def test_database_refuses_a_negative_balance_even_without_the_service(self):
        company = make_company()
        with pytest.raises(IntegrityError), transaction.atomic():
            RebateWallet.objects.filter(company=company, currency=CNY).update(
                balance=Decimal("-0.01")
            )

    def test_replayed_posting_returns_the_first_entry(self):
        company, staff = make_company(), UserFactory(is_staff=True)
        grant_rebate(company, staff, "20", reason="x")
        first = spend_rebate(company, "3", key="same")
        again = spend_rebate(company, "3", key="same")
        assert again.pk == first.pk
        assert balance(company) == Decimal("17.00")
        with pytest.raises(BillingError):  # same key, different posting
            spend_rebate(company, "4", key="same")

    def test_reversal_happens_once(self):
        company, staff = make_company(), UserFactory(is_staff=True)
        grant_rebate(company, staff, "20", reason="x")
        spend = spend_rebate(company, "3", key="k1")
        wallet.wallet_reverse_spend(entry=spend)
        wallet.wallet_reverse_spend(entry=spend)
        assert balance(company) == Decimal("20.00")

    def test_grant_needs_a_reason(self):
        company = make_company()
        with pytest.raises(BillingError):
            grant_rebate(company, None, "1", reason=" ")
        assert RebateEntry.objects.count() == 0

    def test_exception_after_the_first_write_leaves_nothing(
        self, monkeypatch, django_capture_on_commit_callbacks
    ):
        company, staff = make_company(), UserFactory(is_staff=True)
        original = RebateWallet.save

        def explode(self, *args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(RebateWallet, "save", explode)
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
            grant_rebate(company, staff, "9", reason="x")
        monkeypatch.setattr(RebateWallet, "save", original)
        assert RebateEntry.objects.count() == 0
        assert balance(company) == Decimal("0.00")
        assert callbacks == []

    def test_half_yearly_rebate_run_twice_credits_once(self):
        gold = make_company(tier_code="gold")
        registered = make_company()
        totals = [
            {"company_id": gold.pk, "currency": CNY, "total": Decimal("10000.00")},
            {"company_id": registered.pk, "currency": CNY, "total": Decimal("5000.00")},
        ]
        first = wallet.rebate_run(period="2026H1", totals=totals)
        second = wallet.rebate_run(period="2026H1", totals=totals)
        assert first == {"credited": 1, "skipped": 1}  # registered tier earns 0 %
        assert second["credited"] == 0
        assert balance(gold) == Decimal("200.00")  # 2 % of 10,000
        assert RebateRun.objects.count() == 1


class TestCredit:
    def setup_company(self, limit="1000", term_days=30):
        company, staff = make_company(), UserFactory(is_staff=True, is_superuser=True)
        make_partner_user(company)
        set_credit_limit(company, staff, limit, term_days=term_days)
        return company, staff

    def test_charge_within_limit_and_refusal_beyond(self):
        company, _ = self.setup_company(limit="100")
        charge_credit(company, "60", key="c1")
        with pytest.raises(BillingError):
            charge_credit(company, "40.01", order_number="o2", key="c2")
        entry = charge_credit(company, "40", order_number="o3", key="c3")
        assert entry.available_after == Decimal("0.00")
        assert account(company).used == Decimal("100.00")
        assert entry.number.startswith("DD") and len(entry.number) == 18

    def test_limit_cannot_drop_below_used(self):
        company, staff = self.setup_company(limit="100")
        charge_credit(company, "60", key="c1")
        with pytest.raises(BillingError):
            set_credit_limit(company, staff, "59.99", reason="cut")
        assert account(company).credit_limit == Decimal("100.00")

    def test_usage_alerts_at_70_and_85_percent(
        self, django_capture_on_commit_callbacks, mailoutbox
    ):
        company, _ = self.setup_company(limit="100")
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            for i, amount in enumerate(["69.99", "0.01", "10", "5", "10"]):
                charge_credit(company, amount, order_number=f"o{i}", key=f"a{i}")
        alerts = [m for m in mailoutbox if "%" in m.subject]
        assert len(alerts) == 2
        assert "70%" in alerts[0].subject and "85%" in alerts[1].subject

    def test_bills_repayment_and_overdue_block(
        self, django_capture_on_commit_callbacks, mailoutbox
    ):
        company, staff = self.setup_company(limit="1000", term_days=30)
        charge_credit(company, "95.5", key="b1")
        today = credit.local_today()
        assert bill_services.bills_generate(until=today) == 1
        assert bill_services.bills_generate(until=today) == 0  # run twice: one bill
        bill = Bill.objects.get()
        assert bill.amount == Decimal("95.50") and bill.due_date == today + timedelta(days=30)
        assert bill.number.startswith("ZD")
        # overdue after the due date: credit pay blocked
        later = timezone.now() + timedelta(days=31)
        with django_capture_on_commit_callbacks(execute=True):
            assert bill_services.bills_mark_overdue_and_remind(now=later)["overdue"] == 1
            assert bill_services.bills_mark_overdue_and_remind(now=later)["overdue"] == 0
        with pytest.raises(BillingError):
            charge_credit(company, "1", order_number="o2", key="b2")
        # offline repayment, confirmed twice: one entry, available restored
        user = company.users.get()
        repayment = submit_offline_repayment(
            company, [bill], user, payer_account="6222 0000", paid_on=date.today()
        )
        bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
        bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
        bill.refresh_from_db()
        assert bill.status == BillStatus.SETTLED
        assert account(company).used == Decimal("0.00")
        assert CreditEntry.objects.filter(entry_type="repayment").count() == 1
        assert no_mismatch()

    def test_reversing_a_billed_charge_reduces_the_pending_bill(self):
        company, _ = self.setup_company()
        charge = charge_credit(company, "50", key="r1")
        charge_credit(company, "30", order_number="o2", key="r2")
        bill_services.bills_generate(until=credit.local_today())
        credit.credit_reverse_charge(entry=charge)
        bill = Bill.objects.get()
        assert bill.amount == Decimal("30.00")
        assert account(company).used == Decimal("30.00")
        assert no_mismatch()

    def test_online_repayment_callback_is_idempotent(self):
        company, _ = self.setup_company()
        charge_credit(company, "20", key="x1")
        bill_services.bills_generate(until=credit.local_today())
        bill = Bill.objects.get()
        for _ in range(3):
            bill_services.repayment_record_online(
                company_id=company.pk,
                currency=CNY,
                bill_ids=[bill.pk],
                provider_reference="PAY-1",
                amount="20",
            )
        assert Repayment.objects.filter(status=RepaymentStatus.CONFIRMED).count() == 1
        assert account(company).used == Decimal("0.00")

    def test_pay_code_is_single_use_expires_and_is_rate_limited(
        self, django_capture_on_commit_callbacks, mailoutbox
    ):
        company, _ = self.setup_company()
        user = company.users.get()
        with django_capture_on_commit_callbacks(execute=True):
            credit.credit_code_send(user=user, purpose="checkout:1")
        code = "".join(ch for ch in mailoutbox[-1].body if ch.isdigit())[:6]
        with pytest.raises(BillingError):
            credit.credit_code_send(user=user, purpose="checkout:1")  # within a minute
        with pytest.raises(BillingError):
            credit.credit_code_verify(
                user=user, purpose="checkout:1", code="000000" if code != "000000" else "111111"
            )
        credit.credit_code_verify(user=user, purpose="checkout:1", code=code)
        with pytest.raises(BillingError):
            credit.credit_code_verify(user=user, purpose="checkout:1", code=code)  # used
        later = timezone.now() + timedelta(minutes=11)
        with django_capture_on_commit_callbacks(execute=True):
            credit.credit_code_send(
                user=user, purpose="checkout:2", now=timezone.now() + timedelta(minutes=2)
            )
        code2 = "".join(ch for ch in mailoutbox[-1].body if ch.isdigit())[:6]
        with pytest.raises(BillingError):
            credit.credit_code_verify(
                user=user, purpose="checkout:2", code=code2, now=later + timedelta(minutes=2)
            )


def test_check_ledgers_command_reports_and_fails_on_mismatch(db, capsys):
    company, staff = make_company(), UserFactory(is_staff=True)
    grant_rebate(company, staff, "10", reason="x")
    call_command("check_ledgers")
    assert "mismatches: 0" in capsys.readouterr().out
    RebateWallet.objects.filter(company=company, currency=CNY).update(balance=Decimal("11.00"))
    with pytest.raises(Exception, match="mismatch"):
        call_command("check_ledgers")
