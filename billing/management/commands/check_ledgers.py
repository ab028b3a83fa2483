from django.core.management.base import BaseCommand, CommandError

from billing.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Verify every balance equals the sum of its ledger entries and no limit is broken."

    def handle(self, *args, **options) -> None:
        report = ledger_mismatches()
        problems = {k: v for k, v in report.items() if isinstance(v, list) and v}
        checked = report["wallets_checked"] + report["credit_accounts_checked"]
        mismatches = sum(len(v) for v in problems.values())
        self.stdout.write(
            f"balances checked: {checked} (wallets {report['wallets_checked']}, "
            f"credit accounts {report['credit_accounts_checked']}, bills {report['bills_checked']}); "
            f"mismatches: {mismatches}"
        )
        for name, rows in problems.items():
            for row in rows:
                self.stdout.write(f"  {name}: {row}")
        if mismatches:
            raise CommandError(f"{mismatches} ledger mismatch(es)")
