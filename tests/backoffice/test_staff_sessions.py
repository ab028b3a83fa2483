"""Staff sessions end after 30 minutes idle and 12 hours in all; partner sessions do not."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from tests.partners.factories import PartnerUserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/account/"


@contextmanager
def travel(**delta):
    """Run the block ``delta`` (minutes=..., hours=...) from now."""
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", lambda: real_now() + timedelta(**delta)):
        yield


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_defaults_are_30_minutes_idle_and_12_hours(settings):
    assert settings.STAFF_SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.STAFF_SESSION_MAX_AGE == 12 * 3600


def test_a_staff_session_ends_after_30_idle_minutes(staff_client):
    assert staff_client.get("/admin/").status_code == 200
    with travel(minutes=29):
        assert staff_client.get("/admin/").status_code == 200  # still on, and active again
    with travel(minutes=29 + 31):
        response = staff_client.get("/admin/partners/company/?q=x")
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=%2Fadmin%2Fpartners%2Fcompany%2F%3Fq%3Dx"
    assert not logged_in(staff_client)
    page = staff_client.get(response.url).content.decode()
    assert "您已 30 分钟无操作，已自动退出登录，请重新登录。" in page


def test_a_busy_staff_session_ends_12_hours_after_login(staff_client):
    staff_client.get("/admin/")
    for minutes in range(20, 12 * 60, 20):  # a request every 20 minutes
        with travel(minutes=minutes):
            assert staff_client.get("/admin/").status_code == 200, minutes
    with travel(hours=12, minutes=1):
        response = staff_client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert not logged_in(staff_client)
    page = staff_client.get(response.url).content.decode()
    assert "登录已满 12 小时，会话已结束，请重新登录。" in page


def test_the_timeouts_come_from_the_settings(staff_client, settings):
    settings.STAFF_SESSION_IDLE_TIMEOUT = 5 * 60
    staff_client.get("/admin/")
    with travel(minutes=6):
        assert staff_client.get("/admin/").status_code == 302


def test_a_post_after_expiry_changes_nothing_and_goes_to_the_login(staff_client, superuser):
    staff_client.get("/admin/")
    with travel(minutes=45):
        response = staff_client.post(
            f"/admin/partners/user/{superuser.pk}/change/", {"name": "changed"}
        )
    assert response.status_code == 302
    assert response.url == "/admin/login/?next=%2Fadmin%2F"
    superuser.refresh_from_db()
    assert superuser.name != "changed"


def test_the_last_activity_is_written_at_most_once_a_minute(staff_client):
    staff_client.get("/admin/")
    seen = staff_client.session["staff_seen_at"]
    with travel(seconds=30):
        staff_client.get("/admin/")
    assert staff_client.session["staff_seen_at"] == seen
    with travel(seconds=90):
        staff_client.get("/admin/")
    assert staff_client.session["staff_seen_at"] > seen


def test_partner_sessions_keep_todays_behaviour(client):
    partner = PartnerUserFactory()
    client.force_login(partner)
    assert client.get(PROFILE).status_code == 200
    with travel(hours=13):
        assert client.get(PROFILE).status_code == 200
    assert logged_in(client)
    assert "staff_login_at" not in client.session
