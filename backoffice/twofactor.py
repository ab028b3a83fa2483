"""Staff two-factor login (django-otp): who owes a second step, enrolment, recovery codes.

A staff member's second factor is an authenticator app (django-otp's ``TOTPDevice``) plus
``STAFF_2FA_RECOVERY_CODES`` single-use recovery codes (one ``StaticDevice``). Members of
the roles in ``STAFF_2FA_REQUIRED_ROLES`` (Django superusers count as 超级管理员) must
enrol; everyone else may. Whoever has a confirmed device passes the second step at every
console login (``otp_step_due``); the console itself (``BackofficeAdminSite``) enforces it.
The portal's partner users are never asked.
"""

import base64
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from partners.auth import user_group_names
from partners.staff_roles import ROLE_GROUP_NAMES, StaffRole

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


class TwoFactorError(ValidationError):
    """A two-factor step was refused; the message is shown to the staff member as is."""


# --------------------------------------------------------------------------
# Policy (selectors)
# --------------------------------------------------------------------------


def staff_roles_of(user) -> set[str]:
    roles = {StaffRole.SUPERADMIN.value} if user.is_superuser else set()
    names = user_group_names(user)
    roles.update(role for role, group in ROLE_GROUP_NAMES.items() if group in names)
    return {str(role) for role in roles}


def otp_required(user) -> bool:
    """Whether the staff member must enrol (their role is in STAFF_2FA_REQUIRED_ROLES)."""
    if not user.is_staff:
        return False
    return bool(staff_roles_of(user) & set(settings.STAFF_2FA_REQUIRED_ROLES))


def otp_pending(user) -> str | None:
    """What stands between a password-authenticated staff member and the console.

    "verify": they have a device and this session has not passed the second step;
    "enrol": their role requires one and they have none yet; None: nothing.
    """
    if not (user.is_authenticated and user.is_staff):
        return None
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return None
    if user_has_device(user):
        return "verify"
    if otp_required(user):
        return "enrol"
    return None


def otp_step_due(user) -> bool:
    """After the password: does a second step (code or enrolment) follow?"""
    return otp_pending(user) is not None


def authenticator_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret(device: TOTPDevice) -> str:
    """The device's key as authenticator apps take it (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def normalise_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").lower()


# --------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------


@transaction.atomic
def totp_enrolment_start(*, user) -> TOTPDevice:
    """The unconfirmed authenticator to scan: the same one until it is confirmed, so
    reloading the page keeps the QR code the app already scanned."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise TwoFactorError(
            _("Two-factor login is already set up. Remove it first to set up a new app."),
            code="enrolled",
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code it shows; returns the device and the
    new recovery codes (shown to the staff member once)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise TwoFactorError(
                _("There is no set-up in progress. Start again."), code="no_enrolment"
            )
        verified = device.verify_token(normalise_code(code))
    if not verified:
        # Outside the block above: the device's failure throttle is kept.
        raise TwoFactorError(
            _("The code is not valid. Enter the 6-digit code your app shows now."),
            code="invalid_code",
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = recovery_codes_regenerate(user=user)
    return device, codes


@transaction.atomic
def totp_device_install(*, user, key: str) -> TOTPDevice | None:
    """Give a staff member without an authenticator one with a known hex ``key`` (demo
    data only: the key is not secret). Returns the new device, None when one exists."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    """New recovery codes; the old ones stop working. The device row stays, so a session
    verified with a recovery code stays verified."""
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.STAFF_2FA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def twofactor_remove(*, user) -> None:
    """Remove the authenticator and the recovery codes (to set up a new phone, or when a
    staff member lost theirs and an administrator resets them)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def otp_verify(*, user, code: str) -> tuple[object | None, int]:
    """``(device, 0)`` for the confirmed device that accepts ``code`` (a 6-digit
    authenticator code or a recovery code, which is used up); ``(None, seconds)`` while
    django-otp's back-off after wrong codes refuses to check it (1, 2, 4... seconds,
    per device, whatever the client address); ``(None, 0)`` for a wrong code."""
    code = normalise_code(code)
    model = TOTPDevice if code.isdigit() else StaticDevice
    wait = 0
    with transaction.atomic():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in devices.order_by("pk"):
            allowed, refusal = device.verify_is_allowed()
            if not allowed:
                left = (refusal["locked_until"] - timezone.now()).total_seconds()
                wait = max(wait, math.ceil(left), 1)
            elif device.verify_token(code):
                return device, 0
    return None, wait
