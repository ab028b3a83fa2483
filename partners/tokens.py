"""Signed, expiring, single-use links for activation and password reset.

A token signs the user id and a fingerprint of the state the link is meant to
change (password hash, activation time, last login). Once used, that state
changes, so the token no longer matches: single use without a token table.
Expiry comes from the signature's timestamp, so an expired link can say so.
"""

import enum
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from .models import User


class Purpose(enum.StrEnum):
    ACTIVATION = "activation"
    PASSWORD_RESET = "password-reset"  # noqa: S105 (a salt label, not a secret)


class TokenState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


MAX_AGE = {
    Purpose.ACTIVATION: lambda: settings.ACTIVATION_LINK_MAX_AGE,
    Purpose.PASSWORD_RESET: lambda: settings.PASSWORD_RESET_TIMEOUT,
}


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    user: User | None


def _fingerprint(user: User) -> str:
    state = f"{user.pk}|{user.password}|{user.activated_at}|{user.last_login}|{user.is_active}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def token_make(user: User, purpose: Purpose) -> str:
    return signing.dumps(
        {"u": user.pk, "f": _fingerprint(user)}, salt=f"partners.{purpose}", compress=True
    )


def token_check(token: str, purpose: Purpose) -> TokenCheck:
    salt = f"partners.{purpose}"
    try:
        payload = signing.loads(token, salt=salt, max_age=MAX_AGE[purpose]())
    except signing.SignatureExpired:
        payload = signing.loads(token, salt=salt)  # signature is genuine, only too old
        user = User.objects.filter(pk=payload.get("u"), deleted_at__isnull=True).first()
        return TokenCheck(TokenState.EXPIRED, user)
    except signing.BadSignature:
        return TokenCheck(TokenState.INVALID, None)
    user = User.objects.filter(pk=payload.get("u"), deleted_at__isnull=True).first()
    if user is None:
        return TokenCheck(TokenState.INVALID, None)
    if payload.get("f") != _fingerprint(user):
        return TokenCheck(TokenState.USED, user)
    if purpose == Purpose.ACTIVATION and user.is_activated:
        return TokenCheck(TokenState.USED, user)
    return TokenCheck(TokenState.VALID, user)


# Partner API keys read ``bc_<prefix>_<secret>``; only this HMAC of the whole key is stored.
API_KEY_PREFIX = "bc_"


def api_key_hash(raw: str) -> str:
    """HMAC-SHA256 of an API key, keyed with ``SECRET_KEY`` (a leaked table is useless)."""

    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()
