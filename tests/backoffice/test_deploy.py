"""Production deployment: health check, request ids, JSON logs, proxy addresses, S3 media
switch, gunicorn configuration, systemd units and the example environment file."""

import configparser
import io
import json
import logging
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError, connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from backoffice.core.storage import PrivateFileSystemStorage
from backoffice.logging import JsonFormatter, RequestIdFilter, request_id_var
from backoffice.middleware import RequestIdMiddleware, TrustedProxyMiddleware

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HEALTHZ = "/healthz"


# --------------------------------------------------------------------------
# /healthz
# --------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_url_is_unchanged():
    assert reverse("portal:healthz") == HEALTHZ


@pytest.mark.django_db
def test_healthz_ok_with_the_orm_broker_reports_the_queue(client):
    OrmQ.objects.create(
        key=Conf.CLUSTER_NAME, payload="queued", lock=timezone.now() - timedelta(seconds=90)
    )
    # Claimed by a cluster (lock in the future): not counted as waiting.
    OrmQ.objects.create(
        key=Conf.CLUSTER_NAME, payload="running", lock=timezone.now() + timedelta(minutes=5)
    )

    response = client.get(HEALTHZ)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    broker = body["checks"]["broker"]
    assert broker["status"] == "ok"
    assert broker["type"] == "orm"
    assert broker["queued"] == 1
    assert 90 <= broker["oldest_queued_age_seconds"] < 120


@pytest.mark.django_db
def test_healthz_empty_queue_and_head_requests(client):
    body = client.get(HEALTHZ).json()
    assert body["checks"]["broker"]["queued"] == 0
    assert body["checks"]["broker"]["oldest_queued_age_seconds"] is None
    assert client.head(HEALTHZ).status_code == 200
    assert client.post(HEALTHZ).status_code == 405


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails_without_leaking_details(client, caplog):
    secret = "connection to 10.9.8.7 failed: password authentication failed for user bob"
    wrapper = type(connections["default"])  # the backend's class
    with mock.patch.object(wrapper, "cursor", side_effect=OperationalError(secret)):
        response = client.get(HEALTHZ)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "fail", "error": "unavailable"}
    assert body["checks"]["broker"]["status"] == "fail"  # the ORM queue is in that database
    assert "10.9.8.7" not in response.content.decode()
    assert "password" not in response.content.decode()
    # ... but the log has it, for the operator.
    assert any("database is unavailable" in r.getMessage() for r in caplog.records)


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections (kernel backlog) but never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["closed port", "silent server"])
def test_healthz_redis_broker_down_fails_fast_with_503(client, request, case):
    # Closed port: refused at once. Silent server: the socket timeout must cut it short.
    url = (
        "redis://127.0.0.1:1/0"
        if case == "closed port"
        else request.getfixturevalue("silent_server")
    )
    with override_settings(REDIS_URL=url):
        started = time.monotonic()
        response = client.get(HEALTHZ)
        elapsed = time.monotonic() - started

    assert elapsed < 3
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["broker"] == {"status": "fail", "type": "redis", "error": "unavailable"}
    assert "127.0.0.1" not in response.content.decode()


def _redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.django_db
@pytest.mark.skipif(not _redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_healthz_redis_broker_up_pings_and_counts(client):
    # Database 9 is ours for tests; the probe only sends PING and LLEN.
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/9"):
        response = client.get(HEALTHZ)

    assert response.status_code == 200
    broker = response.json()["checks"]["broker"]
    assert broker["status"] == "ok"
    assert broker["type"] == "redis"
    assert isinstance(broker["queued"], int)


# --------------------------------------------------------------------------
# Request ids and JSON logs
# --------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_id_is_echoed_from_the_proxy(client):
    response = client.get(HEALTHZ, headers={"X-Request-ID": "nginx-4f2a9c"})
    assert response["X-Request-ID"] == "nginx-4f2a9c"


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "", "bad id with spaces", "x" * 200, "a\tb"])
def test_request_id_is_generated_when_missing_or_unsafe(client, given):
    headers = {"X-Request-ID": given} if given is not None else {}
    response = client.get(HEALTHZ, headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get(HEALTHZ)["X-Request-ID"] != response["X-Request-ID"]


def test_request_id_reaches_log_records_during_the_request_only():
    seen = {}
    log_filter = RequestIdFilter()

    def view(request):
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello", None, None)
        log_filter.filter(record)
        seen["record"] = record.request_id
        seen["request"] = request.request_id
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={"X-Request-ID": "req-1"})
    response = RequestIdMiddleware(view)(request)

    assert seen == {"record": "req-1", "request": "req-1"}
    assert response["X-Request-ID"] == "req-1"
    assert request_id_var.get() is None  # not leaked to whatever runs next on this thread
    outside = logging.LogRecord("app", logging.INFO, __file__, 1, "later", None, None)
    log_filter.filter(outside)
    assert outside.request_id == "-"


