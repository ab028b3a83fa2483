"""Settings for ``python -m bench``: the project's base settings, production-like.

DEBUG off, a PostgreSQL ``DATABASE_URL`` (required), tasks queued to the broker as in
production (nobody consumes them during a run), and the bench URLconf, which adds the
plain-``ModelAdmin`` baseline site and the trivial view used as the throughput ceiling.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault(
    "MEDIA_ROOT", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "bench-media")
)

from backoffice.settings.base import *  # noqa: E402, F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"level": "WARNING", "handlers": ["console"]},
}
