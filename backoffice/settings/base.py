"""Base settings, read from the environment.

Development defaults are embedded (SQLite under var/, django-q2 ORM broker, mails
written to files under var/mail/), so ``make run`` works on a fresh machine.
Production overrides live in ``production.py`` and have no defaults for secrets.
"""

import ipaddress
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # unfold and its contrib apps must come before django.contrib.admin
    "unfold.apps.BasicAppConfig",  # our AdminConfig supplies the site class
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "backoffice.admin.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "axes",
    "django_otp",  # staff two-factor login: authenticator apps (TOTP) and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",  # request and database metrics at /metrics (README "Metrics")
    # the kernel (label "backoffice"): outbox, document counters
    "backoffice.core",
    # after the kernel, whose `manage.py qcluster` (backoffice/core/worker.py) replaces its own
    "django_q",
    # domain apps
    "partners",
    "catalog",
    "billing",
    "contracts",
    # front doors (after the domain apps and django_q so their admin registrations win)
    "backoffice",
    "backoffice.portal",
    "backoffice.api.apps.ApiConfig",
    "ninja",  # the partner API's Swagger UI assets (static files, no CDN)
]

MIDDLEWARE = [
    # First and last: django-prometheus times and counts every request (README "Metrics").
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (section below); above XFrameOptionsMiddleware, whose
    # header it turns into frame-ancestors.
    "backoffice.csp.FrontDoorCSPMiddleware",
    "backoffice.middleware.RequestIdMiddleware",
    "backoffice.middleware.TrustedProxyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "backoffice.middleware.ChineseFirstLocaleMiddleware",
    # /api/: the language from Accept-Language (the pages ignore it).
    "backoffice.api.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second login step (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions end after STAFF_SESSION_IDLE_TIMEOUT idle / STAFF_SESSION_MAX_AGE.
    "backoffice.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Reverse proxies in front of the app (addresses or networks, comma-separated), e.g.
# "127.0.0.1,::1" with nginx on the same machine. Their X-Forwarded-For gives the
# client address (TrustedProxyMiddleware); empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-level overrides of third-party templates (admin dashboard).
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The console's app config is django.contrib.admin's: its tag library by name.
            "libraries": {"console_list": "backoffice.admin.templatetags.console_list"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",  # csp_nonce, {% csp_nonce_attr %}
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.portal.context_processors.portal",
                "backoffice.portal.context_processors_catalog.catalog_menu",
            ],
        },
    },
]

# --- Content-Security-Policy -------------------------------------------------
# Django's built-in CSP support (django-csp, upstreamed into Django 6.0): no extra
# dependency, and django.contrib.admin's templates already print its nonce. The policy
# allows no inline script anywhere: templates load JS and CSS from static files, and the
# few <script>/<style> elements that must stay inline carry the per-request nonce
# ({% csp_nonce_attr %}). frame-ancestors is added per response from X-Frame-Options
# (backoffice.csp.FrontDoorCSPMiddleware).
# PAYMENT_GATEWAY_ORIGINS: origins the payment pages post or redirect to (form-action
# applies to the redirect after a form, too), e.g. "https://openapi.alipay.com".
PAYMENT_GATEWAY_ORIGINS = env_list("PAYMENT_GATEWAY_ORIGINS")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF, *PAYMENT_GATEWAY_ORIGINS],
}
# The staff console (/admin/, django-unfold) needs two relaxations, nothing more:
# - 'unsafe-eval' for scripts: unfold ships Alpine.js's standard build, which evaluates
#   every x-data / x-on / x-bind expression with `new Function`; unfold's templates are
#   full of them, so Alpine's CSP build is no option. Inline script stays forbidden.
# - style="" attributes (style-src-attr): unfold writes them from Python (pygments-
#   highlighted JSON fields and task tracebacks, unfold.utils.prettify_json), in its
#   templates (avatars, progress bars, image thumbnails) and through Alpine's x-bind:style;
#   overriding a library's Python is unreasonable. <style> elements still need the nonce.
# The portal has neither and keeps the strict policy.
SECURE_CSP_CONSOLE = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.NONCE, CSP.UNSAFE_EVAL],
    "style-src-attr": [CSP.UNSAFE_INLINE],
}

