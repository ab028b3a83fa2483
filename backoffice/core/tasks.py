"""Enqueue django-q2 tasks after the surrounding transaction commits.

Tasks take ids, load their objects and call a service; they are safe to run twice.
In tests ``Q_CLUSTER["sync"]`` runs them in-process right after the commit.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django_q.tasks import async_task


def _path(func: Callable[..., Any] | str) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def enqueue_on_commit(
    func: Callable[..., Any] | str, *args: Any, using: str | None = None, **kwargs: Any
) -> None:
    """Queue ``func(*args, **kwargs)`` once the current transaction commits; never on rollback.

    Outside a transaction (autocommit) the task is queued at once.
    """
    transaction.on_commit(partial(async_task, _path(func), *args, **kwargs), using=using)


def clear_expired_sessions() -> int:
    """Housekeeping task: delete expired sessions. Returns the number deleted."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def percent_done(done: int, total: int, *, finished: bool, cap: int = 100) -> int:
    """The progress of a task that works through ``total`` rows: 100 once ``finished``,
    else the share of rows ``done`` (0 before the total is known), at most ``cap``."""
    if finished:
        return 100
    if not total:
        return 0
    return min(cap, done * 100 // total)
