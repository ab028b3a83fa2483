"""The multi-node rehearsal (deploy/cluster.sh), started once for tests/cluster/.

It runs exactly as ``make cluster`` does, on fresh ports, with a database, a bucket, a
Redis server and a state folder of its own (nothing is shared with the test database or
with a rehearsal someone runs by hand), and a mail backend that records deliveries
(tests/cluster/settings.py). Skipped where nginx is missing or the tests do not run on
PostgreSQL (CI's PostgreSQL pass runs them).
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.backoffice.test_db_health import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "cluster.sh"
BASH = shutil.which("bash") or "/bin/bash"
PSQL = shutil.which("psql") or "/usr/bin/psql"
START_TIMEOUT = 600  # a fresh database is migrated and loaded with the demo data first
LEASE_SECONDS = 8  # longer than a delivery: only a dead worker's claim expires
DELIVERY_SECONDS = 4


def nginx_missing() -> bool:
    return shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists()


def http_status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def template_name() -> str:
    """The template database of the rehearsal's tests: migrated and loaded with the demo
    data, named after the migrations and the demo fixtures it was built from, so it is
    rebuilt (once per machine) only when they change."""
    digest = hashlib.sha256()
    sources = sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("fixtures/*.py"))
    for path in sources:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return f"cluster_template_{digest.hexdigest()[:16]}"


class Rehearsal:
    """A running deploy/cluster.sh: its URLs, its processes and its manage.py."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.ports = {name: free_port() for name in ("proxy", "a", "b", "s3", "redis")}
        db = settings.DATABASES["default"]
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        self.server = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        self.database = f"cluster_test_{os.getpid()}"
        self.deliveries = directory / "delivered"
        self.deliveries.mkdir(parents=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLUSTER_"))},
            "CLUSTER_DIR": str(directory),
            "CLUSTER_PORT": str(self.ports["proxy"]),
            "CLUSTER_NODE_A_PORT": str(self.ports["a"]),
            "CLUSTER_NODE_B_PORT": str(self.ports["b"]),
            "CLUSTER_S3_PORT": str(self.ports["s3"]),
            "CLUSTER_REDIS_PORT": str(self.ports["redis"]),
            "CLUSTER_DB": self.database,
            "CLUSTER_PG": self.server,
            "CLUSTER_BUCKET": f"cluster-test-{os.getpid()}",
            "CLUSTER_SETTINGS": "tests.cluster.settings",
            "DELIVERY_DIR": str(self.deliveries),
            "DELIVERY_SECONDS": str(DELIVERY_SECONDS),
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "OUTBOX_CLAIM_WITHIN_SECONDS": "2",
            "THROTTLE_IP_RATE": "1000/h",
        }
        self.proxy = f"http://127.0.0.1:{self.ports['proxy']}"
        self.node = {
            "a": f"http://127.0.0.1:{self.ports['a']}",
            "b": f"http://127.0.0.1:{self.ports['b']}",
        }
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "cluster.out"

    # --- lifecycle ---
    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [BASH, str(SCRIPT), "up"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ready = self.directory / "run" / "ready"
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the rehearsal did not start:\n{self.tail()}")
            time.sleep(0.5)

    def stop(self) -> float:
        """Ctrl-C, as an operator stops it; returns the seconds it took."""
        started = time.monotonic()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        return time.monotonic() - started

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [PSQL, f"{self.server}/{database}", "-tAqc", sql],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def prepare_template(self) -> None:
        """Make the template database if this machine has none for the current migrations
        (migrate + loaddemo: minutes on a busy machine; later runs copy it in a second)."""
        name = template_name()
        self.env["CLUSTER_TEMPLATE"] = name
        known = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"  # noqa: S608 (a digest)
        if self.psql(known) == "1":
            return
        for stale in self.psql(
            "SELECT datname FROM pg_database WHERE datname LIKE 'cluster\\_template\\_%'"
        ).split():
            self.psql(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
        building = f"{name}_building"
        self.psql(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{building}"')
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "backoffice.settings.base",
            "DATABASE_URL": f"{self.server}/{building}",
            "REDIS_URL": "",
            "VAR_DIR": str(self.directory / "template"),
        }
        for command in (["migrate", "--no-input", "-v", "0"], ["loaddemo"]):
            done = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
            )
            assert done.returncode == 0, done.stderr[-3000:]
        self.psql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')

    def drop_database(self) -> None:
        subprocess.run(
            [
                PSQL,
                f"{self.server}/postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            ],
            capture_output=True,
            timeout=60,
        )

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # --- acting on it ---
    def sh(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [BASH, str(SCRIPT), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"cluster.sh {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def python(self, code: str):
        """Run ``code`` in ``manage.py shell`` with the rehearsal's environment; it must
        print one JSON value as its last line, which is returned."""
        out = self.sh("manage", "shell", "-v", "0", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def pid(self, name: str) -> int:
        return int((self.directory / "run" / f"{name}.pid").read_text())


@pytest.fixture(scope="session")
def rehearsal(tmp_path_factory):
    if nginx_missing():
        pytest.skip("needs nginx (scripts/system-deps.sh cluster)")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL (the rehearsal runs on the machine's server)")
    cluster = Rehearsal(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.prepare_template()
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        cluster.drop_database()
