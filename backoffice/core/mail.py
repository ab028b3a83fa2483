"""Templated e-mail through an outbox with leases, sent by django-q2 tasks after commit.

``mail_enqueue`` is what services call: it writes an ``OutboundEmail`` row in the
caller's transaction and queues the send for after the commit (a rollback leaves
neither). A row moves ``queued → sending → sent | failed``:

- **claim** (its own short transaction): a task locks the row with
  ``select_for_update(skip_locked=True)``, sets ``sending``, a fresh ``claim_token``
  and ``lease_until = now + OUTBOX_LEASE_SECONDS``, and commits;
- **send**, outside any transaction: render ``<template>_subject.txt``, ``<template>.txt``
  and the HTML part in the mail's language (``render_mail``), send them as
  multipart/alternative with the row's stable Message-ID;
- **record** (another transaction): ``sent`` or ``failed`` with the error, only if the
  row still carries this claim's token.

Nothing depends on one task surviving. ``outbox_sweep`` (every minute, backoffice/
schedules.py) puts ``sending`` rows whose lease expired back to ``queued`` (``failed``
after OUTBOX_MAX_ATTEMPTS claims) and queues ``send_outbound_batch`` tasks for every
``queued`` row that no task claimed by its deadline (``lease_until`` of a queued row).
A worker killed after the SMTP send but before the record makes the one double
delivery this allows, recognisable by the Message-ID it shares with the first.

One-time values (``sensitive_keys``, e.g. a credit-pay code) are in the stored context
only until the attempt ends: then they are masked, sent or failed. Staff retry failed
mails from the console (``mail_retry``), except those, whose code is gone (the user asks
for a new one).
"""

import logging
import math
import os
import secrets
import socket
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.core.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

MASK = "••••••"
BATCH_SIZE = 50  # rows one send_outbound_batch task claims at most ...
BATCH_SECONDS = 120  # ... and for how long it keeps claiming (far below the task timeout)
SWEEP_LIMIT = 500  # expired leases handled per sweep
MAX_BATCHES_PER_SWEEP = 4
OVERDUE_GRACE = timedelta(minutes=10)  # check_ledgers: past its deadline this long = stuck


def mail_enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str | None = None,
    sensitive_keys: Iterable[str] = (),
):
    """Record a mail in the current transaction and send it after the commit.

    ``sensitive_keys``: context keys holding one-time values (codes); they are masked in
    the stored row once the attempt to send it ends.
    """
    from backoffice.core.models import OutboundEmail

    email = OutboundEmail.objects.create(
        to=to,
        template=template,
        context=context,
        language=language or settings.LANGUAGE_CODE,
        sensitive_keys=sorted(set(sensitive_keys)),
        lease_until=_claim_deadline(timezone.now()),
    )
    enqueue_on_commit(send_outbound_email, email.pk)
    return email


def mails_enqueue(mails: Iterable[dict]) -> list:
    """``mail_enqueue`` for many mails at once (a run that tells every company): one insert
    for the rows, and one ``send_outbound_emails`` task per BATCH_SIZE of them after the
    commit instead of one task each. Each item has ``to``, ``template``, ``context`` and
    ``language``; no one-time values (those go through ``mail_enqueue``)."""
    from backoffice.core.models import OutboundEmail

    deadline = _claim_deadline(timezone.now())
    emails = OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                to=mail["to"],
                template=mail["template"],
                context=mail["context"],
                language=mail.get("language") or settings.LANGUAGE_CODE,
                sensitive_keys=[],
                lease_until=deadline,
            )
            for mail in mails
        ]
    )
    ids = [email.pk for email in emails]
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue_on_commit(send_outbound_emails, ids[start : start + BATCH_SIZE])
    return emails


def mail_retry(*, email_id: int) -> bool:
    """Console: queue a failed mail again. Returns whether it was queued.

    Refused for mails whose one-time values were masked (the code they carried is gone).
    """
    from backoffice.core.models import OutboundEmail, OutboundEmailStatus

    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutboundEmailStatus.FAILED)
            .first()
        )
        if email is None or email.sensitive_keys:
            return False
        email.status = OutboundEmailStatus.QUEUED
        email.lease_until = _claim_deadline(timezone.now())
        email.save(update_fields=["status", "lease_until"])
        enqueue_on_commit(send_outbound_email, email.pk)
    return True


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def route_url(name: str, *args) -> str:
    """The absolute URL of the named route ``name`` (``"portal:activate"``) for a mail: the
    domains name the page their mail links to; the URL configuration resolves it."""
    return absolute_url(reverse(name, args=args))


