"""Staff two-factor login: the second step, enrolment, recovery codes, lockout, policy."""

import re

import pytest
from axes.models import AccessAttempt
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.twofactor import otp_required, recovery_codes_regenerate
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.factories import TEST_PASSWORD, UserFactory
from tests.otp import authenticator, fresh_code, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("password_only_login")]

LOGIN = "/admin/login/?next=/admin/"
VERIFY = "/admin/twofactor/verify/?next=%2Fadmin%2F"
ENROL = "/admin/twofactor/enrol/?next=%2Fadmin%2F"


@pytest.fixture(autouse=True)
def _no_device_back_off(settings):
    """django-otp waits 1, 2, 4... seconds between wrong codes per device; tests that type
    a wrong code and then the right one at once switch it off (one test keeps it)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def staff(role: StaffRole | None = None, **extra):
    user = UserFactory(is_staff=True, **extra)
    if role is not None:
        user.groups.add(staff_roles_sync()[role])
    return user


def password_login(client, user, next_url: str = "/admin/"):
    return client.post(
        f"/admin/login/?next={next_url}", {"username": user.email, "password": TEST_PASSWORD}
    )


def enter_code(client, code: str, url: str = VERIFY):
    return client.post(url, {"code": code})


# --------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "superuser", "required"),
    [
        (StaffRole.SUPERADMIN, False, True),
        (None, True, True),
        (StaffRole.FINANCE, False, True),
        (StaffRole.OPERATIONS, False, False),
        (StaffRole.SALES, False, False),
    ],
)
def test_required_for_superadmin_and_finance_only(role, superuser, required):
    assert otp_required(staff(role, is_superuser=superuser)) is required


def test_a_role_listed_in_the_setting_becomes_required(settings):
    sales = staff(StaffRole.SALES)
    settings.STAFF_2FA_REQUIRED_ROLES = ["superadmin", "finance", "sales"]
    assert otp_required(sales)


def test_partner_users_are_never_asked(client):
    partner = UserFactory()  # not staff
    assert not otp_required(partner)


# --------------------------------------------------------------------------
# Login with a device: password, then code
# --------------------------------------------------------------------------


def test_password_then_code_opens_the_console(client):
    user = staff(StaffRole.OPERATIONS)
    device = authenticator(user)
    response = password_login(client, user)
    assert response.status_code == 302 and response.url == VERIFY
    # Every console page waits for the code, straight to the step.
    for path in ("/admin/", "/admin/partners/company/", "/admin/twofactor/"):
        page = client.get(path, follow=True)
        assert page.redirect_chain[-1][0].startswith("/admin/twofactor/verify/"), path
    assert "两步验证" in client.get(VERIFY).content.decode()

    wrong = enter_code(client, "000000" if totp_code(device) != "000000" else "111111")
    assert wrong.status_code == 200
    assert "验证码无效" in wrong.content.decode()

    right = enter_code(client, fresh_code(device))
    assert right.status_code == 302 and right.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_used_code_is_not_accepted_twice(client):
    user = staff(StaffRole.OPERATIONS)
    device = authenticator(user)
    code = fresh_code(device)
    password_login(client, user)
    assert enter_code(client, code).status_code == 302
    client.post("/admin/logout/")
    password_login(client, user)
    assert enter_code(client, code).status_code == 200  # refused: same time step
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_logs_in_once(client):
    user = staff(StaffRole.FINANCE)
    authenticator(user)
    codes = recovery_codes_regenerate(user=user)
    password_login(client, user)
    assert enter_code(client, codes[0].upper()).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")
    password_login(client, user)
    assert enter_code(client, codes[0]).status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == len(codes) - 1


def test_the_next_url_stays_on_this_site(client):
    user = staff(StaffRole.OPERATIONS)
    device = authenticator(user)
    password_login(client, user)
    response = enter_code(
        client, fresh_code(device), "/admin/twofactor/verify/?next=https://evil.example/"
    )
    assert response.status_code == 302 and response.url == "/admin/"


def test_logout_works_before_the_code(client):
    user = staff(StaffRole.OPERATIONS)
    authenticator(user)
    password_login(client, user)
    assert client.post("/admin/logout/").status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_password_login_starts_unverified(client, password_only_login):
    """A session verified before does not carry over to the next password login."""
    user = staff(StaffRole.OPERATIONS)
    device = authenticator(user)
    password_only_login(client, user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = password_login(client, user)
    assert response.url == VERIFY
    assert client.get("/admin/").status_code == 302


def test_another_users_device_does_not_verify_a_session(client, password_only_login):
    user = staff(StaffRole.OPERATIONS)
    authenticator(user)
    other = authenticator(staff(StaffRole.OPERATIONS))
    password_only_login(client, user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()
    assert client.get("/admin/").status_code == 302


# --------------------------------------------------------------------------
# Required roles without a device: enrolment first; optional roles: password only
# --------------------------------------------------------------------------


def test_required_role_without_device_must_enrol_before_any_console_page(client):
    user = staff(StaffRole.FINANCE)
    response = password_login(client, user)
    assert response.status_code == 302 and response.url == ENROL
    for path in ("/admin/", "/admin/billing/payment/", "/admin/password_change/"):
        page = client.get(path, follow=True)
        assert page.redirect_chain[-1][0].startswith("/admin/twofactor/enrol/"), path

    page = client.get(ENROL)
    body = page.content.decode()
    assert page.status_code == 200
    assert "您的角色要求两步验证" in body
    pending = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'data-testid="twofactor-secret">([^<]+)<', body).group(1)
    assert secret.replace(" ", "") in pending.config_url
    qr = client.get("/admin/twofactor/enrol/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")
    # Reloading keeps the same key (the app may have scanned it already).
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=user).count() == 1

    assert enter_code(client, "12345x", ENROL).status_code == 200
    assert client.get("/admin/").status_code == 302

    confirmed = enter_code(client, totp_code(pending), ENROL)
    assert confirmed.status_code == 302 and confirmed.url == "/admin/twofactor/recovery-codes/"
    codes_page = client.get(confirmed.url).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", codes_page)
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    assert 'href="/admin/"' in codes_page
    # Shown once.
    assert client.get(confirmed.url).url == "/admin/twofactor/"
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed


@pytest.mark.parametrize("superuser", [True, False])
def test_superadmin_without_device_must_enrol(client, superuser):
    role = None if superuser else StaffRole.SUPERADMIN
    user = staff(role, is_superuser=superuser)
    assert password_login(client, user).url == ENROL


def test_optional_role_without_device_logs_in_with_the_password(client):
    for role in (StaffRole.OPERATIONS, StaffRole.SALES):
        user = staff(role)
        response = password_login(client, user)
        assert response.status_code == 302 and response.url == "/admin/"
        assert client.get("/admin/").status_code == 200
        client.post("/admin/logout/")


def test_optional_role_enrols_from_the_user_menu(client):
    user = staff(StaffRole.OPERATIONS)
    password_login(client, user)
    dashboard = client.get("/admin/").content.decode()
    assert 'href="/admin/twofactor/"' in dashboard  # unfold's user menu
    assert 'href="/admin/password_change/"' in dashboard
    overview = client.get("/admin/twofactor/").content.decode()
    assert 'data-twofactor-status="off"' in overview
    assert "/admin/twofactor/enrol/" in overview
    client.get("/admin/twofactor/enrol/")
    device = TOTPDevice.objects.get(user=user)
    response = enter_code(client, totp_code(device), "/admin/twofactor/enrol/")
    assert response.url == "/admin/twofactor/recovery-codes/"
    assert client.get("/admin/").status_code == 200  # this session is verified
    client.post("/admin/logout/")
    assert password_login(client, user).url == VERIFY  # from now on, the code too


def test_an_enrolled_user_cannot_enrol_a_second_app(client, password_only_login):
    user = staff(StaffRole.OPERATIONS)
    authenticator(user)
    password_login(client, user)
    assert client.get("/admin/twofactor/enrol/").url.startswith("/admin/twofactor/verify/")
    assert client.get("/admin/twofactor/enrol/qr.svg").status_code == 404


def test_the_step_pages_need_a_password_first(client):
    for path in ("/admin/twofactor/verify/", "/admin/twofactor/enrol/", "/admin/twofactor/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), path


# --------------------------------------------------------------------------
# Recovery codes and removal
# --------------------------------------------------------------------------


def _verified(client, user):
    device = authenticator(user)
    recovery_codes_regenerate(user=user)
    password_login(client, user)
    assert enter_code(client, fresh_code(device)).status_code == 302
    return device


def test_new_recovery_codes_replace_the_old_ones(client):
    user = staff(StaffRole.FINANCE)
    device = _verified(client, user)
    old = set(StaticToken.objects.values_list("token", flat=True))
    refused = client.post("/admin/twofactor/recovery-codes/new/", {"code": "999999"})
    assert refused.url == "/admin/twofactor/"
    assert set(StaticToken.objects.values_list("token", flat=True)) == old

    response = client.post("/admin/twofactor/recovery-codes/new/", {"code": fresh_code(device)})
    assert response.url == "/admin/twofactor/recovery-codes/"
    new = set(re.findall(r"<li>([a-z2-7]{8})</li>", client.get(response.url).content.decode()))
    assert len(new) == 10 and not new & old
    assert set(StaticToken.objects.values_list("token", flat=True)) == new
    assert client.get("/admin/").status_code == 200


def test_removing_sends_a_required_role_back_to_enrolment(client):
    user = staff(StaffRole.FINANCE)
    device = _verified(client, user)
    response = client.post("/admin/twofactor/remove/", {"code": fresh_code(device)})
    assert response.url == "/admin/twofactor/"
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    page = client.get("/admin/", follow=True)
    assert page.redirect_chain[-1][0].startswith("/admin/twofactor/enrol/")


def test_removing_needs_a_valid_code(client):
    user = staff(StaffRole.OPERATIONS)
    _verified(client, user)
    client.post("/admin/twofactor/remove/", {"code": "abc"})
    assert TOTPDevice.objects.filter(user=user).exists()


# --------------------------------------------------------------------------
# Wrong codes count toward the login lockout
# --------------------------------------------------------------------------


def test_wrong_codes_lock_the_account_out(client, settings):
    user = staff(StaffRole.FINANCE)
    authenticator(user)
    password_login(client, user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert enter_code(client, "000001").status_code == 200
    locked = enter_code(client, "000002")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # the half-done login is over
    attempt = AccessAttempt.objects.get(username=user.email)
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    # Even the right password and code are refused while the lock lasts.
    assert password_login(client, user).status_code == 429
    assert client.get("/admin/").status_code == 302


def test_a_right_password_does_not_reset_the_code_failures(client, settings):
    """Otherwise password, 4 wrong codes, log out, password... guesses codes forever."""
    user = staff(StaffRole.FINANCE)
    authenticator(user)
    password_login(client, user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        enter_code(client, "000001")
    client.post("/admin/logout/")
    assert password_login(client, user).url == VERIFY
    assert enter_code(client, "000002").status_code == 429


def test_the_device_back_off_asks_to_wait_and_counts_no_failure(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    user = staff(StaffRole.FINANCE)
    device = authenticator(user)
    password_login(client, user)
    enter_code(client, "000001")
    response = enter_code(client, fresh_code(device))
    assert response.status_code == 200
    assert "验证码错误次数过多，请等待 60 秒后重试。" in response.content.decode()
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1


def test_a_right_code_clears_the_failures(client, settings):
    user = staff(StaffRole.FINANCE)
    device = authenticator(user)
    password_login(client, user)
    enter_code(client, "000001")
    assert enter_code(client, fresh_code(device)).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.email).exists()


# --------------------------------------------------------------------------
# Test clients: force_login passes the second step (tests/conftest.py)
# --------------------------------------------------------------------------


def test_password_only_login_fixture_leaves_the_step_due(client, password_only_login):
    user = staff(StaffRole.FINANCE)
    password_only_login(client, user)
    assert client.get("/admin/").status_code == 302
