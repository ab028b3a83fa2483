"""``manage.py generate_statements --period YYYY-MM [--company ID]``

Generates (or refreshes the 待确认 ones of) the month's revenue-share statements. The
summary line counts what exists for the month afterwards, so a rerun prints the same.
"""

from django.core.management.base import BaseCommand, CommandError

from billing.statements.services import (
    StatementError,
    generate_statements,
    period_parse,
    previous_period,
)
from partners.models import Company


class Command(BaseCommand):
    help = "Generate the monthly revenue-share statements (default: the previous month)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", help="Month as YYYY-MM (default: the previous month).")
        parser.add_argument("--company", type=int, help="Only this company id.")

    def handle(self, *args, **options) -> None:
        try:
            period = period_parse(options["period"]) if options["period"] else previous_period()
        except StatementError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        company_id = options["company"]
        if company_id is not None and not Company.objects.filter(pk=company_id).exists():
            raise CommandError(f"No company with id {company_id}.")
        result = generate_statements(period=period, company_id=company_id)
        self.stdout.write(
            f"{result['period']}: statements {result['statements']}, lines {result['lines']}, "
            f"left untouched (disputed, confirmed or later) {result['kept']}, "
            f"failed {result['failed']}"
        )
        if options["verbosity"] > 1:
            self.stdout.write(f"created {result['created']}, regenerated {result['regenerated']}")
        for message in result["errors"]:
            self.stderr.write(message)
        if result["failed"]:
            raise CommandError(f"{result['failed']} statement(s) could not be generated")
