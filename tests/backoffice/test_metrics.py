"""/metrics: protection (token, networks, 404 unconfigured) and the business gauges' values."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_q.models import OrmQ

from backoffice.core.checkresults import record_check_result
from backoffice.core.models import OutboundEmail, OutboundEmailStatus
from backoffice.metrics.checks import check_metrics_protection
from billing.statements.services import generate_statements, previous_period
from tests.billing.helpers import (
    guarantee_limit,
    make_company,
    make_partner_user,
    submit_offline_repayment,
)
from tests.billing.statements.helpers import Seller
from tests.billing.test_portal_assets import bill_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/metrics"
TOKEN = "t0ken-for-tests-0123456789abcdef0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def gauges(response) -> dict[str, float]:
    """The business samples of a scrape: {'name{labels}': value}."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return {
        name: float(value)
        for name, value in re.findall(
            r"^(backoffice_\S+) (\S+)$", response.content.decode(), re.MULTILINE
        )
    }


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[], DEBUG=False)
def test_unconfigured_endpoint_is_404_outside_development(client):
    assert client.get(URL).status_code == 404
    assert client.get(URL, **AUTH).status_code == 404


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
def test_token_is_required(client):
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
        {"HTTP_AUTHORIZATION": TOKEN},
    ):
        response = client.get(URL, **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"backoffice_" not in response.content
    assert client.get(URL, **AUTH).status_code == 200
    assert client.post(URL, **AUTH).status_code == 405
    # A signed-in superuser without the token gets nothing either.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(URL).status_code == 401


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=["10.1.0.0/16"])
def test_networks_restrict_the_endpoint(client):
    assert client.get(URL, REMOTE_ADDR="10.2.0.5", **AUTH).status_code == 404
    assert client.get(URL, REMOTE_ADDR="10.1.3.4").status_code == 401
    assert client.get(URL, REMOTE_ADDR="10.1.3.4", **AUTH).status_code == 200


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["127.0.0.1"])
def test_networks_alone(client):
    assert client.get(URL, REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get(URL, REMOTE_ADDR="192.0.2.1").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
def test_business_gauges_after_a_pending_repayment(client, django_assert_max_num_queries):
    empty = gauges(client.get(URL, **AUTH))
    assert empty['backoffice_work_queue_depth{queue="offline_repayments"}'] == 0
    assert empty["backoffice_ledger_check_last_run_timestamp_seconds"] == 0
    assert "backoffice_ledger_mismatches" not in empty

    staff = UserFactory(is_staff=True, email="metrics-finance@example.com")
    company = make_company("指标测试公司")
    user = make_partner_user(company, email="admin@metrics.example.com")
    guarantee_limit(company, staff)
    submit_offline_repayment(company, [bill_of(company, user, ["100"], days_ago=2)], user)
    OutboundEmail.objects.create(
        to="x@example.com", template="t", language="zh-hans", status=OutboundEmailStatus.FAILED
    )
    OrmQ.objects.create(key="backoffice", payload="x", lock=timezone.now() - timedelta(minutes=5))
    call_command("check_ledgers", stdout=None)
    period = previous_period()
    Seller().order(at=period.starts_at + timedelta(days=3))

    with django_assert_max_num_queries(6):
        values = gauges(client.get(URL, **AUTH))
    assert values['backoffice_work_queue_depth{queue="offline_repayments"}'] == 1
    for queue in (
        "offline_payments",
        "invoice_requests",
        "pending_postings",
        "registration_applications",
        "receipts_awaiting_approval",
        "unmatched_bank_lines",
    ):
        assert values[f'backoffice_work_queue_depth{{queue="{queue}"}}'] == 0, queue
    assert values['backoffice_outbox_mails{state="failed"}'] == 1
    pending = OutboundEmail.objects.filter(status__in=["queued", "sending"]).count()
    assert values['backoffice_outbox_mails{state="pending"}'] == pending
    assert values["backoffice_task_queue_depth"] == 1
    assert 299 <= values["backoffice_task_oldest_queued_age_seconds"] < 400
    assert values["backoffice_ledger_mismatches"] == 0
    assert values["backoffice_ledger_check_last_run_timestamp_seconds"] > 0
    assert values[f'backoffice_statements_missing{{period="{period.key}"}}'] == 1

    # The ledger gauge is the last run's result; generated statements leave none missing.
    record_check_result(name="check_ledgers", problems=3)
    generate_statements(period=period)
    values = gauges(client.get(URL, **AUTH))
    assert values["backoffice_ledger_mismatches"] == 3
    assert values[f'backoffice_statements_missing{{period="{period.key}"}}'] == 0


@override_settings(METRICS_TOKEN=TOKEN)
def test_request_metrics_come_from_django_prometheus(client):
    client.get("/healthz")
    body = client.get(URL, **AUTH).content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body


def test_deploy_check_warns_about_weak_protection():
    with override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[]):
        assert check_metrics_protection() == []
    with override_settings(METRICS_TOKEN="short", METRICS_ALLOWED_NETWORKS=["0.0.0.0/0"]):
        assert [w.id for w in check_metrics_protection()] == ["metrics.W001", "metrics.W002"]


# --------------------------------------------------------------------------
# Production settings: Sentry only with a DSN, no personal data; the wrapped DB engine
# --------------------------------------------------------------------------

DESCRIBE = (
    "import json, sentry_sdk; from django.conf import settings; c = sentry_sdk.get_client(); "
    "print(json.dumps([c.is_active(), c.options.get('send_default_pii'), "
    "settings.DATABASES['default']['ENGINE']]))"
)


def test_production_sentry_only_with_a_dsn_and_without_pii():
    import json

    from tests.backoffice.test_deploy import _manage, _production_env

    off = json.loads(_manage(_production_env(), DESCRIBE))
    assert off[0] is False
    on = json.loads(
        _manage(_production_env(SENTRY_DSN="https://public@sentry.example.com/1"), DESCRIBE)
    )
    assert on[:2] == [True, False]
    # Database metrics: django-prometheus' wrapper of the same engine, in production only.
    assert on[2].startswith("django_prometheus.db.backends.")
