"""Recurring django-q2 schedules, created idempotently by ``manage.py setup_schedules``.

Each domain issue appends its runs here (monthly statements, half-yearly rebates,
daily bills); the command creates or updates them by name and never duplicates.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django_q.models import Schedule


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    schedule_type: str
    first_run_at: time = time(2, 0)  # local (Asia/Shanghai) time of day
    kwargs: dict = field(default_factory=dict)


SCHEDULES: list[ScheduleSpec] = [
    ScheduleSpec(
        name="housekeeping.clear_expired_sessions",
        func="backoffice.tasks.clear_expired_sessions",
        schedule_type=Schedule.DAILY,
        first_run_at=time(3, 30),
    ),
]


def _next_local(at: time, now: datetime) -> datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    local_now = now.astimezone(tz)
    candidate = local_now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate


@transaction.atomic
def schedules_sync(now: datetime | None = None) -> tuple[int, int]:
    """Create missing schedules and update changed ones. Returns (created, updated)."""
    from django.utils import timezone

    now = now or timezone.now()
    created = updated = 0
    for spec in SCHEDULES:
        existing = Schedule.objects.select_for_update().filter(name=spec.name).first()
        if existing is None:
            Schedule.objects.create(
                name=spec.name,
                func=spec.func,
                kwargs=spec.kwargs,
                schedule_type=spec.schedule_type,
                repeats=-1,
                next_run=_next_local(spec.first_run_at, now),
            )
            created += 1
            continue
        changed = [
            attr
            for attr, value in (
                ("func", spec.func),
                ("schedule_type", spec.schedule_type),
                ("kwargs", spec.kwargs),
            )
            if getattr(existing, attr) != value
        ]
        if changed:
            for attr in changed:
                setattr(existing, attr, getattr(spec, attr))
            existing.save(update_fields=changed)
            updated += 1
    return created, updated
