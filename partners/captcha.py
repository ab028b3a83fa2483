"""The login page's human check: a server-verified stand-in for the manual's slider (§2.2).

``challenge_issue`` signs a random target position; the page shows it on a track
and the user drags a range input onto it. ``challenge_verify`` accepts the value
only if the signature is genuine, the challenge is neither too fresh (a script
answering instantly) nor older than ten minutes, the value is within the
tolerance, and the challenge was never used before (its nonce is remembered in
the cache for as long as the challenge could be valid).
"""

import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache

SALT = "portal.slider"
TARGET_MIN = 20
TARGET_MAX = 90
TOLERANCE = 3
MAX_AGE_SECONDS = 10 * 60
_NONCE_KEY = "portal.slider.nonce:{}"


def _min_age() -> float:
    return float(getattr(settings, "SLIDER_MIN_AGE_SECONDS", 1))


def challenge_issue(request=None) -> dict:
    """A new challenge: ``target`` (20–90), ``issued``, ``nonce`` and the signed ``token``.

    ``request`` is accepted so callers need not change if challenges are ever
    bound to the session; the signed token alone is enough to verify today.
    """
    challenge = {
        "target": TARGET_MIN + secrets.randbelow(TARGET_MAX - TARGET_MIN + 1),
        "issued": time.time(),
        "nonce": secrets.token_urlsafe(16),
    }
    token = signing.dumps(
        {"t": challenge["target"], "i": challenge["issued"], "n": challenge["nonce"]}, salt=SALT
    )
    return {**challenge, "token": token}


# Why a check failed, so the page can say what to do (a fast user is not told to
# "complete the check" they just completed).
TOO_FAST = "too_fast"
EXPIRED = "expired"
INVALID = "invalid"


def challenge_check(token: str | None, value) -> str:
    """ "" once per challenge when ``value`` lands on its target in time, else the reason:
    ``TOO_FAST`` (within the minimum age: the challenge is not consumed, so the same
    drag is accepted a moment later), ``EXPIRED`` or ``INVALID``."""
    if not token:
        return INVALID
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
        target = int(payload["t"])
        issued = float(payload["i"])
        nonce = str(payload["n"])
    except signing.SignatureExpired:
        return EXPIRED
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return INVALID
    age = time.time() - issued
    if age > MAX_AGE_SECONDS:
        return EXPIRED
    if age < _min_age():
        return TOO_FAST
    try:
        position = int(value)
    except (TypeError, ValueError):
        return INVALID
    # Single use: the first verification of a challenge consumes it, right or wrong,
    # so one challenge cannot be used to probe positions.
    if not cache.add(_NONCE_KEY.format(nonce), True, timeout=MAX_AGE_SECONDS):
        return INVALID
    return "" if 0 <= position <= 100 and abs(position - target) <= TOLERANCE else INVALID


def challenge_verify(token: str | None, value) -> bool:
    """True once per challenge, when ``value`` lands on its target in time."""
    return challenge_check(token, value) == ""
