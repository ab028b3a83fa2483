"""gunicorn settings for the web tier: `gunicorn -c deploy/gunicorn.conf.py backoffice.wsgi`.

Everything can be tuned from the environment (deploy/env.example):

BIND                  address to listen on (default 127.0.0.1:8000; 0.0.0.0:$PORT when
                      only PORT is set, as on PaaS platforms)
WEB_CONCURRENCY       worker processes (default 2 x CPU cores + 1)
GUNICORN_THREADS      threads per worker (gthread workers, default 4)
GUNICORN_TIMEOUT      seconds before a silent worker is killed and restarted (default 60)
GUNICORN_MAX_REQUESTS recycle a worker after this many requests (default 1000, 0 = never),
                      with up to 10 % random jitter so workers do not restart together
FORWARDED_ALLOW_IPS   proxies trusted for X-Forwarded-* (default 127.0.0.1,::1)
LOG_LEVEL             gunicorn's own log level (default info)
LOG_FORMAT            "json" (default) or "plain" for gunicorn's error and access logs
"""

import multiprocessing
import os
import sys
from pathlib import Path

# The project root, so backoffice.logging imports even when gunicorn is started from
# elsewhere (systemd and the Procfile start it from the root already).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backoffice.logging import JsonFormatter, RequestIdFilter  # noqa: E402


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# --- Socket ----------------------------------------------------------------
if os.environ.get("BIND"):
    bind = [address.strip() for address in os.environ["BIND"].split(",") if address.strip()]
elif os.environ.get("PORT"):
    bind = [f"0.0.0.0:{os.environ['PORT']}"]
else:
    bind = ["127.0.0.1:8000"]
backlog = 2048

# --- Workers ---------------------------------------------------------------
# Threads keep a worker responsive while a request waits on PostgreSQL, Redis, S3 or
# SMTP; processes use the cores.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(max_requests // 10, 1) if max_requests else 0
# The heartbeat file is touched constantly: keep it in memory, not on a disk that may
# be slow (or read-only under systemd's ProtectSystem=strict).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# --- Proxy -----------------------------------------------------------------
# Only these addresses may set X-Forwarded-For/-Proto (the TLS-terminating proxy).
# Django reads X-Forwarded-Proto itself (SECURE_PROXY_SSL_HEADER): gunicorn must only
# be reachable from the proxy, which overwrites that header.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Same limits as nginx in front (deploy/nginx.conf.example).
limit_request_line = 8190
limit_request_fields = 100

# --- Logging ---------------------------------------------------------------
# Error log to stderr, access log to stdout, both one JSON object per line (with the
# request id the app put on the response) unless LOG_FORMAT=plain.
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
errorlog = "-"
accesslog = "-"
if os.environ.get("LOG_FORMAT", "json").strip().lower() == "json":
    # The JSON formatter adds method, path, status, bytes, duration_ms, remote_addr,
    # user_agent, referer and request_id as fields of their own.
    access_log_format = "%(m)s %(U)s %(s)s"
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
            },
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
else:
    access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" id=%({x-request-id}o)s'

# Control socket for `gunicornc` (gunicorn >= 25): in systemd's RuntimeDirectory when
# there is one (the unit's file system is read-only elsewhere), else gunicorn's default.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")

# Name the processes (visible in ps/top when setproctitle is installed).
proc_name = "aggresmart-web"