# --- Database --------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
# Persistent connections (60 s) with a health check: a connection reused by a new
# request is tested first (one "SELECT 1"-like ping per request) and reopened when the
# server dropped it (failover, restart, terminated backend), instead of failing with a 500.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Auth ------------------------------------------------------------------
AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses attempts while locked out
    "partners.auth.PartnerAwareBackend",  # e-mail login; disabled/unactivated/company-disabled refused
]
# Login lockout (django-axes, backoffice.lockout): failures count per (account, client
# IP) and per client IP. A stranger's failures from another address never lock a staff
# member out; spraying many accounts from one address locks that address. The lock grows:
# AXES_COOLOFF_BASE at the limit, doubled for every further failure, capped at
# AXES_COOLOFF_MAX; failures are forgotten AXES_FAILURE_WINDOW after the last one.
# Wrong second-step codes (two-factor login) count like wrong passwords.
AXES_HANDLER = "backoffice.lockout.GrowingLockoutHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_BASE = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "1")))
AXES_COOLOFF_MAX = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MAX_MINUTES", "60")))
AXES_FAILURE_WINDOW = timedelta(hours=24)
# What is left of the lock, for the lockout page (axes calls it with the request).
AXES_COOLOFF_TIME = "backoffice.lockout.remaining_cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_LOCKOUT_CALLABLE = "backoffice.lockout.lockout_response"
# A refused attempt during a lock neither counts nor extends it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "partners.auth.axes_username"
AXES_LOCKOUT_TEMPLATE = "portal/auth/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_IPWARE_PROXY_COUNT", "0")) or None
REMEMBER_ME_AGE = 14 * 24 * 3600
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"

# --- Staff two-factor login and sessions -------------------------------------
# Roles (partners.staff_roles.StaffRole values, comma-separated) whose members must log in
# to the console with a second factor; Django superusers count as superadmin. Members of
# other roles may enrol from the console's user menu.
STAFF_2FA_REQUIRED_ROLES = env_list("STAFF_2FA_REQUIRED_ROLES", "superadmin,finance")
STAFF_2FA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "云睐 AggreSmart"
# Staff sessions end after this long without a request, and this long after login
# (seconds). Partner sessions keep SESSION_COOKIE_AGE / REMEMBER_ME_AGE.
STAFF_SESSION_IDLE_TIMEOUT = int(os.environ.get("STAFF_SESSION_IDLE_TIMEOUT", str(30 * 60)))
STAFF_SESSION_MAX_AGE = int(os.environ.get("STAFF_SESSION_MAX_AGE", str(12 * 3600)))

# --- i18n ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "django_language"
# One date format in both languages, console and portal: 2026-12-03 14:52.
FORMAT_MODULE_PATH = ["backoffice.formats"]

# --- Static and media ------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Two media storages: "default" holds public catalogue media (logos, images, banners,
# resources) and "private" holds partner uploads, contracts and invoices, which are
# only ever served by permission-checked views (backoffice.core.storage.private_storage).
# On disk they are MEDIA_ROOT and MEDIA_ROOT/private. AWS_STORAGE_BUCKET_NAME moves
# both to one S3-compatible bucket (django-storages): private files under "private/"
# (private ACL, short-lived signed URLs), public ones under "public/" (plain URLs; the
# bucket must let anyone read public/*, by ACL or by bucket policy).
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "custom_domain": None,
        "file_overwrite": False,
        **{
            option: os.environ[variable]
            for option, variable in {
                "endpoint_url": "AWS_S3_ENDPOINT_URL",
                "region_name": "AWS_S3_REGION_NAME",
                "access_key": "AWS_ACCESS_KEY_ID",
                "secret_key": "AWS_SECRET_ACCESS_KEY",
                "addressing_style": "AWS_S3_ADDRESSING_STYLE",
            }.items()
            if os.environ.get(variable)
        },
    }
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3_options,
                "location": "public",
                # "" sends no ACL (buckets with ACLs disabled; grant read by policy).
                "default_acl": os.environ.get("AWS_PUBLIC_ACL", "public-read") or None,
                "querystring_auth": False,
            },
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3_options,
                "location": "private",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": int(os.environ.get("AWS_QUERYSTRING_EXPIRE", "300")),
            },
        },
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "backoffice.core.storage.PrivateFileSystemStorage"},
    }
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- E-mail ----------------------------------------------------------------
# MAIL_BACKEND: "file" (default: one .log file per mail under var/mail/, open them
# to follow activation links), "smtp" (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) or "console".
MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
if MAIL_BACKEND == "smtp":
    _mailer = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "587")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
            "timeout": 20,
        },
    }
elif MAIL_BACKEND == "console":
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
elif MAIL_BACKEND == "file":
    _mailer = {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
    }
