"""Activation, login (slider, remember me, refusals, lockout), logout on disable, password reset."""

import re
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import urlparse

import pytest
from axes.models import AccessAttempt
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from backoffice.core.storage import private_storage
from partners import captcha, services
from partners.captcha import challenge_issue, challenge_verify
from partners.models import CompanyStatus, QualificationFile, User
from partners.tokens import Purpose, token_make
from tests.factories import TEST_PASSWORD, UserFactory, sales_staff
from tests.pages import zh
from tests.partners.factories import registration_of

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Blue-Cloud-2024!x"
LINK = re.compile(r"https?://[^\s]+")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_slider(settings):
    """Tests answer the slider at once; the minimum age has its own test."""
    settings.SLIDER_MIN_AGE_SECONDS = 0


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path, monkeypatch):
    """Qualification files of the helper's registrations go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(QualificationFile._meta.get_field("file"), "storage", private_storage())


def approved_user(
    email: str = "boss@acme.example.com",
    company_name: str = "Acme 科技",
    *,
    activate: bool = True,
    password: str = TEST_PASSWORD,
) -> User:
    """A company's 管理员 made through the real services: submit, approve, (activate)."""
    reviewer = sales_staff()
    application = registration_of(
        reviewer, company_name=company_name, email=email, contact_name="老板"
    )
    company = services.registration_approve(application=application, reviewer=reviewer)
    user = company.users.get()
    if activate:
        services.user_activate(user=user, password=password)
    return User.objects.select_related("company").get(pk=user.pk)


def co_admin_of(admin: User, email: str = "staff@acme.example.com") -> User:
    user = services.company_user_invite(company=admin.company, email=email, invited_by=admin)
    services.user_activate(user=user, password=TEST_PASSWORD, name="同事", phone="13900001111")
    return User.objects.get(pk=user.pk)


def login_post(
    client, email, password, *, remember=False, slider=None, token=None, REMOTE_ADDR=None, **extra
):
    challenge = challenge_issue(None)
    data = {
        "username": email,
        "password": password,
        "slider": challenge["target"] if slider is None else slider,
        "slider_token": challenge["token"] if token is None else token,
        **extra,
    }
    if remember:
        data["remember"] = "on"
    headers = {"REMOTE_ADDR": REMOTE_ADDR} if REMOTE_ADDR else {}
    return client.post(
        reverse("portal:login"), {k: v for k, v in data.items() if v != ""}, **headers
    )


def link_path(mail) -> str:
    return urlparse(LINK.search(mail.body).group(0)).path


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# --------------------------------------------------------------------------
# Slider check (partners.captcha)
# --------------------------------------------------------------------------


def test_challenge_target_is_in_range_and_signed():
    for _ in range(50):
        challenge = challenge_issue(None)
        assert 20 <= challenge["target"] <= 90
        payload = signing.loads(challenge["token"], salt="portal.slider")
        assert payload["t"] == challenge["target"] and payload["n"] == challenge["nonce"]


@pytest.mark.parametrize(
    ("offset", "ok"), [(0, True), (3, True), (-3, True), (4, False), (-4, False)]
)
def test_challenge_tolerance(offset, ok):
    challenge = challenge_issue(None)
    assert challenge_verify(challenge["token"], challenge["target"] + offset) is ok


def test_challenge_is_single_use_even_after_a_wrong_answer():
    challenge = challenge_issue(None)
    assert challenge_verify(challenge["token"], challenge["target"] + 20) is False
    assert challenge_verify(challenge["token"], challenge["target"]) is False

    other = challenge_issue(None)
    assert challenge_verify(other["token"], other["target"]) is True
    assert challenge_verify(other["token"], other["target"]) is False


@pytest.mark.parametrize("value", [None, "", "abc", "1e3", "-1"])
def test_challenge_rejects_garbage_values(value):
    challenge = challenge_issue(None)
    assert challenge_verify(challenge["token"], value) is False


def test_challenge_rejects_forged_and_foreign_tokens():
    challenge = challenge_issue(None)
    assert challenge_verify(challenge["token"][:-2] + "xx", challenge["target"]) is False
    assert challenge_verify(None, 50) is False
    forged = signing.dumps({"t": 50, "i": time.time(), "n": "n1"}, salt="another.salt")
    assert challenge_verify(forged, 50) is False


