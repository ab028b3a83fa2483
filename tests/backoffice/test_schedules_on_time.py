"""``setup_schedules`` puts each job's first run within one period (issue 20, item 4).

The every-minute ``cancel_unpaid_orders`` used to get its first run at the next 00:01, so
after a deploy unpaid online orders lived until midnight instead of 15 minutes.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from backoffice.schedules import PERIODS, SCHEDULES, schedules_sync

pytestmark = pytest.mark.django_db

CANCEL = "billing.cancel_unpaid_orders"


def next_runs() -> dict:
    return dict(Schedule.objects.values_list("name", "next_run"))


def test_first_run_of_cancel_unpaid_orders_is_within_a_minute_of_setup():
    before = timezone.now()
    call_command("setup_schedules", verbosity=0)
    after = timezone.now()
    job = Schedule.objects.get(name=CANCEL)
    assert (job.func, job.schedule_type, job.minutes) == (
        "billing.tasks.cancel_unpaid_orders",
        Schedule.MINUTES,
        1,
    )
    assert before < job.next_run <= after + timedelta(minutes=1)


def test_every_job_runs_within_one_period_of_setup():
    now = timezone.now()
    assert schedules_sync(now=now) == (len(SCHEDULES), 0)
    runs = next_runs()
    for spec in SCHEDULES:
        assert now < runs[spec.name] <= now + PERIODS[spec.schedule_type], spec.name
    # interval jobs: exactly one period after the setup (hourly: not the next 00:05)
    assert runs["billing.expire_coupons"] == now + timedelta(hours=1)
    assert runs[CANCEL] == now + timedelta(minutes=1)


def test_rerun_keeps_the_next_runs_the_scheduler_set():
    now = timezone.now()
    schedules_sync(now=now)
    # the scheduler has moved some jobs on since
    Schedule.objects.filter(name=CANCEL).update(next_run=now + timedelta(seconds=40))
    Schedule.objects.filter(name="billing.daily_bills").update(next_run=now + timedelta(hours=3))
    kept = next_runs()
    later = now + timedelta(seconds=30)
    assert schedules_sync(now=later) == (0, 0)
    call_command("setup_schedules", verbosity=0)
    assert next_runs() == kept


def test_rerun_pulls_in_a_next_run_beyond_one_period():
    """What the older release left: the minute job at 00:01 tomorrow, hourly at 00:05."""
    now = timezone.now()
    schedules_sync(now=now)
    Schedule.objects.filter(name=CANCEL).update(next_run=now + timedelta(hours=20))
    Schedule.objects.filter(name="billing.expire_coupons").update(
        next_run=now + timedelta(hours=23)
    )
    later = now + timedelta(minutes=5)
    assert schedules_sync(now=later) == (0, 2)
    runs = next_runs()
    assert runs[CANCEL] == later + timedelta(minutes=1)
    assert runs["billing.expire_coupons"] == later + timedelta(hours=1)
