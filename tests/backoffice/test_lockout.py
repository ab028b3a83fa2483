"""Login lockout (backoffice.lockout): per (account, address) and per address, growing."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils.html import escape

from backoffice.lockout import cool_off_for
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRANGER, OFFICE = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def ops(db):
    """An operations member (two-factor login optional: the password is the whole login)."""
    user = UserFactory(is_staff=True, email="ops.member@example.com")
    user.groups.add(staff_roles_sync()[StaffRole.OPERATIONS])
    return user


def console_login(client, email: str, password: str, ip: str):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
    )


def fail(client, email: str, ip: str, times: int = 1):
    response = None
    for attempt in range(times):
        response = console_login(client, email, f"wrong-{attempt}", ip)
    return response


def age_failures(seconds: float) -> None:
    """Let time pass for the lock: move every recorded failure into the past."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(seconds=seconds)
        attempt.save(update_fields=["attempt_time"])


def locked_minutes(response) -> str:
    return response.content.decode().split("请在 ")[1].split(" 分钟后重试")[0]


def test_the_lock_doubles_per_failure_up_to_the_cap(settings):
    settings.AXES_COOLOFF_BASE = timedelta(minutes=1)
    settings.AXES_COOLOFF_MAX = timedelta(minutes=60)
    assert [cool_off_for(n) for n in range(8)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)
    ]
    assert cool_off_for(10_000) == timedelta(minutes=60)


def test_a_stranger_cannot_lock_staff_out(client, settings, ops):
    locked = fail(client, ops.email, STRANGER, settings.AXES_FAILURE_LIMIT + 3)
    assert locked.status_code == 429
    assert console_login(client, ops.email, TEST_PASSWORD, STRANGER).status_code == 429
    # The staff member, from the office, logs in as usual.
    response = console_login(client, ops.email, TEST_PASSWORD, OFFICE)
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/", REMOTE_ADDR=OFFICE).status_code == 200
    # ...and their success does not give the stranger fresh guesses.
    assert AccessAttempt.objects.get(ip_address=STRANGER).failures_since_start == 5


def test_the_lock_grows_with_each_failure_after_it(client, settings, ops):
    first = fail(client, ops.email, STRANGER, settings.AXES_FAILURE_LIMIT)
    assert first.status_code == 429
    assert "请在 1 分钟后重试" in first.content.decode()  # "less than a minute"

    age_failures(61)  # the 1-minute lock is over: one more failure locks for 2 minutes
    second = fail(client, ops.email, STRANGER)
    assert second.status_code == 429 and locked_minutes(second) == "2"
    age_failures(61)
    assert console_login(client, ops.email, TEST_PASSWORD, STRANGER).status_code == 429
    age_failures(60)

    third = fail(client, ops.email, STRANGER)
    assert third.status_code == 429 and locked_minutes(third) == "4"
    body = third.content.decode()
    assert escape("连续 5 次登录失败，登录已暂停，请在 4 分钟后重试。") in body
    assert "返回登录页" in body  # the console's own lockout page


def test_attempts_during_a_lock_neither_count_nor_extend_it(client, settings, ops):
    fail(client, ops.email, STRANGER, settings.AXES_FAILURE_LIMIT)
    fail(client, ops.email, STRANGER, 10)
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT
    age_failures(61)
    response = console_login(client, ops.email, TEST_PASSWORD, STRANGER)
    assert response.status_code == 302


def test_spraying_many_accounts_locks_the_address(client, settings, ops):
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert fail(client, f"guess{n}@example.com", STRANGER).status_code == 200
    assert fail(client, "guess-last@example.com", STRANGER).status_code == 429
    # Nobody logs in from that address now, the staff member neither...
    assert console_login(client, ops.email, TEST_PASSWORD, STRANGER).status_code == 429
    # ...but from anywhere else they do.
    assert console_login(client, ops.email, TEST_PASSWORD, OFFICE).status_code == 302


def test_forgotten_after_the_window(client, settings, ops):
    fail(client, ops.email, STRANGER, settings.AXES_FAILURE_LIMIT - 1)
    age_failures(settings.AXES_FAILURE_WINDOW.total_seconds() + 1)
    assert fail(client, ops.email, STRANGER).status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_a_login_clears_only_this_address(client, settings, ops):
    fail(client, ops.email, STRANGER, 3)
    fail(client, ops.email, OFFICE, 3)
    assert console_login(client, ops.email, TEST_PASSWORD, OFFICE).status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [STRANGER]
