"""The portal's 消息中心 and its mails: ``notify`` is the one call a domain makes when a
partner's user must learn about a decision (a payment confirmed, a bill due, ...).

For each recipient it writes a ``Notification`` row and an outbox mail in the caller's
transaction: a rollback leaves neither, and the mail is sent after the commit. The mail
is rendered in the recipient's language (``user.language``, else the site default),
with absolute links; the message is rendered when shown, in the reader's language then.

A ``key`` (``bill-due:<id>``) makes a notice once-only per recipient: the database
refuses the second row, and no second mail is queued.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from backoffice.core.mail import absolute_url, mail_body, mail_enqueue, mail_subject, mails_enqueue

#: The header badge shows at most this many, then "99+".
BADGE_CAP = 99


def user_language(user) -> str:
    """The language of ``user``'s mails: their own choice, else the site default."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def notify(
    *,
    users: Iterable,
    kind: str,
    template: str,
    context: dict,
    link_name: str = "",
    link_args: Iterable = (),
    key: str | None = None,
) -> int:
    """Tell ``users`` (deduplicated, those without an e-mail skipped) about one event.

    ``template`` is a mail template (``<template>_subject.txt``, ``<template>.txt``);
    its context gets ``link`` (the absolute URL of ``link_name``) and ``recipient_name``.
    Call it inside the deciding transaction. Returns the number of users notified.
    """
    from backoffice.core.models import Notification

    path = reverse(link_name, args=list(link_args)) if link_name else ""
    context = {**context, "link": absolute_url(path) if path else ""}
    count = 0
    for user in _recipients(users):
        row = Notification(
            recipient=user, kind=kind, template=template, context=context, link=path, key=key
        )
        if key is None:
            row.save()
        else:
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:  # this user was told already
                continue
        mail_enqueue(
            to=user.email,
            template=template,
            context={**context, "recipient_name": getattr(user, "name", "")},
            language=user_language(user),
        )
        count += 1
    return count


@dataclass(frozen=True)
class Notice:
    """One event to tell ``users`` about: the arguments of ``notify``."""

    users: list
    kind: str
    template: str
    context: dict
    link_name: str = ""
    link_args: tuple = ()
    key: str | None = None


def notify_many(notices: Iterable[Notice]) -> int:
    """``notify`` for many events in one go (a run that tells every company at once): the
    messages in one insert, the mails in another (``mails_enqueue``). Call it inside the
    deciding transaction with keys not told yet (``notified_keys``); if one was told
    meanwhile, the database refuses the insert and each notice falls back to ``notify``,
    which skips whoever was told. Returns the number of (notice, user) pairs told."""
    from backoffice.core.models import Notification

    notices = list(notices)
    rows: list = []
    mails: list[dict] = []
    for notice in notices:
        path = reverse(notice.link_name, args=list(notice.link_args)) if notice.link_name else ""
        context = {**notice.context, "link": absolute_url(path) if path else ""}
        for user in _recipients(notice.users):
            rows.append(
                Notification(
                    recipient=user,
                    kind=notice.kind,
                    template=notice.template,
                    context=context,
                    link=path,
                    key=notice.key,
                )
            )
            mails.append(
                {
                    "to": user.email,
                    "template": notice.template,
                    "context": {**context, "recipient_name": getattr(user, "name", "")},
                    "language": user_language(user),
                }
            )
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(rows)
    except IntegrityError:  # a key was told meanwhile: one by one, skipping those told
        return sum(notify(**_notify_kwargs(notice)) for notice in notices)
    mails_enqueue(mails)
    return len(rows)


def _recipients(users: Iterable) -> list:
    """``users`` once each, without those who have no e-mail (``notify``'s rule)."""
    seen: set[int] = set()
    picked = []
    for user in users:
        if user.pk in seen or not user.email:
            continue
        seen.add(user.pk)
        picked.append(user)
    return picked


def _notify_kwargs(notice: Notice) -> dict:
    return {field: getattr(notice, field) for field in Notice.__dataclass_fields__}


# --------------------------------------------------------------------------
# Reading and marking (the portal's 消息中心)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    """A notification rendered for display, in the active language."""

    pk: int
    kind: str
    title: str
    body: str
    link: str
    created_at: object
    read: bool


def notification_render(notification) -> NotificationView:
    context = {**notification.context, "recipient_name": ""}
    return NotificationView(
        pk=notification.pk,
        kind=notification.kind,
        title=capfirst(mail_subject(notification.template, context)),
        body=mail_body(notification.template, context),
        link=notification.link,
        created_at=notification.created_at,
        read=notification.read_at is not None,
    )


def notified_keys(keys) -> set[str]:
    """Which of ``keys`` some user was already notified under."""
    from backoffice.core.models import Notification

    return set(
        Notification.objects.filter(key__in=list(keys)).values_list("key", flat=True).distinct()
    )


def notifications_of(*, user) -> QuerySet:
    """``user``'s notifications, newest first (the index's order)."""
    from backoffice.core.models import Notification

    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(*, user, cap: int = BADGE_CAP) -> int:
    """Unread notifications of ``user``, counted up to ``cap + 1`` at most: an indexed
    scan of at most that many rows, however many there are."""
    from backoffice.core.models import Notification

    return (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .order_by()
        .values("pk")[: cap + 1]
        .count()
    )


def badge_text(count: int, cap: int = BADGE_CAP) -> str:
    """The header badge: nothing when 0, "99+" past the cap."""
    if not count:
        return ""
    return f"{cap}+" if count > cap else str(count)


def notification_open(*, user, notification_id: int):
    """Mark ``user``'s notification read and return it; ``Notification.DoesNotExist`` if it
    is not theirs."""
    from backoffice.core.models import Notification

    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    from backoffice.core.models import Notification

    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
