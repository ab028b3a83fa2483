"""Benchmark of the contract PDF: ``manage.py bench_contract_pdf --runs 30``.

Renders a 2-line and a 200-line contract with the seeded clauses (no database needed)
and prints median and p95 in milliseconds. Targets: 2 lines < 100 ms, 200 lines < 1 s.
The first render of a process also registers the CJK font; it is reported separately.
"""

import importlib
import statistics
import time

from django.core.management.base import BaseCommand

from contracts.models import ContractTemplate
from contracts.pdf import cjk_font, render_contract_pdf
from contracts.services import contract_sample_data


def _seed_template() -> ContractTemplate:
    seed = importlib.import_module("contracts.migrations.0002_seed_template")
    return ContractTemplate(
        name="bench",
        version=1,
        clauses=seed.CLAUSES,
        payment_terms_online=seed.PAYMENT_TERMS["online"],
        payment_terms_offline=seed.PAYMENT_TERMS["offline"],
        payment_terms_credit=seed.PAYMENT_TERMS["credit"],
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


class Command(BaseCommand):
    help = "Time the contract PDF for 2 and 200 lines (median and p95, ms)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=30)

    def handle(self, *args, runs: int, **options):
        template = _seed_template()
        started = time.perf_counter()
        cjk_font()
        self.stdout.write(f"font registration (once per process): {_ms(started):.1f} ms")
        for label, products, services in (("2 lines", 1, 1), ("200 lines", 150, 50)):
            data = contract_sample_data(product_lines=products, service_lines=services)
            render_contract_pdf(data, template)  # warm-up
            timings = []
            size = 0
            for _ in range(runs):
                started = time.perf_counter()
                size = len(render_contract_pdf(data, template))
                timings.append(_ms(started))
            self.stdout.write(
                f"{label}: median {statistics.median(timings):.1f} ms, "
                f"p95 {_percentile(timings, 0.95):.1f} ms, "
                f"{size // 1024} KiB ({runs} runs)"
            )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
