import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django_q.models import Schedule

from fixtures.demo import COMPANIES, DEMO_PASSWORD, STAFF_LOGINS

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.label.startswith(("sessions.", "admin.", "django_q."))
    }


def test_loaddemo_twice_leaves_the_same_row_counts():
    call_command("loaddemo", verbosity=0)
    first = _row_counts()
    call_command("loaddemo", verbosity=0)
    assert _row_counts() == first
    assert first["partners.User"] == len(STAFF_LOGINS) + sum(len(c.users) for c in COMPANIES)
    assert first["partners.Company"] == len(COMPANIES)


def test_demo_has_last_months_orders_and_their_draft_statements():
    from billing.models import Order, Statement, StatementStatus
    from billing.selectors import ledger_mismatches
    from billing.statements.services import previous_period
    from fixtures.orders_demo import HISTORY

    call_command("loaddemo", verbosity=0)
    period = previous_period()
    history = Order.objects.filter(idempotency_key__startswith="demo-history:")
    assert history.count() == len(HISTORY)
    assert all(period.starts_at <= o.created_at < period.ends_at for o in history)
    statements = Statement.objects.filter(period_start=period.start)
    assert {s.company.name for s in statements} == {"BlueCloud_D", "TestCompany-A"}
    assert {s.status for s in statements} == {StatementStatus.DRAFT}
    bluecloud = statements.get(company__name="BlueCloud_D")
    assert bluecloud.order_count == 5 and bluecloud.lines.count() == 5
    assert bluecloud.sales_amount == sum(
        o.payable_total for o in history.filter(company__name="BlueCloud_D", payment_status="paid")
    )
    assert not any(v for v in ledger_mismatches().values() if isinstance(v, list))


def test_demo_creates_one_staff_user_per_role_and_they_can_sign_in(client, settings):
    """Demo staff log in with the password, then the code `manage.py totp_code` prints."""
    call_command("loaddemo", verbosity=0)
    settings.DEBUG = True  # totp_code is a development command
    for login in STAFF_LOGINS:
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": login.email, "password": DEMO_PASSWORD},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == "/admin/twofactor/verify/?next=%2Fadmin%2F"
        out = io.StringIO()
        call_command("totp_code", login.email.upper(), stdout=out)
        response = client.post(
            "/admin/twofactor/verify/?next=/admin/", {"code": out.getvalue().strip()}, follow=True
        )
        assert response.redirect_chain[-1][0] == "/admin/", login.email
        assert response.status_code == 200, login.email
        assert 'data-testid="dashboard"' in response.content.decode()
        client.post("/admin/logout/")


def test_demo_staff_keys_are_fixed_and_printed_by_the_banner():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backoffice.twofactor import totp_secret
    from fixtures.demo import demo_totp_key

    call_command("loaddemo", verbosity=0)
    out = io.StringIO()
    call_command("demo_banner", stdout=out)
    banner = out.getvalue()
    assert ".venv/bin/python manage.py totp_code admin@example.com" in banner
    for login in STAFF_LOGINS:
        device = TOTPDevice.objects.get(user__email=login.email, confirmed=True)
        assert device.key == demo_totp_key(login.email)
        assert f"{login.email:<30} {totp_secret(device)}" in banner


def test_totp_code_is_for_development_only(settings):
    from django.core.management import CommandError

    call_command("loaddemo", verbosity=0)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "admin@example.com")
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no authenticator"):
        call_command("totp_code", "distributor@example.com")


def test_setup_schedules_is_idempotent():
    call_command("setup_schedules", verbosity=0)
    first = list(Schedule.objects.values_list("name", "func", "schedule_type"))
    assert first
    call_command("setup_schedules", verbosity=0)
    assert list(Schedule.objects.values_list("name", "func", "schedule_type")) == first
