"""Webhook writes: events stored on commit, endpoints, and delivery with backoff.

* ``webhook_event_record`` is the one call a domain makes where an event happens,
  inside its transaction: when the company has an active endpoint subscribed to the type
  (one query), it stores the event and a delivery per endpoint, and queues their sending
  after the commit (a rollback leaves neither). ``webhook_events_record`` does the same
  for many companies at once (statement generation: one query, two bulk inserts).
* A delivery is *claimed* in a short transaction (``pending`` → ``sending``, a lease),
  sent outside any transaction, then recorded if it still holds its claim (the attempt
  number). A failure waits ``BACKOFF[attempt - 1]`` (1 min … 12 h, about 20 h in all)
  before the next try; after ``MAX_ATTEMPTS`` it is ``failed``.
* ``webhook_sweep`` (every minute) puts deliveries whose lease expired (a killed worker)
  back to pending and queues the due ones; it survives worker kills.
* An endpoint failing without a success for ``WEBHOOKS_DISABLE_AFTER_HOURS``, or whose
  delivery ran out of retries with only failures since, is disabled and the company's
  管理员 is told by mail and in the 消息中心.
"""

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import urllib3
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.notifications import notify
from backoffice.core.tasks import enqueue_on_commit

from ..models import Company, User
from ..selectors import company_notice_users
from ..services.base import PartnerError
from ..webhook_models import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
    webhook_secret_new,
)
from .network import WebhookRefused, address_problem, url_scheme_problem, webhook_post
from .signing import signature_header

#: Seconds to wait after the n-th failed attempt (exponential-ish, about 20.6 h in all).
BACKOFF = (60, 300, 1800, 7200, 21600, 43200)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: Deliveries the sweeper queues per run.
SWEEP_BATCH = 100
EVENT_TYPES = frozenset(WebhookEventType.values)

Payload = dict[str, Any] | Callable[[], dict[str, Any]]


class EventSpec(NamedTuple):
    """One event to record: its company, its payload (or a callable building it) and, for
    a once-only event, its key."""

    company: Company | int
    payload: Payload
    key: str = ""


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


def _company_id(company: Company | int) -> int:
    return company if isinstance(company, int) else company.pk


def _subscribed_endpoints(company_ids: Iterable[int], event_type: str) -> dict[int, list[int]]:
    """{company id: [endpoint id, ...]} of the active endpoints subscribed to the type."""
    found: dict[int, list[int]] = {}
    rows = WebhookEndpoint.objects.filter(
        company_id__in=set(company_ids), is_active=True
    ).values_list("pk", "company_id", "events")
    for pk, company_id, events in rows.order_by("pk"):
        if event_type in (events or []):
            found.setdefault(company_id, []).append(pk)
    return found