else:
    raise ImproperlyConfigured(f"MAIL_BACKEND must be file, smtp or console, not {MAIL_BACKEND!r}.")
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "云睐 AggreSmart <noreply@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "bcss-support@oe.21vianet.com")
# Absolute base of links in mails (activation, password reset).
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
ACTIVATION_LINK_MAX_AGE = int(os.environ.get("ACTIVATION_LINK_MAX_AGE", str(3 * 24 * 3600)))
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(2 * 3600)))
# Finance postings above this amount need a second finance user (four-eyes).
FOUR_EYES_THRESHOLD = Decimal(os.environ.get("FOUR_EYES_THRESHOLD", "10000.00"))
# Monthly statements: on PostgreSQL they are generated inside the database
# (billing/statements/generation_sql.py); False runs the portable Python path there too.
STATEMENTS_GENERATE_IN_DATABASE = env_bool("STATEMENTS_GENERATE_IN_DATABASE", True)

# --- Online payments (billing/payments) --------------------------------------
# PAYMENT_PROVIDER: where new online payments go. "alipay" (电脑网站支付) in production;
# "sandbox" (built-in stand-in, signs with PAYMENT_SANDBOX_SECRET) only for development
# and tests: `check --deploy` refuses it. Empty: online payment is switched off.
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "sandbox" if DEBUG else "")
PAYMENT_SANDBOX_SECRET = os.environ.get("PAYMENT_SANDBOX_SECRET", "") or (
    "dev-only-sandbox-payment-key" if DEBUG else ""  # noqa: S105
)
# Alipay open platform: app id, our RSA2 private key (signs requests), Alipay's public key
# (verifies notifications); PEM text or the bare base64 body. Optional seller (PID) check.
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
ALIPAY_APP_PRIVATE_KEY = os.environ.get("ALIPAY_APP_PRIVATE_KEY", "")
ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY", "")
ALIPAY_SELLER_ID = os.environ.get("ALIPAY_SELLER_ID", "")
ALIPAY_GATEWAY = os.environ.get("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")

# --- Webhooks (partners.webhooks) -------------------------------------------
# Deliveries time out after WEBHOOKS_TIMEOUT_SECONDS. An endpoint must be https; plain http
# only with WEBHOOKS_ALLOW_HTTP. Private, loopback and link-local addresses are refused
# unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS (development and tests: `check --deploy` refuses
# both). An endpoint failing for WEBHOOKS_DISABLE_AFTER_HOURS is disabled.
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "5"))
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", DEBUG)
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", DEBUG)
WEBHOOKS_DISABLE_AFTER_HOURS = int(os.environ.get("WEBHOOKS_DISABLE_AFTER_HOURS", "24"))

# --- Tasks (django-q2) -----------------------------------------------------
# What a killed worker (SIGKILL, OOM) loses, per broker (README "Task worker faults"):
# - Redis (REDIS_URL): the cluster pops tasks with BLPOP and never acknowledges them, so
#   every task it holds dies with it: the ones running, the ones waiting in its internal
#   queue (queue_limit) and the one its pusher has in hand. queue_limit = workers keeps
#   that prefetch to one task per worker (it was 50).
# - ORM (no REDIS_URL): a fetched task stays in the table, locked for `retry` seconds, and
#   is deleted only when its result is saved; a killed cluster's tasks come back after
#   `retry` (which must exceed `timeout`, or a slow task would run twice). bulk = 1 claims
#   one task per fetch. A task that raised is not acknowledged (ack_failures off) and runs
#   again, up to max_attempts runs.
# Neither guarantees a mail: the outbox lease and its sweeper do (backoffice/core/mail.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_WORKERS = int(os.environ.get("Q_WORKERS", "2"))
Q_CLUSTER = {
    "name": "backoffice",
    "workers": Q_WORKERS,
    "timeout": 600,
    "retry": 900,
    "max_attempts": 3,
    "ack_failures": False,
    "queue_limit": Q_WORKERS,
    "bulk": 1,
    "catch_up": False,
    "label": _("Task queue"),
}
# `manage.py qcluster` on SIGTERM/SIGINT (backoffice/core/worker.py): running tasks get
# Q_STOP_GRACE seconds to finish, then are interrupted and put back in the queue; a worker
# still alive Q_STOP_KILL_AFTER seconds later is killed. The whole stop stays under 10 s.
Q_STOP_GRACE = float(os.environ.get("Q_STOP_GRACE", "4"))
Q_STOP_KILL_AFTER = float(os.environ.get("Q_STOP_KILL_AFTER", "2"))
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Outbox (backoffice/core/mail.py): a worker's claim on a mail lasts OUTBOX_LEASE_SECONDS (far
# longer than one SMTP send); a queued mail no task claimed within
# OUTBOX_CLAIM_WITHIN_SECONDS is sent by the sweeper's batch; a mail whose claim expired
# OUTBOX_MAX_ATTEMPTS times is marked failed.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
OUTBOX_CLAIM_WITHIN_SECONDS = int(os.environ.get("OUTBOX_CLAIM_WITHIN_SECONDS", "120"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))

