"""Recurring django-q2 schedules, created idempotently by ``manage.py setup_schedules``.

Each domain issue appends its runs here (monthly statements, half-yearly rebates,
daily bills); the command creates or updates them by name and never duplicates.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_q.models import Schedule


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    schedule_type: str
    # Daily and monthly jobs: local (Asia/Shanghai) time of day (and day of the month) of
    # their runs. Minute and hourly jobs run one period after setup_schedules, then every period.
    first_run_at: time = time(2, 0)
    first_run_day: int | None = None  # for monthly runs: day of the month
    kwargs: dict = field(default_factory=dict)


# One row a job: name, task, schedule type, then (daily and monthly jobs) the local time of
# day and (monthly jobs) the day of the month of their runs.
SCHEDULES: list[ScheduleSpec] = [
    ScheduleSpec(
        "housekeeping.clear_expired_sessions",
        "backoffice.core.tasks.clear_expired_sessions",
        Schedule.DAILY,
        time(3, 30),
    ),
    ScheduleSpec("billing.daily_bills", "billing.tasks.daily_bills", Schedule.DAILY, time(0, 0)),
    ScheduleSpec("billing.expire_coupons", "billing.tasks.expire_coupons", Schedule.HOURLY),
    ScheduleSpec(
        "billing.cancel_unpaid_orders", "billing.tasks.cancel_unpaid_orders", Schedule.MINUTES
    ),
    # Recovers mails of dead or lost tasks (backoffice/core/mail.py): expired leases back to
    # the queue, overdue queued mails sent in batches.
    ScheduleSpec("outbox.sweep", "backoffice.core.mail.outbox_sweep", Schedule.MINUTES),
    # Webhook retries with backoff, and deliveries of dead workers (partners/webhooks).
    ScheduleSpec("webhooks.sweep", "partners.webhooks.services.webhook_sweep", Schedule.MINUTES),
    ScheduleSpec(
        "billing.half_yearly_rebates",
        "billing.tasks.half_yearly_rebates",
        Schedule.MONTHLY,
        time(1, 0),
        first_run_day=1,
    ),
    ScheduleSpec(
        "billing.monthly_statements",
        "billing.statements.tasks.generate_previous_month",
        Schedule.MONTHLY,
        time(2, 0),
        first_run_day=1,
    ),
]

# What the console shows for each schedule instead of its dotted name (a test checks every
# schedule has one).
SCHEDULE_TITLES = {
    "housekeeping.clear_expired_sessions": _("Clear expired sessions"),
    "billing.daily_bills": _("Generate daily bills"),
    "billing.expire_coupons": _("Expire coupons"),
    "billing.cancel_unpaid_orders": _("Cancel unpaid orders"),
    "outbox.sweep": _("Resend queued mails"),
    "webhooks.sweep": _("Retry webhook deliveries"),
    "billing.half_yearly_rebates": _("Grant half-yearly rebates"),
    "billing.monthly_statements": _("Generate monthly statements"),
}


def schedule_title(name: str) -> str:
    """The human name of a schedule; a schedule not in ``SCHEDULES`` keeps its own name."""
    return str(SCHEDULE_TITLES.get(name, name))


# The longest time between two runs of each schedule type: a next run later than now plus
# this is never right (an older release's 00:01 for a minute job) and is pulled in.
PERIODS = {
    Schedule.MINUTES: timedelta(minutes=1),
    Schedule.HOURLY: timedelta(hours=1),
    Schedule.DAILY: timedelta(days=1),
    Schedule.WEEKLY: timedelta(days=7),
    Schedule.MONTHLY: timedelta(days=31),
    Schedule.QUARTERLY: timedelta(days=92),
    Schedule.YEARLY: timedelta(days=366),
}


def _first_run(spec: ScheduleSpec, now: datetime) -> datetime:
    """A job's first run: never later than now plus its period.

    Interval jobs (every minute, every hour) first run one period after the setup, so the
    every-minute ``cancel_unpaid_orders`` runs within a minute of a deploy, not at the next
    00:01. Calendar jobs (daily, monthly) keep their local time of day (and day of the
    month): that is what their business rule is about (bills at midnight, statements on the
    1st), and their next occurrence is always within one period.
    """
    if spec.schedule_type in (Schedule.MINUTES, Schedule.HOURLY):
        return now + PERIODS[spec.schedule_type]
    return _next_local(spec.first_run_at, now, spec.first_run_day)


def _next_local(at: time, now: datetime, day: int | None = None) -> datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    local_now = now.astimezone(tz)
    candidate = local_now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if day is not None:
        candidate = candidate.replace(day=day)
        if candidate <= local_now:
            month = candidate.month % 12 + 1
            candidate = candidate.replace(year=candidate.year + (month == 1), month=month)
        return candidate
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
                minutes=1 if spec.schedule_type == Schedule.MINUTES else None,
                repeats=-1,
                next_run=_first_run(spec, now),
            )
            created += 1
            continue
        # Schedule.kwargs is a text column (the repr django-q2 literal_evals).
        wanted = {
            "func": spec.func,
            "schedule_type": spec.schedule_type,
            "kwargs": str(spec.kwargs),
            "minutes": 1 if spec.schedule_type == Schedule.MINUTES else None,
        }
        changed = [attr for attr, value in wanted.items() if getattr(existing, attr) != value]
        for attr in changed:
            setattr(existing, attr, wanted[attr])
        # A re-run keeps the next run the scheduler set, unless the job changed its type or
        # its next run lies beyond one period (an older release's 00:01 for a minute job).
        if (
            "schedule_type" in changed
            or existing.next_run is None
            or existing.next_run > now + PERIODS[spec.schedule_type]
        ):
            existing.next_run = _first_run(spec, now)
            changed.append("next_run")
        if changed:
            existing.save(update_fields=changed)
            updated += 1
    return created, updated
