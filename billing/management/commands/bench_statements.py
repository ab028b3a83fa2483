"""``manage.py bench_statements --yes [--lines 100000] [--period 2001-01] [--keep] [--trace]``

Times statement generation and a workbook export for a bench company on the current
database. It writes (and afterwards removes) orders, so it asks for ``--yes``.
"""

from django.core.management.base import BaseCommand, CommandError

from billing.statements.bench import run_bench
from billing.statements.services import StatementError, period_parse


class Command(BaseCommand):
    help = "Benchmark statement generation and the Excel export (writes bench data)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--lines", type=int, default=100_000, help="Orders (= lines).")
        parser.add_argument("--period", default="2001-01", help="An empty month, YYYY-MM.")
        parser.add_argument("--keep", action="store_true", help="Keep the bench rows.")
        parser.add_argument("--trace", action="store_true", help="Also trace with tracemalloc.")
        parser.add_argument("--yes", action="store_true", help="Confirm writing bench data.")

    def handle(self, *args, **options) -> None:
        if not options["yes"]:
            raise CommandError("This writes bench orders to the current database: add --yes.")
        if options["lines"] < 1:
            raise CommandError("--lines must be at least 1.")
        try:
            period = period_parse(options["period"])
        except StatementError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        result = run_bench(
            lines=options["lines"], period=period, keep=options["keep"], trace=options["trace"]
        )
        gen, exp = result["generation"], result["export"]
        self.stdout.write(
            f"lines: {result['lines']} (bench data in {result['setup_seconds']:.1f} s)"
        )
        for name, phase in (("generation", gen), ("excel export", exp)):
            traced = (
                f", traced peak {phase.peak_traced_mb:.1f} MB"
                if phase.peak_traced_mb is not None
                else ""
            )
            self.stdout.write(
                f"{name}: {phase.seconds:.2f} s, process peak RSS {phase.max_rss_mb:.0f} MB{traced}"
            )
        self.stdout.write(
            f"workbook: {result['export_rows']} line rows, {result['export_bytes'] / 1e6:.1f} MB"
        )
