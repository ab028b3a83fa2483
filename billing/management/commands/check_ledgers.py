from django.core.management.base import BaseCommand, CommandError

from backoffice.core.checkresults import record_check_result
from backoffice.core.mail import outbox_overdue
from billing.selectors import ledger_mismatches
from billing.selectors.coupon_quotas import quota_problems
from billing.selectors.delegated import delegated_mismatches
from billing.selectors.payments import orders_without_payment_record, unrecorded_provider_payments
from billing.selectors.receipts import receipt_problems
from billing.selectors.repayments import repayment_settlement_problems
from billing.statements.selectors import statement_rollup_mismatches

# Invariants beyond the balances: name -> function returning the offending rows ([] = holds).
INVARIANTS = {
    # No outbox mail stays queued or sending past its deadline (lease) plus a grace period.
    "outbox_overdue": outbox_overdue,
    # Every payment whose money arrived is recorded as paid or as a refund due (待退款).
    "provider_payments_recorded": unrecorded_provider_payments,
    # A bill is settled by at most one confirmed repayment, and settlements add up.
    "repayment_settlement": repayment_settlement_problems,
    # An order waiting on a payment decision has the record that shows it in a queue.
    "order_payment_records": orders_without_payment_record,
    # A receipt's allocated amount is the sum of its allocations, never more than it.
    "receipts": receipt_problems,
    # A coupon quota's counts equal its coupons and moves; each coupon is owned by the
    # company its last move gave it to.
    "coupon_quotas": quota_problems,
    # The statements' per-month rollup (the console list's header totals) equals the
    # statements it sums.
    "statement_rollup": statement_rollup_mismatches,
}

#: The name its result is kept under (backoffice.core.checkresults; the ledger gauge of /metrics).
CHECK_NAME = "check_ledgers"


class Command(BaseCommand):
    help = "Verify every balance equals the sum of its ledger entries and no limit is broken."

    def handle(self, *args, **options) -> None:
        report = ledger_mismatches()
        # Two-tier distribution: delegated lines, distributors' totals and allocations.
        report.update(delegated_mismatches())
        problems = {k: v for k, v in report.items() if isinstance(v, list) and v}
        problems.update({name: rows for name, check in INVARIANTS.items() if (rows := check())})
        checked = report["wallets_checked"] + report["credit_accounts_checked"]
        mismatches = sum(len(v) for v in problems.values())
        # Kept for monitoring: /metrics reports the last run's count between runs.
        record_check_result(name=CHECK_NAME, problems=mismatches)
        self.stdout.write(
            f"balances checked: {checked} (wallets {report['wallets_checked']}, "
            f"credit accounts {report['credit_accounts_checked']}, bills {report['bills_checked']}); "
            f"mismatches: {mismatches}"
        )
        for name, rows in problems.items():
            for row in rows:
                self.stdout.write(f"  {name}: {row}")
        if mismatches:
            raise CommandError(f"{mismatches} ledger mismatch(es) or broken invariant(s)")