def webhook_events_record(*, type: str, events: Iterable[EventSpec]) -> list[WebhookEvent]:
    """Store one event of ``type`` per spec whose company subscribed, with its deliveries,
    and queue them after the commit. A payload may be a callable: it is built only for a
    subscribed company. A keyed event already stored is skipped. One query when nobody
    subscribed; else at most three more (keys, events, deliveries)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {type!r}")
    specs = [EventSpec(_company_id(spec.company), spec.payload, spec.key) for spec in events]
    endpoints = _subscribed_endpoints((spec.company for spec in specs), type)
    specs = [spec for spec in specs if spec.company in endpoints]
    if not specs:
        return []
    if keys := {spec.key for spec in specs if spec.key}:
        done = set(WebhookEvent.objects.filter(key__in=keys).values_list("company_id", "key"))
        specs = [spec for spec in specs if (spec.company, spec.key) not in done]
    with transaction.atomic():
        return _events_store(type, specs, endpoints)


def _events_store(
    type: str, specs: list[EventSpec], endpoints: dict[int, list[int]]
) -> list[WebhookEvent]:
    now = timezone.now()
    stored = WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(
                company_id=company_id,
                type=type,
                payload=json.loads(
                    json.dumps(payload() if callable(payload) else payload, cls=DjangoJSONEncoder)
                ),
                key=key,
                created_at=now,
            )
            for company_id, payload, key in specs
        ]
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                event=event, endpoint_id=endpoint_id, next_attempt_at=now, created_at=now
            )
            for event in stored
            for endpoint_id in endpoints[event.company_id]
        ]
    )
    for delivery in deliveries:
        enqueue_on_commit(webhook_deliver, delivery.pk)
    return stored


def webhook_event_record(
    *, company: Company | int, type: str, payload: Payload, key: str = ""
) -> WebhookEvent | None:
    """Store the event ``type`` of ``company`` for its subscribed endpoints (None when
    none is, or ``key`` was stored already): call it inside the transaction where the
    event happens."""
    stored = webhook_events_record(type=type, events=[EventSpec(company, payload, key)])
    return stored[0] if stored else None


def event_body(event: WebhookEvent) -> bytes:
    """The JSON body every delivery of ``event`` sends (the same bytes each attempt)."""
    envelope = {
        "id": event.event_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "company_id": event.company_id,
        "data": event.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# --------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 2 + 60)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(
                pk=delivery_id,
                status=WebhookDeliveryStatus.PENDING,
                next_attempt_at__lte=now,
            )
            .first()
        )
        if delivery is None:
            return None
        if not delivery.endpoint.is_active:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.error = _("The endpoint is disabled.")
            delivery.save(update_fields=["status", "next_attempt_at", "error"])
            return None
        delivery.status = WebhookDeliveryStatus.SENDING
        delivery.attempt += 1
        delivery.last_attempt_at = now
        delivery.lease_until = now + _lease()
        delivery.save(update_fields=["status", "attempt", "last_attempt_at", "lease_until"])
        return delivery


def _send(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, str]:
    """(response code, error); error "" means delivered."""
    body = event_body(delivery.event)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Webhook-Id": delivery.event.event_id,
        "Webhook-Timestamp": timestamp,
        "Webhook-Signature": signature_header(
            secret=delivery.endpoint.secret, timestamp=timestamp, body=body
        ),
    }
    try:
        response = webhook_post(url=delivery.endpoint.url, body=body, headers=headers)
    except WebhookRefused as exc:
        return None, str(exc)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if 200 <= response.status < 300:
        return response.status, ""
    if 300 <= response.status < 400:
        return response.status, _("Redirects are not followed.")
    return response.status, f"HTTP {response.status}"


def webhook_deliver(delivery_id: int) -> str:
    """Task: one attempt of a due delivery (safe to run twice: only the claim sends)."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    code, error = _send(delivery, now)
    return _record(delivery_id=delivery.pk, attempt=delivery.attempt, code=code, error=error)


@transaction.atomic
def _record(*, delivery_id: int, attempt: int, code: int | None, error: str) -> str:
    now = timezone.now()
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .filter(pk=delivery_id, status=WebhookDeliveryStatus.SENDING, attempt=attempt)
        .first()
    )
    if delivery is None:  # the sweeper took the claim back meanwhile
        return "lost"
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.response_code = code
    delivery.error = error[:300]
    delivery.lease_until = None
    exhausted = False
    if not error:
        delivery.status = WebhookDeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        endpoint.failure_count = 0
        endpoint.failing_since = None
    else:
        exhausted = delivery.attempt >= MAX_ATTEMPTS
        delivery.status = (
            WebhookDeliveryStatus.FAILED if exhausted else WebhookDeliveryStatus.PENDING
        )
        delivery.next_attempt_at = (
            None if exhausted else now + timedelta(seconds=BACKOFF[delivery.attempt - 1])
        )
        endpoint.failure_count += 1
        endpoint.failing_since = endpoint.failing_since or now
    delivery.save()
    endpoint.save(update_fields=["failure_count", "failing_since"])
    if error and _should_disable(endpoint, exhausted=exhausted, now=now):
        _disable(endpoint, now=now, reason=_("Deliveries failed for too long."))
    return delivery.status


def _should_disable(endpoint: WebhookEndpoint, *, exhausted: bool, now: datetime) -> bool:
    if not endpoint.is_active:
        return False
    limit = timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS)
    if endpoint.failing_since and endpoint.failing_since <= now - limit:
        return True
    return exhausted and endpoint.failure_count >= MAX_ATTEMPTS


