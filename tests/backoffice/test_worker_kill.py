"""A killed task worker loses no mail and doubles none (issue 22, finding 4).

A real ``manage.py qcluster`` on the Redis broker and the PostgreSQL test database sends
13 mails through a slow recording backend (tests/backoffice/worker_kill_support.py). It
is SIGKILLed mid-batch (the whole process group, like the OOM killer or systemd's
``KillMode=control-group``): the mail it was sending stays ``sending``, the tasks it had
popped from Redis (running, prefetched, in the pusher's hand) are gone, so their mails
stay ``queued``. The cluster is restarted (with two workers) and the sweeper runs, as its
schedule does every minute. Every mail must then be delivered exactly once (one delivery per Message-ID) and
no row left queued or sending.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from backoffice.core.models import OUTBOX_PENDING, OutboundEmail, OutboundEmailStatus
from tests.backoffice.test_db_health import database_url
from tests.backoffice.worker_kill_support import deliveries

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/5"  # this test's own Redis database
MAILS = 13
DELIVERY_SECONDS = 1.0
LEASE_SECONDS = 6

ENQUEUE = f"""
from django.db import transaction
from backoffice.core.mail import mail_enqueue
with transaction.atomic():
    for i in range({MAILS}):
        mail_enqueue(to=f"kill{{i}}@example.com", template="partners/mail/activation",
                     context={{"name": "王", "company_name": "Acme", "link": "http://x/a/",
                               "valid_days": 3}})
"""
SWEEP = "from backoffice.core.mail import outbox_sweep; print(outbox_sweep())"


@pytest.fixture
def redis_db():
    redis = pytest.importorskip("redis")
    client = redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("needs Redis at 127.0.0.1:6379")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def worker_env(tmp_path):
    outbox = tmp_path / "delivered"
    outbox.mkdir()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.backoffice.worker_kill_settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": "test-only-worker-kill-key",  # tasks are signed: same key everywhere
        "Q_WORKERS": "1",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_CLAIM_WITHIN_SECONDS": "2",
        "DELIVERY_DIR": str(outbox),
        "DELIVERY_SECONDS": str(DELIVERY_SECONDS),
        "VAR_DIR": str(tmp_path / "var"),
    }


def manage(env: dict, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Cluster:
    """``manage.py qcluster`` in a process group of its own (sentinel, pusher, workers)."""

    def __init__(self, env: dict, log: Path):
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL every process of the cluster (the OOM killer, a lost machine)."""
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self.log.close()

    def stop(self) -> None:
        """SIGTERM to the main process (systemd's KillMode=mixed): a graceful stop."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        else:
            with contextlib.suppress(ProcessLookupError):  # stray children, if any
                os.killpg(self.process.pid, signal.SIGKILL)
            self.log.close()


def wait_for(predicate, *, timeout: float, step: float = 0.05, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(step)


def statuses() -> Counter:
    return Counter(OutboundEmail.objects.values_list("status", flat=True))


def test_killed_worker_loses_no_mail_and_doubles_none(redis_db, worker_env, tmp_path):
    delivered_dir = Path(worker_env["DELIVERY_DIR"])
    manage(worker_env, ENQUEUE)
    assert redis_db.llen("django_q:backoffice:q") == MAILS  # the tasks wait in Redis

    cluster = Cluster(worker_env, tmp_path / "qcluster.log")
    try:
        # Kill it mid-batch: 0.4 s after the third delivery, inside the fourth send.
        wait_for(lambda: len(deliveries(delivered_dir)) >= 3, timeout=90, what="3 deliveries")
        time.sleep(0.4)
    finally:
        cluster.kill()
    after_kill = statuses()
    assert after_kill[OutboundEmailStatus.SENDING] == 1, after_kill  # killed mid-send
    lost = MAILS - after_kill[OutboundEmailStatus.SENT] - redis_db.llen("django_q:backoffice:q")
    assert lost >= 2, "tasks the killed cluster had popped (running, prefetched) are gone"

    # Restarted with two workers: the batches the sweeper queues run beside the sends.
    cluster = Cluster({**worker_env, "Q_WORKERS": "2"}, tmp_path / "qcluster.log")
    try:
        deadline = time.monotonic() + 120
        while OutboundEmail.objects.filter(status__in=OUTBOX_PENDING).exists():
            if time.monotonic() > deadline:
                pytest.fail(f"mails left pending: {statuses()}")
            time.sleep(LEASE_SECONDS / 2)
            manage(worker_env, SWEEP)  # what the every-minute schedule does
    finally:
        cluster.stop()

    assert statuses() == {OutboundEmailStatus.SENT: MAILS}
    expected = {email.message_id for email in OutboundEmail.objects.all()}
    counts = Counter(deliveries(delivered_dir))
    assert set(counts) == expected and len(expected) == MAILS
    assert [mid for mid, n in counts.items() if n != 1] == []  # exactly once each
    assert OutboundEmail.objects.filter(attempts__gte=2).count() >= 1  # the re-sent one
