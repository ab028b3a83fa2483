"""Throttling of the anonymous forms, per client address and per e-mail (issue 14).

Registration, password reset, activation resend, consultation ticket and trial
application each allow ``settings.THROTTLE_RATES[scope]`` attempts: ``"ip"`` per client
address (``REMOTE_ADDR``, which ``TrustedProxyMiddleware`` has set to the real client
behind the proxy; an IPv6 client counts per /64 network, what one host usually holds)
and ``"email"`` per e-mail address (case-insensitive). A rate is ``"<count>/<period>"``
with the period in ``s``, ``m``, ``h`` or ``d``, optionally with a number: ``"5/h"``,
``"20/15m"``.

The counter is a sliding window over Django's cache, so every web process shares it
when the cache is Redis (production with ``REDIS_URL``; locmem otherwise, per process).
Each window of ``period`` seconds has its own counter (``cache.add`` + ``cache.incr``,
atomic on Redis and on locmem); an attempt is judged by the current window's count plus
the previous window's, weighted by how much of it still lies inside the last ``period``
seconds. That smooths out the burst of two full windows that a fixed window lets through
at its edge. A refused attempt is taken back off the counter, so hammering does not push
the wait further out, and the wait the message names is the real one.

Views call ``throttle_form`` on a POST before they act: it counts the attempt per
address first (every POST, valid or not: it bounds the work a client can cause), then,
once the form is valid, per e-mail. A refusal is put on the form as a non-field error
and the view answers the page with status 429 (``Refusal.respond``); nothing else runs,
so a refused request stores nothing and mails nobody.
"""

import contextlib
import hashlib
import ipaddress
import math
import re
import time
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

STATUS = 429
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = _RATE.match(text or "")
        if match is None or int(match[1]) < 1 or match[2] == "0":
            raise ImproperlyConfigured(
                f"Bad throttle rate {text!r}: write <count>/<period>, e.g. '5/h' or '20/15m'."
            )
        return cls(count=int(match[1]), period=int(match[2] or 1) * _UNITS[match[3]])


@dataclass(frozen=True)
class Refusal:
    """A refused attempt: ``wait`` seconds until the next one would be allowed."""

    wait: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.wait / 60))
        return ngettext(
            "Too many attempts. Please try again in %(minutes)d minute.",
            "Too many attempts. Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}

    def respond(self, response: HttpResponse) -> HttpResponse:
        response.status_code = STATUS
        response["Retry-After"] = str(self.wait)
        return response


def _key(scope: str, kind: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"throttle:{scope}:{kind}:{digest}:{window}"


def throttle_hit(
    scope: str, kind: str, value: str, rate: Rate, *, now: float | None = None
) -> Refusal | None:
    """Count one attempt of ``value``; a Refusal (and the attempt not counted) when over."""
    now = time.time() if now is None else now
    window = int(now // rate.period)
    key = _key(scope, kind, value, window)
    timeout = 2 * rate.period + 1  # the counter is still "previous" during the next window
    cache.add(key, 0, timeout=timeout)
    try:
        current = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        current = 1
    previous = cache.get(_key(scope, kind, value, window - 1)) or 0
    start = window * rate.period
    elapsed = (now - start) / rate.period
    if previous * (1 - elapsed) + current <= rate.count:
        return None
    with contextlib.suppress(ValueError):  # evicted meanwhile: nothing to take back
        cache.decr(key)
    current -= 1
    # The next attempt is allowed once previous * (1 - e) + current + 1 <= count.
    if current + 1 > rate.count:  # not in this window: in the next, `current` is previous
        fraction = 1 - (rate.count - 1) / current
        allowed_at = start + rate.period * (1 + fraction)
    else:
        fraction = 1 - (rate.count - current - 1) / previous
        allowed_at = start + rate.period * fraction
    return Refusal(wait=max(1, math.ceil(allowed_at - now)))


def _rate(scope: str, kind: str) -> Rate:
    try:
        text = settings.THROTTLE_RATES[scope][kind]
    except KeyError as exc:
        raise ImproperlyConfigured(f"settings.THROTTLE_RATES has no {scope!r} {kind!r}") from exc
    return Rate.parse(text)


def client_address(request: HttpRequest) -> str:
    """The client's address as throttled: IPv4 as is, IPv6 as its /64 network."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def throttle_ip(request: HttpRequest, scope: str) -> Refusal | None:
    return throttle_hit(scope, "ip", client_address(request), _rate(scope, "ip"))


def throttle_email(scope: str, email: str) -> Refusal | None:
    return throttle_hit(scope, "email", email.strip().lower(), _rate(scope, "email"))


def throttle_form(
    request: HttpRequest, scope: str, form: forms.Form, *, email_field: str = "email"
) -> Refusal | None:
    """Count a POST of ``form`` per address, then (when valid) per e-mail.

    A refusal is added to the form as a non-field error and returned: the view then
    renders the form and answers ``refusal.respond(response)`` without acting.
    """
    refusal = throttle_ip(request, scope)
    if refusal is None and form.is_valid() and form.cleaned_data.get(email_field):
        refusal = throttle_email(scope, form.cleaned_data[email_field])
    if refusal is not None:
        form.add_error(None, refusal.message)
    return refusal


def throttled_response(response: HttpResponse, refusal: Refusal | None) -> HttpResponse:
    """The page as rendered; status 429 with Retry-After when the attempt was refused."""
    return refusal.respond(response) if refusal is not None else response
