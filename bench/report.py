"""Targets of the benchmark issue, the verdicts, and the markdown report."""

from __future__ import annotations

# Targets (2 cores, PostgreSQL on the same machine).
CHANGELIST_MAX_QUERIES = 15
CHANGELIST_MAX_P95_MS = 300
CHANGELIST_MIN_SPEEDUP = 10  # at full scale
PORTAL_MAX_P95_MS = 100
CHECKOUT_MIN_RATIO = 0.30
STATEMENTS_MAX_SECONDS = 60
STATEMENTS_MAX_MB = 500
STATEMENTS_MAX_SQL_RATIO = 3
EXCEL_MAX_SECONDS = 30
EXCEL_MAX_MB = 300
PDF_2_LINES_MS = 100
PDF_200_LINES_MS = 1000


def _verdict(scenario: str, what: str, value, target: str, ok: bool | None) -> dict:
    return {"scenario": scenario, "what": what, "value": value, "target": target, "ok": ok}


def verdicts(data: dict) -> list[dict]:
    results = data["results"]
    full = data["scale"] >= 1
    out: list[dict] = []
    for row in results.get("changelists", []):
        name = f"changelist {row['list']} ({row['variant']})"
        console = row["console"]
        out.append(
            _verdict(
                name,
                "queries",
                console["queries"],
                f"≤ {CHANGELIST_MAX_QUERIES}",
                console["queries"] <= CHANGELIST_MAX_QUERIES,
            )
        )
        out.append(
            _verdict(
                name,
                "p95 ms",
                console["p95_ms"],
                f"≤ {CHANGELIST_MAX_P95_MS}",
                console["p95_ms"] <= CHANGELIST_MAX_P95_MS,
            )
        )
        out.append(
            _verdict(
                name,
                "× faster than baseline (p95)",
                row["speedup_p95"],
                f"≥ {CHANGELIST_MIN_SPEEDUP} at full scale",
                row["speedup_p95"] >= CHANGELIST_MIN_SPEEDUP if full else None,
            )
        )
    pages = {row["page"]: row for row in results.get("portal", [])}
    for label, row in pages.items():
        out.append(
            _verdict(
                f"portal {label}",
                "p95 ms",
                row["p95_ms"],
                f"≤ {PORTAL_MAX_P95_MS}",
                row["p95_ms"] <= PORTAL_MAX_P95_MS,
            )
        )
    for label in ("category", "search", "solution detail"):
        if label in pages and f"{label} (other)" in pages:
            counts = (pages[label]["queries"], pages[f"{label} (other)"]["queries"])
            out.append(
                _verdict(
                    f"portal {label}",
                    "queries (two different pages)",
                    f"{counts[0]} / {counts[1]}",
                    "constant",
                    counts[0] == counts[1],
                )
            )
    checkout = results.get("checkout")
    if checkout:
        out.append(
            _verdict(
                "checkout",
                "checkouts/s ÷ trivial requests/s",
                checkout["ratio"],
                f"≥ {CHECKOUT_MIN_RATIO}",
                checkout["ratio"] >= CHECKOUT_MIN_RATIO,
            )
        )
        out.append(
            _verdict(
                "checkout",
                "check_ledgers mismatches",
                checkout["ledger_mismatches"],
                "0",
                checkout["ledger_mismatches"] == 0,
            )
        )
        out.append(
            _verdict(
                "checkout",
                "errors / orders placed = checkouts",
                f"{checkout['errors']} / {checkout['orders_created']} = {checkout['checkouts']}",
                "0 errors, equal",
                checkout["errors"] == 0 and checkout["orders_created"] == checkout["checkouts"],
            )
        )
    statements = results.get("statements")
    if statements:
        out += [
            _verdict(
                "statement generation",
                "seconds",
                statements["seconds"],
                f"≤ {STATEMENTS_MAX_SECONDS}",
                statements["seconds"] <= STATEMENTS_MAX_SECONDS,
            ),
            _verdict(
                "statement generation",
                "peak MB",
                statements["peak_rss_mb"],
                f"≤ {STATEMENTS_MAX_MB}",
                statements["peak_rss_mb"] <= STATEMENTS_MAX_MB,
            ),
            _verdict(
                "statement generation",
                "× bare SQL aggregate",
                statements["ratio_to_sql"],
                f"≤ {STATEMENTS_MAX_SQL_RATIO}",
                statements["ratio_to_sql"] <= STATEMENTS_MAX_SQL_RATIO,
            ),
            _verdict(
                "statement generation",
                "totals differing from the aggregate",
                statements["total_mismatches"],
                "0",
                statements["total_mismatches"] == 0 and statements["failed"] == 0,
            ),
        ]
    excel = results.get("excel")
    if excel:
        out += [
            _verdict(
                f"Excel export ({excel['lines']:,} lines)",
                "seconds",
                excel["seconds"],
                f"≤ {EXCEL_MAX_SECONDS}",
                excel["seconds"] <= EXCEL_MAX_SECONDS,
            ),
            _verdict(
                f"Excel export ({excel['lines']:,} lines)",
                "peak MB",
                excel["peak_rss_mb"],
                f"≤ {EXCEL_MAX_MB}",
                excel["peak_rss_mb"] <= EXCEL_MAX_MB,
            ),
        ]
    pdf = results.get("pdf")
    if pdf:
        out += [
            _verdict(
                "contract PDF 2 lines",
                "p95 ms",
                pdf["2 lines"]["p95_ms"],
                f"≤ {PDF_2_LINES_MS}",
                pdf["2 lines"]["p95_ms"] <= PDF_2_LINES_MS,
            ),
            _verdict(
                "contract PDF 200 lines",
                "p95 ms",
                pdf["200 lines"]["p95_ms"],
                f"≤ {PDF_200_LINES_MS}",
                pdf["200 lines"]["p95_ms"] <= PDF_200_LINES_MS,
            ),
        ]
    return out