#: The one layout of every mail's text part: one greeting, the body, one signature.
MAIL_LAYOUT = "mail/base.txt"
#: The body alone (the 消息中心 shows it; the HTML part wraps it).
BARE_LAYOUT = "mail/bare.txt"
#: The HTML part of a mail without its own ``<template>.html``.
DEFAULT_HTML = "mail/default.html"


def mail_subject(template: str, context: dict) -> str:
    """The subject line of ``template`` without the prefix, in the active language."""
    return " ".join(render_to_string(f"{template}_subject.txt", context).split())


def mail_body(template: str, context: dict) -> str:
    """The body of ``template`` without greeting and signature, in the active language."""
    return render_to_string(f"{template}.txt", {**context, "mail_layout": BARE_LAYOUT}).strip()


def render_mail(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Subject, text part and HTML part of a mail, in ``language``.

    Every subject carries one prefix ("云睐：" / "AggreSmart: "), added here and nowhere
    else. ``<template>.txt`` extends ``mail_layout`` (the greeting and the signature);
    the HTML part is ``<template>.html`` when there is one, else the body in
    ``mail/default.html``; both extend ``mail/base.html``.
    """
    with translation.override(language):
        context = {
            **context,
            "site_url": settings.SITE_URL,
            "support_email": settings.SUPPORT_EMAIL,
            "recipient_name": context.get("recipient_name")
            or context.get("name")
            or context.get("contact_name")
            or "",
        }
        subject = translation.gettext("AggreSmart: %(subject)s") % {
            "subject": mail_subject(template, context)
        }
        text = render_to_string(f"{template}.txt", {**context, "mail_layout": MAIL_LAYOUT})
        text = text.strip() + "\n"
        html = select_template([f"{template}.html", DEFAULT_HTML]).render(
            {**context, "body_text": mail_body(template, context), "subject": subject}
        )
    return subject, text, html


# --------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------


def send_outbound_email(email_id: int) -> str:
    """Task: claim and send one outbox mail: "sent", "failed", "skipped" (sent already,
    claimed by another worker, or failed) or "lost-lease". Safe to run twice."""
    email = _claim(email_id=email_id)
    if email is None:
        return "skipped"
    return _deliver(email)


def send_outbound_emails(email_ids: list[int]) -> dict[str, int]:
    """Task: ``send_outbound_email`` for each of ``email_ids`` in turn (the mails of one
    ``mails_enqueue``), for at most BATCH_SECONDS: the sweeper queues what is left by its
    deadline. Safe to run twice."""
    results: Counter[str] = Counter()
    started = time.monotonic()
    for email_id in email_ids:
        if time.monotonic() - started > BATCH_SECONDS:
            break
        results[send_outbound_email(email_id)] += 1
    return dict(results)


def send_outbound_batch(limit: int = BATCH_SIZE) -> dict[str, int]:
    """Task: claim and send queued mails, oldest deadline first, one claim at a time (so
    each lease covers one send), until none is left, ``limit`` were sent or BATCH_SECONDS
    passed. Batches run side by side: a row locked by one is skipped by the others."""
    results: Counter[str] = Counter()
    started = time.monotonic()
    for _ in range(limit):
        if time.monotonic() - started > BATCH_SECONDS:
            break
        email = _claim()
        if email is None:
            break
        results[_deliver(email)] += 1
    return dict(results)


@transaction.atomic
def outbox_sweep(now: datetime | None = None) -> dict[str, int]:
    """Scheduled every minute: recover what dead or lost tasks left behind.

    - ``sending`` past its lease (the worker died, or hangs): back to ``queued``, due at
      once; ``failed`` with an error once it was claimed OUTBOX_MAX_ATTEMPTS times;
    - ``queued`` past its deadline (its task was lost, or waits behind a long queue):
      ``send_outbound_batch`` tasks are queued for them. A task that still comes later
      finds the row claimed or sent and does nothing.
    """
    from backoffice.core.models import OutboundEmail, OutboundEmailStatus

    now = now or timezone.now()
    expired = list(
        OutboundEmail.objects.select_for_update(skip_locked=True)
        .filter(status=OutboundEmailStatus.SENDING, lease_until__lt=now)
        .order_by("lease_until")[:SWEEP_LIMIT]
    )
    failed = 0
    for email in expired:
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            failed += 1
            email.status = OutboundEmailStatus.FAILED
            email.lease_until = None
            email.context = _masked_context(email)
            email.error = (
                f"Claimed {email.attempts} times, each claim expired before the send was "
                f"recorded (worker killed or stuck). It may have been delivered: look for "
                f"Message-ID {email.message_id}."
            )
        else:
            email.status = OutboundEmailStatus.QUEUED
            email.lease_until = now
    OutboundEmail.objects.bulk_update(expired, ["status", "lease_until", "context", "error"])
    due = OutboundEmail.objects.filter(
        status=OutboundEmailStatus.QUEUED, lease_until__lte=now
    ).count()
    batches = min(math.ceil(due / BATCH_SIZE), MAX_BATCHES_PER_SWEEP)
    for _ in range(batches):
        enqueue_on_commit(send_outbound_batch)
    report = {"requeued": len(expired) - failed, "failed": failed, "due": due, "batches": batches}
    if expired or due:
        logger.warning("Outbox sweep: %s", report)
    return report


# --------------------------------------------------------------------------
# Invariant (check_ledgers)
# --------------------------------------------------------------------------


def outbox_overdue(*, now: datetime | None = None, grace: timedelta = OVERDUE_GRACE) -> list:
    """Pending mails (``queued`` / ``sending``) more than ``grace`` past their deadline, or
    with none: the sweeper should have moved every one of them. Empty when healthy."""
    from backoffice.core.models import OUTBOX_PENDING, OutboundEmail

    cutoff = (now or timezone.now()) - grace
    return list(
        OutboundEmail.objects.filter(status__in=OUTBOX_PENDING)
        .filter(Q(lease_until__lt=cutoff) | Q(lease_until__isnull=True))
        .order_by("lease_until", "pk")
        .values("pk", "status", "lease_until", "attempts")
    )


# --------------------------------------------------------------------------
# Claim, send, record
# --------------------------------------------------------------------------


def _claim_deadline(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.OUTBOX_CLAIM_WITHIN_SECONDS)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _claim(*, email_id: int | None = None):
    """Lock one ``queued`` row (that one, or the oldest due) and make it ``sending`` under a
    fresh token and lease. Committed before anything is sent. None if nothing to claim."""
    from backoffice.core.models import OutboundEmail, OutboundEmailStatus

    now = timezone.now()
    with transaction.atomic():
        rows = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
            status=OutboundEmailStatus.QUEUED
        )
        if email_id is not None:
            rows = rows.filter(pk=email_id)
        email = rows.order_by("lease_until", "pk").first()
        if email is None:
            return None
        email.status = OutboundEmailStatus.SENDING
        email.attempts += 1
        email.claim_token = secrets.token_hex(8)
        email.claimed_by = _worker_name()
        email.lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        email.save(update_fields=["status", "attempts", "claim_token", "claimed_by", "lease_until"])
    return email


def _deliver(email) -> str:
    """Render and send a claimed mail (no transaction open), then record the outcome."""
    from backoffice.core.models import OutboundEmailStatus

    subject = email.subject
    try:
        subject, body, html = render_mail(email.template, email.context, email.language)
        message = EmailMultiAlternatives(
            subject=subject, body=body, to=[email.to], headers={"Message-ID": email.message_id}
        )
        if email.html:
            message.attach_alternative(html, "text/html")
        message.send()
    except Exception as exc:  # recorded for the outbox; staff retry from the console
        return _record(
            email,
            status=OutboundEmailStatus.FAILED,
            subject=subject,
            error=f"{type(exc).__name__}: {exc}",
        )
    return _record(email, status=OutboundEmailStatus.SENT, subject=subject)


def _record(email, *, status: str, subject: str, error: str = "") -> str:
    """Write the outcome if the row still carries this claim's token (a compare-and-set:
    no lock was held while sending). It does unless the lease expired and another worker
    claimed the row since; then the mail may go out twice, under the same Message-ID."""
    from backoffice.core.models import OUTBOX_PENDING, OutboundEmail, OutboundEmailStatus

    values = {
        "status": status,
        "lease_until": None,
        "subject": _mask(subject, email)[:255],
        "error": _mask(error, email)[:2000],
        "context": _masked_context(email),
    }
    if status == OutboundEmailStatus.SENT:
        values["sent_at"] = timezone.now()
    recorded = OutboundEmail.objects.filter(
        pk=email.pk, claim_token=email.claim_token, status__in=OUTBOX_PENDING
    ).update(**values)
    if not recorded:
        logger.warning(
            "Outbox mail %s was %s after its lease passed to another worker; it may be "
            "delivered twice (Message-ID %s).",
            email.pk,
            status,
            email.message_id,
        )
        return "lost-lease"
    return str(status)


def _masked_context(email) -> dict:
    return {
        key: MASK if key in email.sensitive_keys else value for key, value in email.context.items()
    }


def _mask(text: str, email) -> str:
    """Mask the one-time values wherever they appear in ``text`` (subject, error)."""
    for key in email.sensitive_keys:
        value = email.context.get(key)
        if value not in (None, "", MASK):
            text = text.replace(str(value), MASK)
    return text
