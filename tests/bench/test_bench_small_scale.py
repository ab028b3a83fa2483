"""``python -m bench --scale 0.01`` end to end: load, every scenario, the report.

Runs the real command in a subprocess against its own PostgreSQL database (named after
the test database's, suffixed ``_bench``), so CI exercises what ``make bench`` does.
Figures at this scale are not compared with the targets (that is the full-scale run's
job); the test checks that every scenario ran, that the invariants held (no ledger
mismatch after the checkout load, statement totals equal to the SQL aggregate, constant
portal queries, bounded console queries) and that the report names every target.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres

# The dashboard's query bound (issue 19: ≤ 15). KNOWN MISS: as 超级管理员 (the role's
# group, not a Django superuser) the home makes 16 queries today (user and group
# permissions, the groups, then one per card family and chart); lower it to 15 with the
# fix. The report marks it missed either way.
DASHBOARD_MAX_QUERIES = {"超级管理员": 15, "销售": 15}


def bench_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") or "backoffice"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def test_bench_at_one_percent_runs_every_scenario_and_reports(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(  # noqa: S603 - our interpreter, our module
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "0.01",
            "--database-url",
            bench_database_url(),
            "--out",
            str(tmp_path),
            "--runs",
            "3",
            "--baseline-runs",
            "1",
            "--checkout-clients",
            "2",
            "--checkout-duration",
            "2",
            "--workers",
            "2",
            "--threads",
            "2",
            "--drop-after",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    [report] = tmp_path.glob("*-scale-0_01.md")
    [raw] = tmp_path.glob("*-scale-0_01.json")
    data = json.loads(raw.read_text())
    results = data["results"]

    assert data["load"]["scale"]["orders"] == 10_000
    assert data["load"]["rows"]["orders"] == 10_000
    assert data["load"]["rows"]["statements+lines"] >= 3_000
    assert set(results) >= {
        "changelists",
        "dashboard",
        "portal",
        "partner",
        "checkout",
        "statements",
        "export",
        "excel",
        "pdf",
    }

    assert len(results["changelists"]) == 8
    for row in results["changelists"]:
        assert row["console"]["queries"] <= 15, row
    verdicts = {(v["scenario"], v["what"]): v for v in data["verdicts"]}
    for page in ("category", "search", "solution detail"):
        assert verdicts[(f"portal {page}", "queries (two different pages)")]["ok"], page

    assert [row["role"] for row in results["dashboard"]] == ["超级管理员", "销售"]
    for row in results["dashboard"]:
        assert row["queries"] <= DASHBOARD_MAX_QUERIES[row["role"]], row

    partner = results["partner"]
    assert partner["orders"] > 0
    pairs = {}
    for row in partner["pages"]:
        pairs.setdefault(row["page"], set()).add(row["queries"])
    assert set(pairs) == {
        "orders",
        "order detail",
        "statements",
        "rebate ledger",
        "credit ledger",
    }
    for page, counts in pairs.items():
        assert len(counts) == 1, (page, partner["pages"])
    constancy = [
        v
        for v in data["verdicts"]
        if v["scenario"].startswith("heavy partner") and v["what"].startswith("queries")
    ]
    assert len(constancy) == 5 and all(v["ok"] for v in constancy), constancy

    checkout = results["checkout"]
    assert checkout["checkouts"] > 0 and checkout["errors"] == 0, checkout
    assert checkout["orders_created"] == checkout["checkouts"]
    assert checkout["orders_created_total"] == checkout["checkouts_total"]
    assert checkout["bare_checkouts"] > 0 and checkout["bare_errors"] == 0, checkout
    assert checkout["bare_orders_created"] == checkout["bare_checkouts"]
    assert checkout["bare_orders_created_total"] == checkout["bare_checkouts_total"]
    assert checkout["bare_ratio"] > 0
    assert checkout["ledger_mismatches"] == 0

    statements = results["statements"]
    assert statements["statements"] > 0 and statements["total_mismatches"] == 0
    # The bare baseline writes the same statements and lines as generation.
    assert (statements["bare_statements"], statements["bare_lines"]) == (
        statements["statements"],
        statements["lines"],
    )
    assert statements["ratio_to_bare"] > 0
    # Every order at this scale (fewer than 100,000): the generated ones and the checkouts'.
    assert results["export"]["orders"] >= 10_000
    assert results["excel"]["lines"] >= 1_000
    assert results["pdf"]["2 lines"]["p95_ms"] > 0

    text = report.read_text()
    for heading in (
        "## Machine",
        "## Console changelists",
        "## Console dashboard by role",
        "## Portal pages",
        "## Portal pages of the partner with the most orders",
        "## Checkout throughput",
        "## Monthly statement generation",
        "## Console Excel export of orders",
        "## Targets",
    ):
        assert heading in text
    assert "baseline p95 ms" in text
    assert "bare checkout (whole checkouts)" in text
    for scenario, what in (
        ("checkout", "checkouts/s"),
        ("checkout", "× the bare baseline (bare checkouts/s ÷ checkouts/s)"),
        ("dashboard as 销售", "queries"),
        ("statement generation", "× bare INSERT … SELECT"),
    ):
        assert (scenario, what) in verdicts, (scenario, what)