def test_challenge_too_fast_or_too_old(settings):
    settings.SLIDER_MIN_AGE_SECONDS = 1
    fresh = challenge_issue(None)
    assert challenge_verify(fresh["token"], fresh["target"]) is False

    old = challenge_issue(None)
    later = time.time() + captcha.MAX_AGE_SECONDS + 5
    with mock.patch("time.time", return_value=later):
        assert challenge_verify(old["token"], old["target"]) is False

    aged = challenge_issue(None)
    with mock.patch("time.time", return_value=time.time() + 2):
        assert challenge_verify(aged["token"], aged["target"]) is True


# --------------------------------------------------------------------------
# Activation
# --------------------------------------------------------------------------


@pytest.fixture
def activation(mailoutbox, django_capture_on_commit_callbacks):
    """An approved, not yet activated 管理员 and the path of the link mailed to them."""
    with django_capture_on_commit_callbacks(execute=True):
        user = approved_user(activate=False)
    mail = mailoutbox[-1]
    assert mail.to == [user.email]
    return user, link_path(mail)


def test_activation_link_sets_password_and_lands_on_login(client, activation):
    user, path = activation
    assert path.startswith("/activate/")
    page = client.get(path)
    assert page.status_code == 200
    assert user.email in page.content.decode()
    assert "name" not in page.context["form"].fields  # the registrant already gave a name

    response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("portal:login") == "/login/"
    user.refresh_from_db()
    assert user.is_activated and user.check_password(NEW_PASSWORD)
    login_page = client.get(response.url)
    assert zh("Your account is activated. Log in with your e-mail and password.") in (
        login_page.content.decode()
    )


def test_replayed_activation_link_shows_used_and_changes_nothing(client, activation):
    user, path = activation
    client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    user.refresh_from_db()
    password_hash, activated_at = user.password, user.activated_at

    page = client.get(path)
    assert page.status_code == 200
    assert 'data-link-state="used"' in page.content.decode()
    assert zh("This link has already been used") in page.content.decode()

    replay = client.post(path, {"password1": "Another-Pass-987!", "password2": "Another-Pass-987!"})
    assert 'data-link-state="used"' in replay.content.decode()
    user.refresh_from_db()
    assert user.password == password_hash and user.activated_at == activated_at
    assert not user.check_password("Another-Pass-987!")


def test_expired_activation_link_offers_a_resend_form(client, activation, settings):
    user, path = activation
    settings.ACTIVATION_LINK_MAX_AGE = -1
    page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-link-state="expired"' in body
    assert zh("This link has expired") in body
    assert f'action="{reverse("portal:activation_resend")}"' in body
    assert f'value="{user.email}"' in body
    post = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert 'data-link-state="expired"' in post.content.decode()
    user.refresh_from_db()
    assert not user.is_activated


def test_tampered_activation_link_is_invalid(client, activation):
    _, path = activation
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = reverse("portal:activate", args=[token[:-3] + "abc"])
    page = client.get(tampered)
    assert page.status_code == 400
    assert 'data-link-state="invalid"' in page.content.decode()
    assert zh("This link is not valid") in page.content.decode()


def test_weak_password_is_rejected_with_the_validator_message(client, activation):
    user, path = activation
    response = client.post(path, {"password1": "123", "password2": "123"})
    assert response.status_code == 200
    errors = response.context["form"].errors["password1"]
    with translation.override("zh-hans"):
        from django.contrib.auth.password_validation import NumericPasswordValidator

        numeric = NumericPasswordValidator().get_error_message()
    assert str(numeric) in errors
    user.refresh_from_db()
    assert not user.is_activated and not user.has_usable_password()


def test_mismatched_passwords_are_a_form_error(client, activation):
    user, path = activation
    response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert zh("The two passwords do not match.") in response.context["form"].errors["password2"]
    user.refresh_from_db()
    assert not user.is_activated


