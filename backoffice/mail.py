"""Templated e-mail, sent by a django-q2 task queued after commit.

``mail_enqueue`` is what services call. The task renders the templates
``<template>_subject.txt`` and ``<template>.txt`` in Chinese (the UI's first
language) with the given context, so the context must hold plain values.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from backoffice.tasks import enqueue_on_commit


def mail_enqueue(*, to: str, template: str, context: dict) -> None:
    enqueue_on_commit(send_templated_mail, to=to, template=template, context=context)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def send_templated_mail(*, to: str, template: str, context: dict) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            **context,
            "site_url": settings.SITE_URL,
            "support_email": settings.SUPPORT_EMAIL,
        }
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    EmailMessage(subject=subject, body=body, to=[to]).send()