def _stop(endpoint: WebhookEndpoint, *, now: datetime, reason: str) -> None:
    """Disable ``endpoint`` (locked by the caller); its pending deliveries fail."""
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason[:200]
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    endpoint.deliveries.filter(status=WebhookDeliveryStatus.PENDING).update(
        status=WebhookDeliveryStatus.FAILED,
        next_attempt_at=None,
        error=_("The endpoint is disabled."),
    )


def _disable(endpoint: WebhookEndpoint, *, now: datetime, reason: str) -> None:
    _stop(endpoint, now=now, reason=reason)
    notify(
        users=company_notice_users(company_id=endpoint.company_id),
        kind="webhook_disabled",
        template="partners/mail/webhook_disabled",
        context={
            "url": endpoint.url,
            "failures": endpoint.failure_count,
            "since": timezone.localtime(endpoint.failing_since or now).strftime("%Y-%m-%d %H:%M"),
        },
        link_name="portal:account_webhook",
        link_args=(endpoint.pk,),
    )


def webhook_sweep(now: datetime | None = None) -> dict[str, int]:
    """Every minute: expired claims back to pending (or failed), due deliveries queued."""
    now = now or timezone.now()
    expired = list(
        WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.SENDING, lease_until__lt=now
        ).values_list("pk", "attempt")
    )
    for pk, attempt in expired:
        _record(
            delivery_id=pk,
            attempt=attempt,
            code=None,
            error=_("The worker stopped during the attempt."),
        )
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        enqueue_on_commit(webhook_deliver, pk)
    return {"expired": len(expired), "queued": len(due)}


# --------------------------------------------------------------------------
# Endpoints (the company's 管理员, portal 个人中心 › Webhooks)
# --------------------------------------------------------------------------


def _url_problem(url: str) -> str:
    """Refusals known without resolving: the scheme, and a private IP literal or localhost
    (the delivery checks every resolved address again)."""
    if problem := url_scheme_problem(url):
        return problem
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return address_problem("127.0.0.1")
    try:
        return address_problem(host)
    except ValueError:  # a name, not an address
        return ""


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen:
        raise PartnerError({"events": [_("Choose at least one event.")]}, code="no_events")
    if unknown := [event for event in chosen if event not in EVENT_TYPES]:
        raise PartnerError(
            {"events": [_("Unknown event: %(event)s.") % {"event": ", ".join(unknown)}]},
            code="unknown_event",
        )
    return chosen


def _save(endpoint: WebhookEndpoint, fields: list[str] | None = None) -> WebhookEndpoint:
    if problem := _url_problem(endpoint.url):
        raise PartnerError({"url": [problem]}, code="url")
    endpoint.full_clean(exclude=["company", "created_by"])
    endpoint.save(update_fields=fields)
    return endpoint


@transaction.atomic
def webhook_endpoint_create(
    *, company: Company, actor: User, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        company=company,
        created_by=actor,
        url=url.strip(),
        events=_clean_events(events),
        description=description.strip(),
    )
    return _save(endpoint)


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: Iterable[str], description: str = ""
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.url = url.strip()
    endpoint.events = _clean_events(events)
    endpoint.description = description.strip()
    return _save(endpoint, ["url", "events", "description"])


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret at once: the next attempt of every delivery is signed with it."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = webhook_secret_new()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Disable (its pending deliveries stop) or enable again (failures forgotten; events of
    the disabled time are not sent: resend them from the log)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_active == active:
        return endpoint
    now = timezone.now()
    if not active:
        _stop(endpoint, now=now, reason=_("Disabled by the partner."))
        return endpoint
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failure_count = 0
    endpoint.failing_since = None
    fields = ["is_active", "disabled_at", "disabled_reason", "failure_count", "failing_since"]
    return _save(endpoint, fields)


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery``'s event to its endpoint again, as a new delivery (same
    ``Webhook-Id``: receivers can recognise the duplicate)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        raise PartnerError(_("Enable the endpoint before resending."), code="disabled")
    now = timezone.now()
    resent = WebhookDelivery.objects.create(
        event_id=delivery.event_id, endpoint=endpoint, next_attempt_at=now, created_at=now
    )
    enqueue_on_commit(webhook_deliver, resent.pk)
    return resent
