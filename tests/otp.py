"""Two-factor helpers for tests: a confirmed authenticator, its codes, a verified session."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# The original Client.force_login: a password-only session (tests/conftest.py wraps it).
password_only_login = Client.force_login


def authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator app, created if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code the app shows at ``at`` (now by default; +30 s is the next one)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet (each time step is accepted once)."""
    device.refresh_from_db()
    now = time.time()
    for offset in (0, 30):  # the device accepts one step ahead
        at = now + offset
        if int((at - device.t0) // device.step) > device.last_t:
            return totp_code(device, at)
    raise AssertionError("no unused code within the tolerance: wait for the next step")


def verify_session(client: Client, user) -> None:
    """Mark the client's session as having passed the second login step."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()


def staff_login(client: Client, user, backend: str | None = None) -> None:
    """Log ``user`` in; staff also pass the second step (an authenticator is made)."""
    password_only_login(client, user, backend)
    if user.is_staff:
        verify_session(client, user)


def browser_second_step(page, user) -> None:
    """In a browser on the console's code page (after the password): enter a fresh code."""
    page.wait_for_selector("[data-testid=twofactor-verify]")
    page.fill("input[name=code]", fresh_code(authenticator(user)))
    with page.expect_navigation():
        page.locator("[data-testid=twofactor-verify] button[type=submit]").click()
