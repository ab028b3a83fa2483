"""Settings of the rehearsal's processes under tests/cluster/ (CLUSTER_SETTINGS).

The base settings the rehearsal uses (Redis, S3, PostgreSQL from the environment
deploy/cluster.sh sets), with a mail backend that records every delivery as a file in
DELIVERY_DIR, slowly (DELIVERY_SECONDS), so a worker can be killed in the middle of one.
"""

from backoffice.settings.base import *  # noqa: F403

MAILERS = {"default": {"BACKEND": "tests.backoffice.worker_kill_support.RecordingBackend"}}
