"""``python -m bench``: load the data at a scale, run every scenario, write the results.

    python -m bench                     # full scale into database bench_s1
    python -m bench --scale 0.01        # 1 %: about a minute, what CI runs
    python -m bench --reuse             # keep the loaded data of an earlier run
    python -m bench --only portal,pdf   # some scenarios only

The database comes from ``--database-url`` (or ``BENCH_DATABASE_URL``), by default
``postgres://postgres@127.0.0.1:5432/bench_s<scale>`` on this machine. Without
``--reuse`` it is dropped, created, migrated and filled. Results go to
``bench/results/<date>-scale-<scale>.md`` (and ``.json``) unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = (
    "changelists",
    "dashboard",
    "portal",
    "partner",
    "checkout",
    "statements",
    "export",
    "excel",
    "pdf",
)
# Orders in the console's Excel export (every order when there are fewer: below scale 0.1).
EXPORT_ORDERS = 100_000


def scale_tag(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--reuse", action="store_true", help="keep data loaded at this scale")
    parser.add_argument("--drop-after", action="store_true", help="drop the database at the end")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {SCENARIOS}, or none (load only)"
    )
    parser.add_argument("--runs", type=int, default=40, help="requests per page measured")
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--checkout-clients", type=int, default=8)
    parser.add_argument("--checkout-duration", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    if not args.database_url:
        args.database_url = f"postgres://postgres@127.0.0.1:5432/bench_s{scale_tag(args.scale)}"
    args.scenarios = [s for s in (args.only.split(",") if args.only else SCENARIOS) if s]
    if args.only == "none":
        args.scenarios = []
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


# --------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not parts.scheme.startswith("postgres"):
        raise SystemExit("The benchmark needs a PostgreSQL database URL (postgres://…/name).")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(url: str, *, drop: bool) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def loaded_meta() -> dict | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT data FROM bench_meta ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def save_meta(data: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (id serial PRIMARY KEY, data text)")
        cursor.execute("INSERT INTO bench_meta (data) VALUES (%s)", [json.dumps(data)])


# --------------------------------------------------------------------------
# Machine
# --------------------------------------------------------------------------


def machine() -> dict:
    import django
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
    }


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------


def run_worker(name: str, **kwargs) -> dict:
    """A scenario in a fresh interpreter (its own peak memory)."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.worker", name, json.dumps(kwargs)],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.worker {name} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_scenarios(args: argparse.Namespace, log) -> dict:
    from . import checkout, scenarios

    results: dict = {}
    timings: dict = {}

    def timed(name, function):
        if name not in args.scenarios:
            return
        log(f"- {name} …")
        started = time.perf_counter()
        results[name] = function()
        timings[name] = round(time.perf_counter() - started, 1)
        log(f"  done in {timings[name]} s")

    timed(
        "changelists",
        lambda: scenarios.changelists(runs=args.runs, baseline_runs=args.baseline_runs),
    )
    timed("dashboard", lambda: scenarios.dashboard(runs=args.runs))
    timed("portal", lambda: scenarios.portal(runs=args.runs))
    timed("partner", lambda: scenarios.portal_heavy(runs=args.runs))
    timed(
        "checkout",
        lambda: checkout.run(
            clients=args.checkout_clients,
            duration=args.checkout_duration,
            workers=args.workers,
            threads=args.threads,
        ),
    )
    timed(
        "statements",
        lambda: run_worker("statements", period=scenarios.last_full_month_key()),
    )
    timed(
        "export",
        lambda: run_worker("export", orders=EXPORT_ORDERS),
    )
    timed(
        "excel",
        lambda: run_worker("excel", lines=max(1_000, round(100_000 * args.scale))),
    )
    timed("pdf", lambda: run_worker("pdf", runs=max(5, args.runs)))
    results["_seconds"] = timings
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sys.path.insert(0, str(ROOT))

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.perf_counter()
    recreate_database(args.database_url, drop=not args.reuse)

    import django

    django.setup()
    from django.core.management import call_command

    from . import report
    from .generate import generate

    log("Migrating …")
    migrate_started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"  migrate {time.perf_counter() - migrate_started:.1f} s")
    meta = loaded_meta() if args.reuse else None
    if meta and meta.get("scale", {}).get("factor") == args.scale:
        log(f"Reusing the data loaded at scale {args.scale} ({meta['seconds']} s then).")
        load = {**meta, "reused": True}
    else:
        load = generate(args.scale, log=log)
        save_meta(load)

    log("Scenarios:")
    results = run_scenarios(args, log)
    data = {
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "scale": args.scale,
        "machine": machine(),
        "load": load,
        "results": results,
        "options": {
            "runs": args.runs,
            "baseline_runs": args.baseline_runs,
            "checkout_clients": args.checkout_clients,
            "checkout_duration": args.checkout_duration,
        },
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    data["verdicts"] = report.verdicts(data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now():%Y-%m-%d}-scale-{scale_tag(args.scale)}"
    (out / f"{stem}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    (out / f"{stem}.md").write_text(report.markdown(data), encoding="utf-8")
    log(f"Results: {out / f'{stem}.md'}")
    missed = [v for v in data["verdicts"] if v["ok"] is False]
    for verdict in missed:
        log(f"  MISSED {verdict['scenario']}: {verdict['what']} = {verdict['value']}")
    if args.drop_after:
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
