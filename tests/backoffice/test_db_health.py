"""Dropped database connections heal without a server error (issue 22, finding 3).

gunicorn (deploy/gunicorn.conf.py, gthread workers) keeps one persistent connection per
thread (CONN_MAX_AGE 60). After a failover or a terminated backend, each of them used to
fail its next request with a 500; ``conn_health_checks`` makes Django test a reused
connection once per request and reconnect. The test serves the app from a real gunicorn
(the live_server fixture closes its connections after every request, so it would prove
nothing), terminates every backend of the test database between requests, and counts
server errors.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 60
TERMINATE_EVERY = 5


def database_url() -> str:
    """A DATABASE_URL for subprocesses, pointing at the test database."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 (local URL)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def terminate_other_backends() -> int:
    """pg_terminate_backend on every other connection to the test database; waits until
    they are gone and returns how many there were."""
    with connection.cursor() as cursor:
        # pg_stat_activity is a snapshot per transaction (the test runs in one): refresh it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def gunicorn_url(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.base",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",
        "DEBUG": "0",
        "SECRET_KEY": "test-only-gunicorn-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_MAX_REQUESTS": "0",
        "LOG_FORMAT": "plain",
        "VAR_DIR": str(tmp_path / "var"),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "backoffice.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get_status(f"{base}/healthz") == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_settings_turn_on_health_checks_for_persistent_connections():
    db = settings.DATABASES["default"]
    assert db["CONN_MAX_AGE"] > 0 and db["CONN_HEALTH_CHECKS"] is True


def test_terminated_backends_cause_no_server_errors(gunicorn_url):
    paths = ("/healthz", "/")
    # Warm every worker thread up, so each holds its own persistent connection.
    for index in range(8):
        get_status(gunicorn_url + paths[index % 2])
    statuses: list[tuple[str, int]] = []
    terminated = 0
    for index in range(REQUESTS):
        if index % TERMINATE_EVERY == 0:
            terminated += terminate_other_backends()
        path = paths[index % 2]
        statuses.append((path, get_status(gunicorn_url + path)))
    # The server's connections outlived their requests (persistent) and were dropped.
    assert terminated >= REQUESTS // TERMINATE_EVERY
    assert [s for s in statuses if s[1] >= 500] == []
    assert {status for _, status in statuses} == {200}
