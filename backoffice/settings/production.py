"""Production settings: no defaults for secrets, hardened transport and cookies.

Required environment: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL),
CSRF_TRUSTED_ORIGINS (https origins). Optional: REDIS_URL, EMAIL_* settings, AWS_* (S3
media), TRUSTED_PROXIES, LOG_FORMAT, Q_SCHEDULER, METRICS_*, SENTRY_*. deploy/env.example documents them all.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("MAIL_BACKEND", "smtp")
os.environ.setdefault("LOG_FORMAT", "json")

from .base import *  # noqa: E402,F403

DEBUG = False
if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")

if os.environ.get("MAIL_BACKEND", "smtp") == "file":
    raise ImproperlyConfigured(
        "Production sends real mail: set MAIL_BACKEND=smtp and EMAIL_* settings."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe the health check over plain HTTP on the private network.
# So does Prometheus /metrics (token or network protected, README "Metrics").
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (base.py): every payment gateway origin in form-action must be
# an https origin (a host, or *.domain for its subdomains), nothing wider: no path, no
# bare wildcard, no plain http.
for _origin in PAYMENT_GATEWAY_ORIGINS:
    if not re.fullmatch(r"https://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(:[0-9]+)?", _origin):
        raise ImproperlyConfigured(
            f"PAYMENT_GATEWAY_ORIGINS: {_origin!r} is not an https origin "
            "(e.g. https://openapi.alipay.com)."
        )

# Media storages (disk, or S3 when AWS_STORAGE_BUCKET_NAME is set) come from base.py.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# JSON log lines by default (LOG_FORMAT=plain for humans), see base.py.
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")

# Scheduled tasks: every qcluster runs the scheduler unless Q_SCHEDULER=0. Schedules are
# claimed under a row lock, so several schedulers on PostgreSQL do not run a schedule
# twice; still, the README advises one scheduler (Q_SCHEDULER=0 on extra workers).
Q_CLUSTER["scheduler"] = env_bool("Q_SCHEDULER", True)

# Database metrics (README "Metrics"): django-prometheus' wrapper of the same engine
# counts connections, queries and their duration. Only here: development and tests keep
# Django's engine names. METRICS_DATABASE=0 turns it off.
if env_bool("METRICS_DATABASE", True):
    for _database in DATABASES.values():
        if _database["ENGINE"].startswith("django.db.backends."):
            _database["ENGINE"] = _database["ENGINE"].replace(
                "django.db.backends.", "django_prometheus.db.backends.", 1
            )

# Error reporting (README "Metrics"): Sentry, only when SENTRY_DSN is set. No personal
# data (user, address, cookies, request bodies) unless SENTRY_SEND_DEFAULT_PII=1.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration()],
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        send_default_pii=env_bool("SENTRY_SEND_DEFAULT_PII", False),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