def test_invited_user_gives_name_and_phone_at_activation(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    admin = approved_user()
    with django_capture_on_commit_callbacks(execute=True):
        invited = services.company_user_invite(
            company=admin.company, email="new@acme.example.com", invited_by=admin
        )
    path = link_path(mailoutbox[-1])
    page = client.get(path)
    assert {"name", "phone"} <= set(page.context["form"].fields)
    missing = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "name" in missing.context["form"].errors
    response = client.post(
        path,
        {
            "name": "新同事",
            "phone": "13911112222",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    invited.refresh_from_db()
    assert (invited.name, invited.phone, invited.is_activated) == ("新同事", "13911112222", True)


def test_resend_is_neutral(client, mailoutbox, django_capture_on_commit_callbacks):
    user = approved_user(activate=False)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("portal:activation_resend"), {"email": user.email.upper()})
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [user.email]
    assert link_path(mailoutbox[0]).startswith("/activate/")

    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(reverse("portal:activation_resend"), {"email": "nobody@example.com"})
    assert len(mailoutbox) == 1

    activated = approved_user("done@example.com", "Done 公司")
    with django_capture_on_commit_callbacks(execute=True):
        already = client.post(reverse("portal:activation_resend"), {"email": activated.email})
    assert len(mailoutbox) == 1

    notice = zh(
        "If an account with this e-mail is waiting for activation, we have sent it a new "
        "activation link. Check your inbox and spam folder."
    )

    def neutral_part(response) -> str:
        body = response.content.decode()
        return re.search(r"<p [^>]*data-neutral-notice>.*?</p>", body, re.S).group(0)

    for response in (known, unknown, already):
        assert response.status_code == 200
        assert notice in response.content.decode()
    assert neutral_part(known) == neutral_part(unknown) == neutral_part(already)


def test_resend_with_a_malformed_email_is_a_form_error(client, mailoutbox):
    response = client.post(reverse("portal:activation_resend"), {"email": "nope"})
    assert "email" in response.context["form"].errors
    assert not response.context["sent"]


# --------------------------------------------------------------------------
# Login
# --------------------------------------------------------------------------


def test_login_page_has_the_fields_of_the_manual(client):
    body = client.get(reverse("portal:login")).content.decode()
    for label in (
        "经销商登录",
        "邮箱",
        "密码",
        "记住我",
        "登录",
        "忘记密码？",
        "拖动滑块到标记位置",
    ):
        assert label in body
    assert 'name="username"' in body
    assert 'type="range"' in body and 'min="0"' in body and 'max="100"' in body
    assert 'name="slider_token"' in body
    assert "csrfmiddlewaretoken" in body


def test_correct_login_redirects_home_with_a_browser_session(client):
    user = approved_user()
    response = login_post(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("portal:home")
    assert logged_in_user_id(client) == str(user.pk)
    assert client.session.get_expire_at_browser_close() is True


def test_remember_me_keeps_the_session(client, settings):
    user = approved_user()
    login_post(client, user.email, TEST_PASSWORD, remember=True)
    assert logged_in_user_id(client) == str(user.pk)
    assert client.session.get_expire_at_browser_close() is False
    assert abs(client.session.get_expiry_age() - settings.REMEMBER_ME_AGE) <= 5


def test_email_is_case_insensitive(client):
    user = approved_user()
    response = login_post(client, "BOSS@Acme.Example.COM", TEST_PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account/", "/account/"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com/", "/"),
    ],
)
def test_next_is_followed_only_on_this_site(client, next_url, expected):
    user = approved_user()
    response = login_post(client, user.email, TEST_PASSWORD, next=next_url)
    assert response.status_code == 302 and response.url == expected


@pytest.mark.parametrize("case", ["missing", "no-token", "wrong-value", "forged"])
def test_failed_slider_is_a_form_error_and_does_not_authenticate(client, case):
    user = approved_user()
    challenge = challenge_issue(None)
    fields = {
        "missing": {"slider": "", "token": ""},
        "no-token": {"token": ""},
        "wrong-value": {"slider": (challenge["target"] + 30) % 100, "token": challenge["token"]},
        "forged": {
            "slider": 50,
            "token": signing.dumps({"t": 50, "i": time.time(), "n": "x"}, salt="other"),
        },
    }[case]
    with mock.patch("backoffice.portal.forms.auth.authenticate") as authenticate:
        response = login_post(client, user.email, TEST_PASSWORD, **fields)
    authenticate.assert_not_called()
    assert response.status_code == 200
    assert zh("Complete the slider check.") in response.context["form"].errors["slider"]
    assert zh("Complete the slider check.") in response.content.decode()
    assert logged_in_user_id(client) is None
    assert not AccessAttempt.objects.exists()  # not counted as a login failure


def test_replayed_slider_token_is_refused(client):
    user = approved_user()
    challenge = challenge_issue(None)
    first = login_post(
        client, user.email, TEST_PASSWORD, slider=challenge["target"], token=challenge["token"]
    )
    assert first.status_code == 302
    client.post(reverse("portal:logout"))
    assert logged_in_user_id(client) is None

    replay = login_post(
        client, user.email, TEST_PASSWORD, slider=challenge["target"], token=challenge["token"]
    )
    assert replay.status_code == 200
    assert zh("Complete the slider check.") in replay.context["form"].errors["slider"]
    assert logged_in_user_id(client) is None


def test_slider_answered_too_fast_is_refused_and_says_why(client, settings):
    settings.SLIDER_MIN_AGE_SECONDS = 1
    user = approved_user()
    challenge = challenge_issue(None)
    fields = {"slider": challenge["target"], "token": challenge["token"]}
    response = login_post(client, user.email, TEST_PASSWORD, **fields)
    too_fast = zh("You moved the slider too quickly. Wait a moment and try again.")
    assert too_fast == "滑动过快，请稍候再试。"
    assert response.context["form"].errors["slider"] == [too_fast]
    assert too_fast in response.content.decode()
    assert zh("Complete the slider check.") not in response.content.decode()
    assert logged_in_user_id(client) is None
    # The too-fast drag did not use the challenge up: the same answer passes a moment later.
    with mock.patch("time.time", return_value=time.time() + 2):
        later = login_post(client, user.email, TEST_PASSWORD, **fields)
    assert later.status_code == 302 and logged_in_user_id(client) == str(user.pk)


def test_expired_slider_says_so(client):
    user = approved_user()
    challenge = challenge_issue(None)
    with mock.patch("time.time", return_value=time.time() + captcha.MAX_AGE_SECONDS + 5):
        response = login_post(
            client, user.email, TEST_PASSWORD, slider=challenge["target"], token=challenge["token"]
        )
    assert response.context["form"].errors["slider"] == [
        zh("The slider check has expired. Drag the slider again.")
    ]
    assert logged_in_user_id(client) is None


def test_wrong_password_and_unknown_email_give_the_same_generic_message(client):
    user = approved_user()
    generic = zh("The e-mail or password is incorrect.")
    wrong = login_post(client, user.email, "not-the-password")
    unknown = login_post(client, "ghost@example.com", TEST_PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [generic]
        assert 'data-login-error="invalid_login"' in response.content.decode()
    assert logged_in_user_id(client) is None


def _refused(client, email, password=TEST_PASSWORD):
    response = login_post(client, email, password)
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    return response


def test_unactivated_user_with_a_correct_password_is_told_to_activate(client):
    user = approved_user(activate=False)
    user.set_password(TEST_PASSWORD)  # a password exists, but the account was never activated
    user.save(update_fields=["password"])
    response = _refused(client, user.email)
    body = response.content.decode()
    assert response.context["form"].non_field_errors() == [
        zh(
            "This account is not activated yet. Open the link in your activation e-mail, "
            "or request a new one."
        )
    ]
    assert reverse("portal:activation_resend") in body
    assert 'data-login-error="not_activated"' in body


def test_unactivated_user_without_password_gets_the_generic_message(client):
    user = approved_user(activate=False)
    response = _refused(client, user.email, "any-guess-123")
    assert 'data-login-error="invalid_login"' in response.content.decode()


def test_disabled_user_is_refused_with_its_message(client):
    admin = approved_user()
    colleague = co_admin_of(admin)
    services.company_users_set_active(
        actor=admin, company=admin.company, user_ids=[colleague.pk], active=False
    )
    response = _refused(client, colleague.email)
    assert response.context["form"].non_field_errors() == [
        zh("This account has been disabled. Contact your company's administrator.")
    ]
    # A wrong password never reveals the state of the account.
    wrong = _refused(client, colleague.email, "wrong-password")
    assert 'data-login-error="invalid_login"' in wrong.content.decode()


def test_user_of_a_disabled_company_is_refused_with_its_message(client):
    user = approved_user()
    services.company_set_status(
        company=user.company, status=CompanyStatus.DISABLED, actor=UserFactory(is_staff=True)
    )
    response = _refused(client, user.email)
    assert response.context["form"].non_field_errors() == [
        zh("Your company's account has been disabled. Contact Blue Cloud support.")
    ]


def test_deleted_user_gets_the_generic_message(client):
    admin = approved_user()
    colleague = co_admin_of(admin)
    services.company_user_delete(actor=admin, user=colleague)
    response = _refused(client, colleague.email)
    assert 'data-login-error="invalid_login"' in response.content.decode()


def test_logged_in_user_visiting_login_goes_home(client):
    client.force_login(approved_user())
    response = client.get(reverse("portal:login"))
    assert response.status_code == 302 and response.url == reverse("portal:home")


# --------------------------------------------------------------------------
# Lockout (django-axes)
# --------------------------------------------------------------------------


def _fail_until_locked(client, settings, email, **extra):
    """Post wrong passwords; return how many were answered normally before the 429."""
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 2):
        response = login_post(client, email, f"wrong-{attempt}", **extra)
        if response.status_code == 429:
            return attempt, response
        assert response.status_code == 200
    raise AssertionError("never locked out")


def test_lockout_after_the_failure_limit(client, settings):
    user = approved_user()
    attempts, response = _fail_until_locked(client, settings, user.email)
    assert attempts == settings.AXES_FAILURE_LIMIT
    failures = AccessAttempt.objects.filter(username=user.email).get().failures_since_start
    assert failures == settings.AXES_FAILURE_LIMIT

    correct = login_post(client, user.email, TEST_PASSWORD)
    assert correct.status_code == 429
    # The first lock lasts AXES_COOLOFF_BASE (1 minute); it grows with further failures
    # (tests/backoffice/test_lockout.py).
    message = zh(
        "Logging in is paused after %(failure_limit)s failed attempts. "
        "Try again in less than a minute.",
        failure_limit=settings.AXES_FAILURE_LIMIT,
    )
    body = correct.content.decode()
    assert escape(message) in body
    assert "登录失败次数过多" in body
    assert logged_in_user_id(client) is None


def test_lockout_ends_after_the_cool_off(client, settings):
    settings.AXES_COOLOFF_BASE = timedelta(seconds=1)
    user = approved_user()
    attempts, locked = _fail_until_locked(client, settings, user.email)
    assert attempts == settings.AXES_FAILURE_LIMIT
    assert (
        zh(
            "Logging in is paused after %(failure_limit)s failed attempts. "
            "Try again in less than a minute.",
            failure_limit=settings.AXES_FAILURE_LIMIT,
        )
        in locked.content.decode()
    )
    assert login_post(client, user.email, TEST_PASSWORD).status_code == 429

    time.sleep(1.2)
    response = login_post(client, user.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def test_lockout_counts_per_address_across_accounts(client, settings):
    """Failures spread over many e-mails from one address lock that address too."""
    user = approved_user()
    for attempt in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert login_post(client, f"probe{attempt}@example.com", "guess").status_code == 200
    assert login_post(client, "probe-last@example.com", "guess").status_code == 429
    assert login_post(client, user.email, TEST_PASSWORD).status_code == 429
    # Another address may still log in to the account.
    other = login_post(client, user.email, TEST_PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_failures_from_other_addresses_do_not_lock_the_account(client, settings):
    """A stranger guessing from elsewhere locks only their own address out of the account."""
    user = approved_user()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            reverse("portal:login"), _login_data(user.email, "wrong"), REMOTE_ADDR="10.0.1.1"
        )
    assert response.status_code == 429
    stranger = client.post(
        reverse("portal:login"), _login_data(user.email, TEST_PASSWORD), REMOTE_ADDR="10.0.1.1"
    )
    assert stranger.status_code == 429
    owner = client.post(
        reverse("portal:login"), _login_data(user.email, TEST_PASSWORD), REMOTE_ADDR="10.0.3.1"
    )
    assert owner.status_code == 302


def _login_data(email: str, password: str) -> dict:
    challenge = challenge_issue(None)
    return {
        "username": email,
        "password": password,
        "slider": challenge["target"],
        "slider_token": challenge["token"],
    }


# --------------------------------------------------------------------------
# Disabling ends sessions
# --------------------------------------------------------------------------


def test_disabling_a_user_ends_their_session(client):
    admin = approved_user()
    colleague = co_admin_of(admin)
    client.force_login(colleague)
    before = client.get(reverse("portal:home"))
    assert before.context["user"] == colleague
    assert 'href="/login/"' not in before.content.decode()

    services.company_users_set_active(
        actor=admin, company=admin.company, user_ids=[colleague.pk], active=False
    )

    after = client.get(reverse("portal:home"))
    assert after.context["user"].is_anonymous
    body = after.content.decode()
    assert 'href="/login/"' in body and "登录" in body


def test_disabling_the_company_ends_its_users_sessions(client):
    user = approved_user()
    client.force_login(user)
    assert client.get(reverse("portal:home")).context["user"] == user
    services.company_set_status(
        company=user.company, status=CompanyStatus.DISABLED, actor=UserFactory(is_staff=True)
    )
    assert client.get(reverse("portal:home")).context["user"].is_anonymous


# --------------------------------------------------------------------------
# Password reset
# --------------------------------------------------------------------------


def _reset_request(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:password_reset"), {"email": email})


def test_password_reset_round_trip(client, mailoutbox, django_capture_on_commit_callbacks):
    user = approved_user()
    mailoutbox.clear()
    response = _reset_request(client, user.email.upper(), django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == reverse("portal:password_reset_done")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [user.email]
    path = link_path(mailoutbox[0])
    assert path.startswith("/password-reset/")

    page = client.get(path)
    assert page.status_code == 200 and user.email in page.content.decode()
    done = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == reverse("portal:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(TEST_PASSWORD)

    reused = client.get(path)
    assert 'data-link-state="used"' in reused.content.decode()
    replay = client.post(path, {"password1": "Third-Pass-456!", "password2": "Third-Pass-456!"})
    assert 'data-link-state="used"' in replay.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    assert login_post(client, user.email, NEW_PASSWORD).status_code == 302


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = approved_user()
    mailoutbox.clear()
    known = _reset_request(client, user.email, django_capture_on_commit_callbacks)
    unknown = _reset_request(client, "ghost@example.com", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    page = client.get(known.url)
    assert (
        zh(
            "If an activated account uses this e-mail, we have sent it a link to set a new password. "
            "The link works once and for a limited time. Check your inbox and spam folder."
        )
        in page.content.decode()
    )


def test_password_reset_link_expired_and_tampered(client, settings):
    user = approved_user()
    token = token_make(user, Purpose.PASSWORD_RESET)
    settings.PASSWORD_RESET_TIMEOUT = -1
    expired = client.get(reverse("portal:password_reset_confirm", args=[token]))
    assert 'data-link-state="expired"' in expired.content.decode()
    assert reverse("portal:password_reset") in expired.content.decode()
    settings.PASSWORD_RESET_TIMEOUT = 3600
    tampered = client.get(reverse("portal:password_reset_confirm", args=[token + "x"]))
    assert tampered.status_code == 400
    assert 'data-link-state="invalid"' in tampered.content.decode()
    # An activation token is not a reset token.
    wrong_kind = token_make(user, Purpose.ACTIVATION)
    page = client.get(reverse("portal:password_reset_confirm", args=[wrong_kind]))
    assert 'data-link-state="invalid"' in page.content.decode()


def test_password_reset_weak_password_is_refused(client):
    user = approved_user()
    path = reverse("portal:password_reset_confirm", args=[token_make(user, Purpose.PASSWORD_RESET)])
    response = client.post(path, {"password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