# --- Metrics (README "Metrics") -----------------------------------------------
# /metrics answers a scraper that sends "Authorization: Bearer <METRICS_TOKEN>" (compared
# in constant time) and, when METRICS_ALLOWED_NETWORKS is set (addresses or networks,
# comma-separated, matched against the client address after TrustedProxyMiddleware),
# only from those networks. With neither set it answers 404, except in development.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS")
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_network!r}: {_error}") from None

# --- Caches ----------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Throttling of the anonymous forms ----------------------------------------
# backoffice/throttle.py: registration, password reset, activation resend, consultation
# ticket and trial application, each per client address (REMOTE_ADDR as set by
# TrustedProxyMiddleware; IPv6 per /64) and per e-mail, in a sliding window counted in
# the cache above (Redis: shared by all web processes; locmem: per process). A rate is
# "<count>/<period>", period s, m, h or d with an optional number ("5/h", "20/15m").
# --- Partner API (backoffice/api) ---------------------------------------------
# Requests per key ("<count>/<period>" as the throttle rates below; sliding window in
# the cache, shared by all web processes with Redis).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/m")
# last_used_at of a key is written at most once per this many seconds.
API_KEY_TOUCH_INTERVAL = int(os.environ.get("API_KEY_TOUCH_INTERVAL", "60"))

THROTTLE_IP_RATE = os.environ.get("THROTTLE_IP_RATE", "20/h")
THROTTLE_EMAIL_RATE = os.environ.get("THROTTLE_EMAIL_RATE", "5/h")
THROTTLE_RATES = {
    scope: {"ip": THROTTLE_IP_RATE, "email": THROTTLE_EMAIL_RATE}
    for scope in ("registration", "password_reset", "activation_resend", "ticket", "trial")
}

# --- simple-history --------------------------------------------------------
# History is an audit trail: staff read it, nobody reverts from it (a revert would write
# around the services). backoffice.admin.base.ScopedViewsMixin enforces it; this hides
# the button too.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- import-export ---------------------------------------------------------
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# The formats offered, fixed: import-export's default list grows with whatever tablib
# extras happen to be installed (moto brings PyYAML, which added a YAML choice).
from import_export.formats import base_formats as _formats  # noqa: E402

IMPORT_EXPORT_FORMATS = [_formats.CSV, _formats.XLSX, _formats.TSV, _formats.JSON, _formats.HTML]
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Importing needs the model's add permission, exporting its view permission.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# A console export of more rows than this runs as a task (我的导出, backoffice/admin/exports.py).
EXPORT_ASYNC_THRESHOLD = int(os.environ.get("EXPORT_ASYNC_THRESHOLD", "5000"))

# --- Files -----------------------------------------------------------------
CJK_FONT_PATH = os.environ.get("CJK_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Logging ---------------------------------------------------------------
# Everything goes to stderr (systemd's journal, or the platform's log collector).
# LOG_FORMAT: "plain" (default here) or "json" (default in production): one JSON object
# per line with time, level, logger, message, request_id and exception
# (backoffice/logging.py). The request id comes from RequestIdMiddleware.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "backoffice.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "backoffice.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Staff console (django-unfold) -----------------------------------------
# Callables are dotted paths so settings import nothing from the apps.
UNFOLD = {
    "SITE_TITLE": _("云睐 AggreSmart staff console"),
    "SITE_HEADER": "云睐 AggreSmart",
    "SITE_SUBHEADER": _("Staff console"),
    "SITE_URL": "/",
    "SITE_SYMBOL": "cloud",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": True,
    "SHOW_LANGUAGES": True,
    "SHOW_BACK_BUTTON": True,
    "ENVIRONMENT": "backoffice.admin.dashboard.environment_callback",
    "DASHBOARD_CALLBACK": "backoffice.admin.dashboard.dashboard_callback",
    "COLORS": {
        "primary": {
            "50": "oklch(97.0% .014 254.604)",
            "100": "oklch(93.2% .032 255.585)",
            "200": "oklch(88.2% .059 254.128)",
            "300": "oklch(80.9% .105 251.813)",
            "400": "oklch(70.7% .165 254.624)",
            "500": "oklch(62.3% .214 259.815)",
            "600": "oklch(54.6% .245 262.881)",
            "700": "oklch(48.8% .243 264.376)",
            "800": "oklch(42.4% .199 265.638)",
            "900": "oklch(37.9% .146 265.522)",
            "950": "oklch(28.2% .091 267.935)",
        },
    },
    # The user menu: two-factor login (enrol, recovery codes) and the password.
    "ACCOUNT": {"navigation": "backoffice.admin.twofactor.account_links"},
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "backoffice.admin.navigation.sidebar_navigation",
    },
}