def _mark(ok: bool | None) -> str:
    return {True: "✅ met", False: "❌ missed", None: "— (full scale only)"}[ok]


def _table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(data: dict) -> str:
    m = data["machine"]
    load = data["load"]
    scale = load.get("scale", {})
    results = data["results"]
    parts = [
        f"# Benchmark results — scale {data['scale']:g}",
        "",
        f"Run {data['generated_at']} with `python -m bench --scale {data['scale']:g}` "
        f"({data['total_seconds']} s in all).",
        "",
        "## Machine",
        "",
        _table(
            ["CPU", "cores", "memory", "OS", "Python", "Django", "PostgreSQL"],
            [
                [
                    m["cpu"],
                    m["cores"],
                    f"{m['memory_gb']} GB",
                    m["os"],
                    m["python"],
                    m["django"],
                    m["postgresql"],
                ]
            ],
        ),
        "",
        "## Data",
        "",
        _table(
            ["companies", "end customers", "solutions", "SKUs", "orders", "ledger entries"],
            [
                [
                    f"{scale.get('companies', 0):,}",
                    f"{scale.get('end_customers', 0):,}",
                    f"{scale.get('solutions', 0):,}",
                    f"{scale.get('skus', 0):,}",
                    f"{scale.get('orders', 0):,}",
                    f"{scale.get('ledger_entries', 0):,}",
                ]
            ],
        ),
        "",
        f"Loaded in **{load.get('seconds')} s**"
        + (" (reused from an earlier run)" if load.get("reused") else "")
        + f"; order lines {load.get('rows', {}).get('order lines', 0):,}, "
        f"statement lines {load.get('rows', {}).get('statements+lines', 0):,}.",
        "",
        "<details><summary>Load steps (s)</summary>",
        "",
        _table(["step", "seconds"], [[k, v] for k, v in load.get("steps", {}).items()]),
        "",
        "</details>",
        "",
    ]
    if results.get("changelists"):
        parts += [
            "## Console changelists beside plain `admin.ModelAdmin`",
            "",
            "Signed in as a superuser (sees every company). Baseline: the same model, "
            "columns, filter and search on a stock `ModelAdmin` (bench/baseline.py), "
            "measured in the same run.",
            "",
            _table(
                [
                    "list",
                    "query",
                    "console queries",
                    "console p50 ms",
                    "console p95 ms",
                    "baseline queries",
                    "baseline p50 ms",
                    "baseline p95 ms",
                    "× faster (p95)",
                ],
                [
                    [
                        row["list"],
                        row["variant"],
                        row["console"]["queries"],
                        row["console"]["p50_ms"],
                        row["console"]["p95_ms"],
                        row["baseline"]["queries"],
                        row["baseline"]["p50_ms"],
                        row["baseline"]["p95_ms"],
                        row["speedup_p95"],
                    ]
                    for row in results["changelists"]
                ],
            ),
            "",
        ]
    if results.get("portal"):
        parts += [
            "## Portal pages",
            "",
            "Signed in as a partner administrator; warm caches as in production.",
            "",
            _table(
                ["page", "url", "queries", "p50 ms", "p95 ms"],
                [
                    [r["page"], f"`{r['url']}`", r["queries"], r["p50_ms"], r["p95_ms"]]
                    for r in results["portal"]
                ],
            ),
            "",
        ]
    checkout = results.get("checkout")
    if checkout:
        parts += [
            "## Checkout throughput under gunicorn",
            "",
            f"gunicorn (deploy/gunicorn.conf.py) with {checkout['workers']} workers × "
            f"{checkout['threads']} threads; {checkout['clients']} closed-loop clients on "
            f"loopback for {checkout['duration_s']} s per phase. One checkout = the buy-now "
            "POST and the 同意 POST that places the order (offline payment, rebate spent).",
            "",
            _table(
                ["phase", "per second", "p50 ms", "p95 ms"],
                [
                    [
                        "trivial view (requests)",
                        checkout["trivial_rps"],
                        checkout["trivial_p50_ms"],
                        checkout["trivial_p95_ms"],
                    ],
                    [
                        "checkout (whole checkouts)",
                        checkout["checkout_rps"],
                        checkout["checkout_p50_ms"],
                        checkout["checkout_p95_ms"],
                    ],
                    ["checkout (HTTP requests)", checkout["checkout_request_rps"], "", ""],
                ],
            ),
            "",
            f"Orders placed: {checkout['orders_created']:,}; errors: {checkout['errors']}; "
            f"`check_ledgers` mismatches afterwards: {checkout['ledger_mismatches']}.",
            "",
        ]
    statements = results.get("statements")
    if statements:
        parts += [
            "## Monthly statement generation",
            "",
            _table(
                [
                    "month",
                    "statements",
                    "lines",
                    "seconds",
                    "peak MB",
                    "bare SQL aggregate s",
                    "× SQL",
                ],
                [
                    [
                        statements["period"],
                        f"{statements['statements']:,}",
                        f"{statements['lines']:,}",
                        statements["seconds"],
                        statements["peak_rss_mb"],
                        statements["sql_aggregate_seconds"],
                        statements["ratio_to_sql"],
                    ]
                ],
            ),
            "",
        ]
    excel = results.get("excel")
    if excel:
        parts += [
            "## Excel export of statement lines",
            "",
            _table(
                ["statements", "lines", "seconds", "peak MB", "file KiB"],
                [
                    [
                        excel["statements"],
                        f"{excel['lines']:,}",
                        excel["seconds"],
                        excel["peak_rss_mb"],
                        f"{excel['file_kib']:,}",
                    ]
                ],
            ),
            "",
        ]
    pdf = results.get("pdf")
    if pdf:
        parts += [
            "## Contract PDF",
            "",
            _table(
                ["lines", "p50 ms", "p95 ms"],
                [[k, pdf[k]["p50_ms"], pdf[k]["p95_ms"]] for k in ("2 lines", "200 lines")],
            ),
            "",
            f"Font registration, once per process: {pdf['font_registration_ms']} ms.",
            "",
        ]
    parts += [
        "## Targets",
        "",
        _table(
            ["scenario", "figure", "value", "target", "verdict"],
            [
                [v["scenario"], v["what"], v["value"], v["target"], _mark(v["ok"])]
                for v in data["verdicts"]
            ],
        ),
        "",
    ]
    return "\n".join(parts)
