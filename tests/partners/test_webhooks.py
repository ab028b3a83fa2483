"""Webhooks against a local receiver (http.server on 127.0.0.1, the allow-private setting
on): signature, replay and tamper detection by the documented check, backoff, disabling
with a mail to the 管理员, events stored on commit only, and the address guard."""

import json
import socket
import uuid
from datetime import timedelta

import pytest
from django.core.checks import Error
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from backoffice.core.models import Notification, OutboundEmail
from partners.checks import check_webhooks_for_production
from partners.models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from partners.services import PartnerError
from partners.webhooks import network
from partners.webhooks.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    webhook_deliver,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
    webhook_event_record,
    webhook_sweep,
)
from partners.webhooks.signing import signature_verify
from tests.partners.factories import CompanyFactory, PartnerUserFactory, admin_of
from tests.partners.webhook_receiver import start_receiver

pytestmark = pytest.mark.django_db


def local():
    """The local receiver's settings (development and tests only)."""
    return override_settings(WEBHOOKS_ALLOW_PRIVATE_NETWORKS=True, WEBHOOKS_ALLOW_HTTP=True)


PAYLOAD = {"order": {"id": 1, "number": "2026001", "total": {"amount": "10.00", "currency": "CNY"}}}


@pytest.fixture
def receiver():
    server = start_receiver()
    yield server
    server.stop()


@pytest.fixture
def company():
    company = CompanyFactory()
    admin_of(company, email="boss@example.com")
    return company


def make_endpoint(company, url: str, events=("order.paid",)) -> WebhookEndpoint:
    with local():
        return webhook_endpoint_create(
            company=company, actor=admin_of(company), url=url, events=list(events)
        )


def record(company, capture, type_="order.paid", payload=PAYLOAD, **kwargs):
    with capture(execute=True), transaction.atomic():
        return webhook_event_record(company=company, type=type_, payload=payload, **kwargs)


# --------------------------------------------------------------------------
# Delivery and signature
# --------------------------------------------------------------------------


