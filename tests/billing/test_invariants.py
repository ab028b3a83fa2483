"""Property-based: random sequences of postings keep every ledger invariant."""

import contextlib
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from billing.models import Bill, BillStatus, CreditAccount, CreditEntry, RebateEntry, RebateWallet
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
)
from tests.factories import UserFactory

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)


@pytest.mark.django_db
def test_random_sequences_keep_invariants(django_db_blocker):
    class Ledgers(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            # Each example runs in its own transaction, rolled back in teardown.
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.company = make_company()
            self.staff = UserFactory(is_staff=True, is_superuser=True)
            self.user = make_partner_user(self.company)
            set_credit_limit(self.company, self.staff)
            self.n = 0
            self.expected_wallet = Decimal("0")

        def key(self) -> str:
            self.n += 1
            return f"{self.company.pk}:{self.n}"

        @rule(amount=amounts)
        def grant(self, amount):
            grant_rebate(self.company, self.staff, amount, reason="r", idempotency_key=self.key())
            self.expected_wallet += amount

        @rule(amount=amounts)
        def spend(self, amount):
            try:
                spend_rebate(self.company, amount, order_number="o", key=self.key())
                self.expected_wallet -= amount
            except BillingError:
                assert amount > self.expected_wallet

        @rule()
        def reverse_a_spend(self):
            entry = RebateEntry.objects.filter(
                wallet__company=self.company, entry_type="spend", reversed_by__isnull=True
            ).first()
            if entry:
                wallet.wallet_reverse_spend(entry=entry)
                self.expected_wallet -= entry.amount

        @rule(amount=amounts)
        def charge(self, amount):
            with contextlib.suppress(BillingError):
                charge_credit(self.company, amount, order_number="o", key=self.key())

        @rule()
        def reverse_a_charge(self):
            entry = CreditEntry.objects.filter(
                account__company=self.company, entry_type="charge", reversed_by__isnull=True
            ).first()
            if entry:
                with contextlib.suppress(BillingError):  # its bill is already repaid
                    credit.credit_reverse_charge(entry=entry)

        @rule()
        def bill(self):
            bill_services.bills_generate(until=credit.local_today())

        @rule()
        def repay_all_open_bills(self):
            ids = list(
                Bill.objects.filter(
                    account__company=self.company, status=BillStatus.PENDING
                ).values_list("pk", flat=True)
            )
            if ids:
                total = sum(Bill.objects.get(pk=i).amount for i in ids)
                bill_services.repayment_record_online(
                    company_id=self.company.pk,
                    currency="CNY",
                    bill_ids=ids,
                    provider_reference=f"p{self.key()}",
                    amount=total,
                )

        def teardown(self):
            if hasattr(self, "_atomic"):
                transaction.set_rollback(True)
                self._atomic.__exit__(None, None, None)

        @invariant()
        def balances_match_entries(self):
            if not hasattr(self, "company"):
                return
            report = ledger_mismatches()
            assert not any(v for v in report.values() if isinstance(v, list)), report
            assert (
                RebateWallet.objects.get(company=self.company, currency="CNY").balance
                == self.expected_wallet
            )
            account = CreditAccount.objects.get(company=self.company, currency="CNY")
            assert Decimal("0") <= account.used <= account.credit_limit
            open_bills = sum(b.amount for b in account.bills.exclude(status=BillStatus.SETTLED))
            assert open_bills <= account.used

    Ledgers.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    Ledgers.TestCase().runTest()
