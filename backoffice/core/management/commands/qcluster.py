"""``manage.py qcluster``: django-q2's command with a cluster that stops within seconds.

It replaces django-q2's own ``qcluster`` (same options) because ``backoffice.core`` comes
before ``django_q`` in ``INSTALLED_APPS``; the stop sequence is in
``backoffice/core/worker.py``.
"""

import logging
import os
import sys

from django.conf import settings
from django.core.management.base import CommandError
from django_q.management.commands import qcluster

from backoffice.core.worker import GracefulCluster


class Command(qcluster.Command):
    def handle(self, *args, **options):
        if not settings.SECRET_KEY:  # tasks are signed with it
            raise CommandError("SECRET_KEY is not set.")
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        cluster = GracefulCluster()
        cluster.start()
        if options.get("run_once"):
            cluster.stop()
        # django-q2 returns here and lets the interpreter's exit join the sentinel; waiting
        # here instead lets run_from_argv leave as soon as the cluster has stopped.
        while cluster.sentinel.is_alive():
            cluster.sentinel.join(timeout=1)

    def run_from_argv(self, argv):
        super().run_from_argv(argv)
        # The cluster has stopped and every child is gone: skip the interpreter's teardown
        # of a whole Django process, which alone takes seconds on a busy machine and would
        # eat into the 10 s systemd and the operator are promised (README).
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