@local()
def test_delivery_is_signed_and_verifies_with_the_documented_check(
    company, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(company, receiver.url)
    event = record(company, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent.path == "/hooks/in"
    assert sent.headers["Webhook-Id"] == event.event_id
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Webhook-Signature"].startswith("v1=")
    assert signature_verify(
        secret=endpoint.secret,
        timestamp=sent.headers["Webhook-Timestamp"],
        body=sent.body,
        signature=sent.headers["Webhook-Signature"],
    )
    body = json.loads(sent.body)
    assert body == {
        "id": event.event_id,
        "type": "order.paid",
        "created_at": body["created_at"],
        "company_id": company.pk,
        "data": PAYLOAD,
    }
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert (delivery.attempt, delivery.response_code) == (1, 200)
    assert delivery.delivered_at is not None


@local()
def test_replayed_or_altered_delivery_fails_the_documented_check(
    company, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(company, receiver.url)
    record(company, django_capture_on_commit_callbacks)
    sent = receiver.requests[0]
    timestamp, signature = sent.headers["Webhook-Timestamp"], sent.headers["Webhook-Signature"]
    args = {"secret": endpoint.secret, "timestamp": timestamp, "signature": signature}

    assert signature_verify(body=sent.body, **args)
    # Replayed ten minutes later: the timestamp is outside the 5-minute tolerance.
    assert not signature_verify(body=sent.body, now=int(timestamp) + 600, **args)
    # The body altered (an amount changed): the HMAC no longer matches.
    altered = sent.body.replace(b'"10.00"', b'"99.00"')
    assert altered != sent.body
    assert not signature_verify(body=altered, **args)
    # A new timestamp put on the old signature (to pass the window) fails the HMAC.
    assert not signature_verify(body=sent.body, **{**args, "timestamp": str(int(timestamp) + 1)})
    # Another endpoint's secret does not verify.
    assert not signature_verify(body=sent.body, **{**args, "secret": "whsec_other"})


@local()
def test_rotated_secret_signs_the_next_delivery(
    company, receiver, django_capture_on_commit_callbacks
):
    from partners.webhooks.services import webhook_endpoint_rotate_secret

    endpoint = make_endpoint(company, receiver.url)
    old = endpoint.secret
    endpoint = webhook_endpoint_rotate_secret(endpoint=endpoint)
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    record(company, django_capture_on_commit_callbacks)
    sent = receiver.requests[0]
    check = {
        "timestamp": sent.headers["Webhook-Timestamp"],
        "body": sent.body,
        "signature": sent.headers["Webhook-Signature"],
    }
    assert signature_verify(secret=endpoint.secret, **check)
    assert not signature_verify(secret=old, **check)


# --------------------------------------------------------------------------
# Retries, backoff and disabling
# --------------------------------------------------------------------------


def _make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@local()
def test_failed_deliveries_back_off_then_fail_and_disable_the_endpoint_with_a_mail(
    company, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    endpoint = make_endpoint(company, receiver.url)
    record(company, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        delivery.refresh_from_db()
        assert delivery.attempt == attempt
        assert delivery.response_code == 500
        assert delivery.error == "HTTP 500"
        if attempt == MAX_ATTEMPTS:
            break
        assert delivery.status == WebhookDeliveryStatus.PENDING
        waits.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        # Not due yet: a second task (or the sweeper) sends nothing.
        assert webhook_deliver(delivery.pk) == "skipped"
        _make_due(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            webhook_deliver(delivery.pk)

    # 1 min, 5 min, 30 min, 2 h, 6 h, 12 h: exponential, about 20.6 h in all.
    assert [round(w) for w in waits] == list(BACKOFF)
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert delivery.next_attempt_at is None

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.failure_count == MAX_ATTEMPTS
    admin = admin_of(company)
    mail = OutboundEmail.objects.get(template="partners/mail/webhook_disabled")
    assert mail.to == admin.email
    assert Notification.objects.filter(recipient=admin, kind="webhook_disabled").count() == 1

    # Disabled: new events are not stored for it.
    assert record(company, django_capture_on_commit_callbacks) is None
    assert len(receiver.requests) == MAX_ATTEMPTS


@local()
def test_an_endpoint_failing_for_24_hours_is_disabled(
    company, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 503
    endpoint = make_endpoint(company, receiver.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=25), failure_count=3
    )
    with django_capture_on_commit_callbacks(execute=True):
        record(company, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert OutboundEmail.objects.filter(template="partners/mail/webhook_disabled").count() == 1


@local()
def test_a_success_resets_the_failure_count(company, receiver, django_capture_on_commit_callbacks):
    receiver.status = 500
    endpoint = make_endpoint(company, receiver.url)
    record(company, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert (endpoint.failure_count, endpoint.failing_since is not None) == (1, True)
    receiver.status = 204
    _make_due(WebhookDelivery.objects.get())
    webhook_deliver(WebhookDelivery.objects.get().pk)
    endpoint.refresh_from_db()
    assert (endpoint.failure_count, endpoint.failing_since) == (0, None)


@local()
def test_redirects_are_not_followed(company, receiver, django_capture_on_commit_callbacks):
    receiver.status = 302
    receiver.extra_headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    make_endpoint(company, receiver.url)
    record(company, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 1
    assert delivery.status == WebhookDeliveryStatus.PENDING
    assert delivery.response_code == 302


@local()
def test_sweeper_reclaims_expired_leases_and_sends_due_deliveries(
    company, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    make_endpoint(company, receiver.url)
    record(company, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    # A worker was killed during attempt 2: the row stays "sending" with its lease.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDeliveryStatus.SENDING,
        attempt=2,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    receiver.status = 200
    report = webhook_sweep()
    assert report == {"expired": 1, "queued": 0}
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING
    assert delivery.next_attempt_at > timezone.now()  # backed off like a failed attempt
    _make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sweep() == {"expired": 0, "queued": 1}
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.attempt == 3


# --------------------------------------------------------------------------
# Stored on commit only, and only for subscribers
# --------------------------------------------------------------------------


@local()
def test_a_rolled_back_transaction_stores_and_sends_nothing(
    company, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(company, receiver.url)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert webhook_event_record(company=company, type="order.paid", payload=PAYLOAD)
        raise RuntimeError("the order failed")
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


@local()
def test_the_delivery_waits_for_the_commit(company, receiver, django_capture_on_commit_callbacks):
    make_endpoint(company, receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        webhook_event_record(company=company, type="order.paid", payload=PAYLOAD)
    assert receiver.requests == []  # not before the commit
    for callback in callbacks:
        callback()
    assert len(receiver.requests) == 1


def test_no_subscriber_costs_one_query_and_stores_nothing(
    company, django_assert_num_queries, django_capture_on_commit_callbacks
):
    make_endpoint(company, "https://hooks.example.com/in", events=["order.cancelled"])
    built = []

    def payload():
        built.append(1)
        return PAYLOAD

    with django_assert_num_queries(1):
        assert webhook_event_record(company=company, type="order.paid", payload=payload) is None
    assert built == []  # the payload is never built for nobody
    assert not WebhookEvent.objects.exists()


def test_keyed_events_are_stored_once(company, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("partners.webhooks.services.enqueue_on_commit", lambda *a, **k: None)
    make_endpoint(company, "https://hooks.example.com/in", events=["bill.due"])
    first = webhook_event_record(company=company, type="bill.due", payload={}, key="bill.due:1")
    again = webhook_event_record(company=company, type="bill.due", payload={}, key="bill.due:1")
    assert first is not None and again is None
    assert WebhookEvent.objects.count() == 1


# --------------------------------------------------------------------------
# The address guard
# --------------------------------------------------------------------------

PRIVATE_URLS = [
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://localhost/hook",
    "https://0.0.0.0/hook",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_addresses_are_refused_when_the_setting_is_off(url):
    with pytest.raises(network.WebhookRefused):
        network.checked_target(url)


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_addresses_cannot_be_registered(company, url):
    with pytest.raises(PartnerError) as refused:
        webhook_endpoint_create(
            company=company, actor=admin_of(company), url=url, events=["order.paid"]
        )
    assert "url" in refused.value.error_dict
    assert not WebhookEndpoint.objects.exists()


def _fake_dns(monkeypatch, answers: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(network.socket, "getaddrinfo", getaddrinfo)


def test_a_hostname_resolving_to_a_private_address_is_refused(monkeypatch):
    _fake_dns(
        monkeypatch,
        {
            "loopback.example.com": ["127.0.0.1"],
            "mixed.example.com": ["93.184.216.34", "10.0.0.5"],  # every address is checked
            "public.example.com": ["93.184.216.34"],
        },
    )
    with pytest.raises(network.WebhookRefused, match="127.0.0.1"):
        network.checked_target("https://loopback.example.com/hook")
    with pytest.raises(network.WebhookRefused, match="10.0.0.5"):
        network.checked_target("https://mixed.example.com/hook")
    assert network.checked_target("https://public.example.com/hook") == (
        "https",
        "public.example.com",
        443,
        "93.184.216.34",
    )


def test_a_refused_address_is_a_failed_attempt_and_nothing_is_sent(
    company, receiver, django_capture_on_commit_callbacks
):
    # Registered while allowed (development), sent after the setting went off.
    make_endpoint(company, receiver.url)
    with override_settings(WEBHOOKS_ALLOW_HTTP=True):
        record(company, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == WebhookDeliveryStatus.PENDING
    assert "127.0.0.1" in delivery.error and delivery.response_code is None


def test_plain_http_is_refused_unless_allowed(company):
    with pytest.raises(PartnerError):
        webhook_endpoint_create(
            company=company,
            actor=admin_of(company),
            url="http://hooks.example.com/in",
            events=["order.paid"],
        )
    with pytest.raises(network.WebhookRefused):
        network.checked_target("http://hooks.example.com/in")


def test_check_deploy_refuses_the_development_switches():
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_NETWORKS=False, WEBHOOKS_ALLOW_HTTP=False):
        assert check_webhooks_for_production() == []
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_NETWORKS=True, WEBHOOKS_ALLOW_HTTP=True):
        errors = check_webhooks_for_production()
    assert [e.id for e in errors] == ["partners.E001", "partners.E002"]
    assert all(isinstance(e, Error) for e in errors)


# --------------------------------------------------------------------------
# Endpoint management
# --------------------------------------------------------------------------


def test_endpoint_events_are_validated(company):
    with pytest.raises(PartnerError) as refused:
        webhook_endpoint_create(
            company=company, actor=admin_of(company), url="https://a.example.com", events=[]
        )
    assert "events" in refused.value.error_dict
    with pytest.raises(PartnerError):
        webhook_endpoint_create(
            company=company,
            actor=admin_of(company),
            url="https://a.example.com",
            events=["order.exploded"],
        )


def test_disabling_stops_pending_deliveries_and_enabling_forgets_failures(
    company, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("partners.webhooks.services.enqueue_on_commit", lambda *a, **k: None)
    endpoint = make_endpoint(company, "https://hooks.example.com/in")
    webhook_event_record(company=company, type="order.paid", payload=PAYLOAD)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=4)
    webhook_endpoint_set_active(endpoint=endpoint, active=False)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    endpoint = webhook_endpoint_set_active(endpoint=endpoint, active=True)
    assert endpoint.is_active and endpoint.failure_count == 0
    assert endpoint.history.count() >= 3  # created, disabled, enabled: history on endpoints


def test_the_secret_is_not_in_the_history(company):
    endpoint = make_endpoint(company, "https://hooks.example.com/in")
    record = endpoint.history.latest()
    assert not hasattr(record, "secret")


def test_only_the_disabled_mail_goes_to_the_admin_not_co_admins(
    company, receiver, django_capture_on_commit_callbacks
):
    PartnerUserFactory(company=company, email="co@example.com")
    receiver.status = 500
    with local():
        endpoint = make_endpoint(company, receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=2)
        )
        record(company, django_capture_on_commit_callbacks)
    assert list(
        OutboundEmail.objects.filter(template="partners/mail/webhook_disabled").values_list(
            "to", flat=True
        )
    ) == ["boss@example.com"]


def test_event_ids_are_unique():
    company = CompanyFactory()
    make_endpoint(company, "https://hooks.example.com/in")
    ids = {
        webhook_event_record(company=company, type="order.paid", payload={"n": n}).event_id
        for n in range(5)
    }
    assert len(ids) == 5
    assert all(i.startswith("evt_") and len(i) == 36 for i in ids)
    assert uuid.UUID(next(iter(ids))[4:])


# --------------------------------------------------------------------------
# The README's verification snippet is the check a partner copies: run it as written
# --------------------------------------------------------------------------


def readme_verify():
    """The ``verify`` function of the README's Webhooks section, executed as written."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 (our own README)
    return namespace["verify"]


@local()
def test_the_readme_snippet_verifies_and_detects_replay_and_tampering(
    company, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    verify = readme_verify()
    endpoint = make_endpoint(company, receiver.url)
    record(company, django_capture_on_commit_callbacks)
    sent = receiver.requests[0]
    assert verify(endpoint.secret, sent.headers, sent.body)
    assert not verify(endpoint.secret, sent.headers, sent.body.replace(b"10.00", b"10.01"))
    assert not verify("whsec_wrong", sent.headers, sent.body)
    later = int(sent.headers["Webhook-Timestamp"]) + 301
    monkeypatch.setattr("time.time", lambda: later)
    assert not verify(endpoint.secret, sent.headers, sent.body)  # replayed 5 minutes later
