"""Templated e-mail through an outbox, sent by a django-q2 task after commit.

``mail_enqueue`` is what services call: it writes an ``OutboundEmail`` row in the
caller's transaction and queues the send for after the commit (a rollback leaves
neither). The task renders ``<template>_subject.txt`` and ``<template>.txt`` in the
mail's language (zh-hans unless the caller says otherwise; every template is
translated, so English works too), sends it, and records sent/failed with the
error. Staff retry failed mails from the console outbox. Sending twice is a no-op.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from backoffice.tasks import enqueue_on_commit


def mail_enqueue(*, to: str, template: str, context: dict, language: str | None = None):
    from backoffice.models import OutboundEmail

    email = OutboundEmail.objects.create(
        to=to, template=template, context=context, language=language or settings.LANGUAGE_CODE
    )
    enqueue_on_commit(send_outbound_email, email.pk)
    return email


def mail_retry(*, email_id: int) -> None:
    """Console: queue a failed mail again."""
    from backoffice.models import OutboundEmail, OutboundEmailStatus

    with transaction.atomic():
        updated = OutboundEmail.objects.filter(
            pk=email_id, status=OutboundEmailStatus.FAILED
        ).update(status=OutboundEmailStatus.QUEUED)
        if updated:
            enqueue_on_commit(send_outbound_email, email_id)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def render_mail(template: str, context: dict, language: str) -> tuple[str, str]:
    with translation.override(language):
        context = {
            **context,
            "site_url": settings.SITE_URL,
            "support_email": settings.SUPPORT_EMAIL,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    return subject, body


def send_outbound_email(email_id: int) -> str:
    """Task: send one outbox mail. Safe to run twice (a sent mail is not sent again)."""
    from backoffice.models import OutboundEmail, OutboundEmailStatus

    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status == OutboundEmailStatus.SENT:
            return "skipped"
        email.attempts += 1
        try:
            subject, body = render_mail(email.template, email.context, email.language)
            email.subject = subject[:255]
            EmailMessage(subject=subject, body=body, to=[email.to]).send()
        except Exception as exc:  # recorded for the outbox; staff retry from the console
            email.status = OutboundEmailStatus.FAILED
            email.error = f"{type(exc).__name__}: {exc}"[:2000]
            email.save(update_fields=["attempts", "status", "error", "subject"])
            return "failed"
        email.status = OutboundEmailStatus.SENT
        email.error = ""
        email.sent_at = timezone.now()
        email.save(update_fields=["attempts", "status", "error", "subject", "sent_at"])
    return "sent"