def test_json_formatter_outputs_one_json_object_with_request_id_and_exception():
    formatter = JsonFormatter()
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "partners.services", logging.ERROR, __file__, 10, "failed for %s", ("王五",), exc_info
    )
    token = request_id_var.set("abc-123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = formatter.format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "partners.services"
    assert entry["message"] == "failed for 王五"
    assert entry["request_id"] == "abc-123"
    assert "ZeroDivisionError" in entry["exception"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", entry["time"])


def test_json_formatter_without_request_or_exception_omits_them():
    record = logging.LogRecord("django_q", logging.INFO, __file__, 1, "tick", None, None)
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert "request_id" not in entry
    assert "exception" not in entry
    assert entry["message"] == "tick"


def test_json_formatter_structures_gunicorn_access_records():
    from gunicorn.glogging import SafeAtoms

    atoms = SafeAtoms(
        {
            "h": "10.0.0.2",
            "m": "GET",
            "U": "/healthz",
            "q": "",
            "s": "503",
            "B": 120,
            "M": 7,
            "a": 'curl "7"',
            "f": "-",
            "{x-request-id}o": "rid-9",
        }
    )
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, "%(m)s %(U)s %(s)s", (atoms,), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /healthz 503"
    assert entry["status"] == 503
    assert entry["method"] == "GET"
    assert entry["path"] == "/healthz"
    assert entry["bytes"] == 120
    assert entry["duration_ms"] == 7
    assert entry["remote_addr"] == "10.0.0.2"
    assert entry["user_agent"] == 'curl "7"'
    assert entry["request_id"] == "rid-9"
    assert "referer" not in entry and "query" not in entry


def test_log_format_setting_picks_the_formatter():
    code = (
        "from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    assert _manage({"DJANGO_SETTINGS_MODULE": "backoffice.settings.base"}, code) == "plain"
    assert _manage(_production_env(), code) == "json"
    assert _manage({**_production_env(), "LOG_FORMAT": "plain"}, code) == "plain"


# --------------------------------------------------------------------------
# Client address behind trusted proxies
# --------------------------------------------------------------------------


def _client_address(remote_addr: str, forwarded_for: str | None) -> str:
    seen = {}

    def view(request):
        seen["addr"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    TrustedProxyMiddleware(view)(RequestFactory().get("/", **extra))
    return seen["addr"]


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "::1", "10.0.0.0/8"])
@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
        # The client wrote the left part itself: ignored.
        ("127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        # Two proxies of ours: skip both.
        ("10.0.0.3", "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        # Garbage in the header: the proxy's own address stays.
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        # Not from a trusted proxy: the header is the client's word, ignored.
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),
    ],
)
def test_trusted_proxy_middleware_takes_the_client_address(remote_addr, forwarded_for, expected):
    assert _client_address(remote_addr, forwarded_for) == expected


@override_settings(TRUSTED_PROXIES=[])
def test_trusted_proxy_middleware_is_off_without_proxies():
    with pytest.raises(MiddlewareNotUsed):
        TrustedProxyMiddleware(lambda request: HttpResponse())


# --------------------------------------------------------------------------
# Media storages: disk by default, S3 when a bucket is configured
# --------------------------------------------------------------------------


def _production_env(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
        "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-0123456789",
        "ALLOWED_HOSTS": "backoffice.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://backoffice.example.com",
        **extra,
    }


def _run(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "VAR_DIR": str(ROOT / "var" / "prod-check"), **env_extra}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _manage(env_extra: dict[str, str], code: str) -> str:
    result = _run(["shell", "-v", "0", "-c", code], env_extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


S3_ENV = {
    "AWS_STORAGE_BUCKET_NAME": "aggresmart-media",
    "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    "AWS_S3_REGION_NAME": "cn-east-1",
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
}

DESCRIBE_STORAGES = """
import json
from django.core.files.storage import storages
from catalog.models import Banner
from backoffice.core.storage import private_storage
from partners.models import QualificationFile
private, public = storages["private"], storages["default"]
info = {
    "private_class": type(private).__module__ + "." + type(private).__name__,
    "public_class": type(public).__module__ + "." + type(public).__name__,
    "same": private_storage() is private,
    "field_is_private": QualificationFile._meta.get_field("file").storage is private,
    "catalog_is_public": Banner._meta.get_field("image").storage.__class__ is type(public),
}
if info["private_class"].startswith("storages."):
    info.update(
        private_location=private.location, private_acl=private.default_acl,
        private_qs=private.querystring_auth, private_domain=private.custom_domain,
        bucket=private.bucket_name, endpoint=private.endpoint_url,
        region=private.region_name, public_location=public.location,
        public_qs=public.querystring_auth, public_domain=public.custom_domain,
        private_url=private.url("qualifications/a.pdf"),
        public_url=public.url("catalog/logos/a.png"),
    )
else:
    info.update(private_location=str(private.location), media_root=str(public.location))
print(json.dumps(info))
"""


def test_s3_media_storage_switched_on_by_the_bucket_name():
    info = json.loads(_manage(_production_env(**S3_ENV), DESCRIBE_STORAGES))

    assert info["private_class"] == "storages.backends.s3.S3Storage"
    assert info["public_class"] == "storages.backends.s3.S3Storage"
    assert info["same"] is True  # backoffice.core.storage.private_storage() is STORAGES["private"]
    assert info["field_is_private"] is True
    assert info["catalog_is_public"] is True
    assert info["private_location"] == "private"
    assert info["private_acl"] == "private"
    assert info["private_qs"] is True
    assert info["private_domain"] is None
    assert info["bucket"] == "aggresmart-media"
    assert info["endpoint"] == "http://127.0.0.1:9000"
    assert info["region"] == "cn-east-1"
    assert "/private/qualifications/a.pdf?" in info["private_url"]
    assert "X-Amz-Signature=" in info["private_url"]
    assert info["public_location"] == "public"
    assert info["public_qs"] is False
    assert info["public_domain"] is None
    assert info["public_url"].endswith("/public/catalog/logos/a.png")
    assert "?" not in info["public_url"]


def test_s3_settings_pass_the_deploy_check():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], _production_env(**S3_ENV))
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_bucket_media_stays_on_disk():
    info = json.loads(_manage(_production_env(), DESCRIBE_STORAGES))
    assert info["private_class"] == "backoffice.core.storage.PrivateFileSystemStorage"
    assert info["public_class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert info["same"] is True
    assert info["field_is_private"] is True
    assert info["private_location"] == str(Path(info["media_root"]) / "private")


def test_private_disk_storage_follows_media_root(settings, tmp_path):
    storage = PrivateFileSystemStorage()
    settings.MEDIA_ROOT = tmp_path / "one"
    assert Path(storage.location) == tmp_path / "one" / "private"
    settings.MEDIA_ROOT = tmp_path / "two"
    assert Path(storage.location) == tmp_path / "two" / "private"
    name = storage.save("a.txt", io.BytesIO(b"x"))
    assert (tmp_path / "two" / "private" / name).read_bytes() == b"x"


# --------------------------------------------------------------------------
# gunicorn
# --------------------------------------------------------------------------

GUNICORN_ENV = (
    "BIND",
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_MAX_REQUESTS",
    "FORWARDED_ALLOW_IPS",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "RUNTIME_DIRECTORY",
)


def _gunicorn_config(monkeypatch, **env: str):
    """The config file's settings, validated by gunicorn's own Config."""
    from gunicorn.config import Config

    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    cfg = Config()
    unknown = []
    for name, value in namespace.items():
        if (
            name.startswith("_")
            or name.isupper()
            or callable(value)
            or type(value).__name__ == "module"
        ):
            continue
        if name not in cfg.settings:
            unknown.append(name)
            continue
        cfg.set(name, value)  # runs gunicorn's validator
    assert unknown == [], f"not gunicorn settings: {unknown}"
    return cfg, namespace


def test_gunicorn_config_defaults(monkeypatch):
    cfg, _ = _gunicorn_config(monkeypatch)
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.workers == 2 * (os.cpu_count() or 1) + 1
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads == 4
    assert 30 <= cfg.timeout <= 120
    assert 0 < cfg.graceful_timeout <= cfg.timeout
    assert cfg.max_requests > 0
    assert 0 < cfg.max_requests_jitter < cfg.max_requests
    assert cfg.accesslog == "-"
    assert cfg.errorlog == "-"
    assert cfg.forwarded_allow_ips == ["127.0.0.1", "::1"]
    shm = "/dev/shm"  # noqa: S108 (gunicorn's heartbeat files, in memory)
    if os.path.isdir(shm):
        assert cfg.worker_tmp_dir == shm
    # JSON logs by default, through our formatter.
    formatter = cfg.logconfig_dict["formatters"]["json"]["()"]
    assert formatter is JsonFormatter
    assert cfg.logconfig_dict["loggers"]["gunicorn.access"]["handlers"] == ["console"]


def test_gunicorn_config_from_the_environment(monkeypatch, tmp_path):
    cfg, _ = _gunicorn_config(
        monkeypatch,
        BIND="10.0.0.12:8000",
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="8",
        GUNICORN_TIMEOUT="90",
        GUNICORN_MAX_REQUESTS="500",
        FORWARDED_ALLOW_IPS="10.0.0.1,10.0.0.2",
        LOG_FORMAT="plain",
        RUNTIME_DIRECTORY=str(tmp_path),
    )
    assert cfg.bind == ["10.0.0.12:8000"]
    assert cfg.workers == 3
    assert cfg.threads == 8
    assert cfg.timeout == 90
    assert cfg.max_requests == 500
    assert cfg.max_requests_jitter == 50
    assert cfg.forwarded_allow_ips == ["10.0.0.1", "10.0.0.2"]
    assert cfg.logconfig_dict == {}
    assert "x-request-id" in cfg.access_log_format
    assert cfg.control_socket == str(tmp_path / "gunicorn.ctl")


def test_gunicorn_config_port_only_listens_on_all_interfaces(monkeypatch):
    cfg, _ = _gunicorn_config(monkeypatch, PORT="5000")
    assert cfg.bind == ["0.0.0.0:5000"]


def test_gunicorn_check_config_loads_the_app():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--check-config"]
        + ["-c", "deploy/gunicorn.conf.py", "backoffice.wsgi"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "backoffice.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_procfile_runs_web_worker_and_release():
    lines = dict(
        line.split(":", 1) for line in (DEPLOY / "Procfile").read_text().splitlines() if line
    )
    assert lines["web"].strip() == "gunicorn -c deploy/gunicorn.conf.py backoffice.wsgi"
    assert lines["worker"].strip() == "python manage.py qcluster"
    release = lines["release"]
    for step in ("migrate --no-input", "setup_schedules", "collectstatic --no-input"):
        assert step in release
    assert release.index("migrate") < release.index("setup_schedules")


# --------------------------------------------------------------------------
# systemd units and the environment file
# --------------------------------------------------------------------------

UNITS = {
    "aggresmart-web.service": "/srv/aggresmart/.venv/bin/gunicorn -c deploy/gunicorn.conf.py backoffice.wsgi",
    "aggresmart-worker.service": "/srv/aggresmart/.venv/bin/python manage.py qcluster",
}


def _env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_systemd_unit_has_the_required_settings(unit):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / unit).read_text())
    service = parser["Service"]

    assert service["ExecStart"] == UNITS[unit]
    assert service["User"] == "aggresmart"
    assert service["WorkingDirectory"] == "/srv/aggresmart"
    assert service["EnvironmentFile"] == "/etc/aggresmart/env"
    assert service["Restart"] == "always"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "true"
    writable = service["ReadWritePaths"].split()
    env = _env_example()
    for folder in (env["VAR_DIR"], env["MEDIA_ROOT"]):
        assert any(Path(folder).is_relative_to(path) for path in writable), folder
    assert parser["Install"]["WantedBy"] == "multi-user.target"
    assert "After" in parser["Unit"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    # verify insists that ExecStart's program exists: point it at this virtualenv.
    venv_bin = str(Path(sys.executable).parent)
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        (tmp_path / unit).write_text(text.replace("/srv/aggresmart/.venv/bin", venv_bin))
    result = subprocess.run(
        [shutil.which("systemd-analyze"), "verify", "--man=no"]
        + [str(tmp_path / unit) for unit in UNITS],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "aggresmart" not in output, output


def _variables_read(path: Path) -> set[str]:
    text = path.read_text()
    names = set(
        re.findall(
            r"(?:os\.environ\.get|os\.environ\.setdefault|env_bool|env_list|_int)\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']",
            text,
        )
    )
    names |= set(re.findall(r"os\.environ\[[\"']([A-Z][A-Z0-9_]+)[\"']\]", text))
    names |= set(re.findall(r":\s*\"(AWS_[A-Z0-9_]+)\"", text))  # the S3 option map
    return names


def test_env_example_documents_every_variable_production_reads():
    read = set()
    for path in (
        ROOT / "backoffice" / "settings" / "base.py",
        ROOT / "backoffice" / "settings" / "production.py",
        DEPLOY / "gunicorn.conf.py",
    ):
        read |= _variables_read(path)
    read -= {"RUNTIME_DIRECTORY"}  # set by systemd itself
    assert {"SECRET_KEY", "DATABASE_URL", "AWS_STORAGE_BUCKET_NAME", "WEB_CONCURRENCY"} <= read

    documented = _env_example()
    missing = sorted(read - documented.keys())
    assert missing == [], f"add these to deploy/env.example: {missing}"
    # Placeholders only.
    assert documented["SECRET_KEY"].startswith("change-me")
    assert documented["DJANGO_SETTINGS_MODULE"] == "backoffice.settings.production"


def test_nginx_example_covers_uploads_forwarding_and_private_media():
    text = (DEPLOY / "nginx.conf.example").read_text()
    active = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert "client_max_body_size 60m;" in active
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in active
    assert "proxy_set_header X-Request-ID $request_id;" in active
    assert "ssl_certificate " in active
    assert "alias /srv/aggresmart/var/static/;" in active
    # Media never comes straight off the disk.
    assert "location /media" not in active
    assert "var/media" not in active


def test_production_healthz_is_exempt_from_the_https_redirect():
    # Load balancers probe gunicorn over plain HTTP on the private network.
    code = (
        "from django.test import Client; c = Client(HTTP_HOST='backoffice.example.com'); "
        "print(c.get('/healthz').status_code, c.get('/').status_code)"
    )
    healthz, home = _manage(_production_env(), code).split()
    assert healthz != "301"  # answered (200, or 503 on this empty database), not redirected
    assert healthz in {"200", "503"}
    assert home == "301"


# --------------------------------------------------------------------------
# Online payments: the sandbox provider is refused in production
# --------------------------------------------------------------------------


def test_deploy_check_fails_while_the_sandbox_payment_provider_is_enabled():
    check = ["check", "--deploy", "--fail-level", "WARNING"]
    refused = _run(check, _production_env(PAYMENT_PROVIDER="sandbox"))
    assert refused.returncode != 0
    assert "billing.E001" in refused.stderr + refused.stdout
    # A development key is refused too, even with the sandbox switched off.
    dev_key = _run(check, _production_env(PAYMENT_SANDBOX_SECRET="dev-only-sandbox-payment-key"))
    assert dev_key.returncode != 0 and "billing.E002" in dev_key.stderr + dev_key.stdout
    # Production's default: no sandbox, the check passes.
    passed = _run(check, _production_env())
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_payment_settings_check_names_what_alipay_misses():
    from django.test import override_settings

    from billing.payments.checks import check_payment_provider_settings

    with override_settings(PAYMENT_PROVIDER="alipay", ALIPAY_APP_ID="", ALIPAY_PUBLIC_KEY=""):
        errors = check_payment_provider_settings()
    assert [e.id for e in errors] == ["billing.E005"]
    with override_settings(PAYMENT_PROVIDER="paypal"):
        assert [e.id for e in check_payment_provider_settings()] == ["billing.E003"]
