"""Settings of the qcluster subprocesses of tests/backoffice/test_worker_kill.py.

The base settings (Redis broker from REDIS_URL, the test database from DATABASE_URL, the
outbox timings from OUTBOX_*), with a mail backend that records every delivery as a file.
"""

from backoffice.settings.base import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "tests.backoffice.worker_kill_support.RecordingBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
