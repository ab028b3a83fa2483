"""Login lockout that a stranger cannot turn against staff (a django-axes handler).

django-axes records every failed login (wrong password, or a wrong second-step code of the
staff two-factor login) as an ``AccessAttempt`` row per (account, client IP, user agent).
This handler reads those rows with two counters (``AXES_LOCKOUT_PARAMETERS``):

* per (account, client IP), limit ``AXES_FAILURE_LIMIT``: guessing one account's password
  from one address. A stranger elsewhere only locks their own address out of that
  account; the staff member's own address is untouched.
* per client IP, limit ``AXES_IP_FAILURE_LIMIT``: spraying many accounts from one address.

A counter at its limit locks for ``AXES_COOLOFF_BASE`` after its last failure, doubled for
every failure beyond the limit, capped at ``AXES_COOLOFF_MAX``. Attempts refused during a
lock are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), so the
lock grows only with failures made after it expired. A counter forgets its failures
``AXES_FAILURE_WINDOW`` after the last one; a successful login clears the account's
failures from that address (for staff who owe the second step: once the code is right).
"""

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

# Set on the request while a staff member's password is right but the second step is due:
# the failures are cleared only once the code is right too.
DEFER_RESET = "twofactor_defer_axes_reset"


def cool_off_for(excess: int) -> timedelta:
    """The lock after ``excess`` failures beyond the limit (0: the first lock)."""
    cap = settings.AXES_COOLOFF_MAX
    if excess >= 32:
        return cap
    return min(settings.AXES_COOLOFF_BASE * 2**excess, cap)


class GrowingLockoutHandler(AxesDatabaseHandler):
    """``AxesDatabaseHandler`` with the counters and the growing lock described above."""

    def limit_for(self, parameter) -> int:
        if parameter == "ip_address":
            return settings.AXES_IP_FAILURE_LIMIT
        return settings.AXES_FAILURE_LIMIT

    def lock(self, request: HttpRequest, credentials: dict | None = None):
        """(remaining lock time, failure limit of the counter that locks), or (0, None)."""
        now = request.axes_attempt_time or timezone.now()
        remaining, limit_hit = timedelta(0), None
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(
            parameters, self.get_user_attempts(request, credentials), strict=True
        ):
            totals = attempts.aggregate(
                failures=Sum("failures_since_start"), last=Max("attempt_time")
            )
            failures, limit = totals["failures"] or 0, self.limit_for(parameter)
            if failures < limit:
                continue
            left = totals["last"] + cool_off_for(failures - limit) - now
            if left > remaining:
                remaining, limit_hit = left, limit
        return remaining, limit_hit

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # axes compares this with AXES_FAILURE_LIMIT: answer "at the limit" while locked.
        remaining, _limit = self.lock(request, credentials)
        return settings.AXES_FAILURE_LIMIT if remaining > timedelta(0) else 0

    def get_user_attempts(self, request, credentials: dict | None = None):
        since = (request.axes_attempt_time or timezone.now()) - settings.AXES_FAILURE_WINDOW
        return [
            attempts.filter(attempt_time__gte=since)
            for attempts in self.filter_user_attempts(request, credentials)
        ]

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        # axes would use the cool-off as the age limit; ours depends on the counter, so
        # rows are kept for the whole window (the lock of any counter may still need them).
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        count, _ = AccessAttempt.objects.filter(
            attempt_time__lt=now - settings.AXES_FAILURE_WINDOW
        ).delete()
        return count

    def user_logged_in(self, sender, request, user, **kwargs):
        from backoffice.twofactor import otp_step_due

        setattr(request, DEFER_RESET, otp_step_due(user))
        super().user_logged_in(sender, request, user, **kwargs)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A successful login clears the account's failures from this address only: other
        addresses' failures stay (a stranger gains no fresh guesses from it)."""
        if getattr(request, DEFER_RESET, False):
            return 0
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


def login_completed(request: HttpRequest, username: str) -> None:
    """The second login step succeeded: clear the failures the password step kept."""
    setattr(request, DEFER_RESET, False)
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, {"username": username})


def remaining_cool_off(request: HttpRequest | None = None) -> timedelta:
    """``AXES_COOLOFF_TIME``: what is left of the request's lock (the base before any)."""
    if request is None or not hasattr(request, "axes_attempt_time"):
        return settings.AXES_COOLOFF_BASE
    handler = AxesProxyHandler.get_implementation()
    remaining, _limit = handler.lock(request, getattr(request, "axes_credentials", None))
    return remaining if remaining > timedelta(0) else settings.AXES_COOLOFF_BASE


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the lockout page with the time left, in the front door's
    look (console or portal)."""
    AxesProxyHandler.update_request(request)
    remaining, limit = AxesProxyHandler.get_implementation().lock(request, credentials)
    if remaining <= timedelta(0):
        remaining = settings.AXES_COOLOFF_BASE
    context = {
        "failure_limit": limit or settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": remaining,
        # Whole minutes, rounded up: "try again in 1 minute" never comes too early.
        "cooloff_minutes": -(-int(remaining.total_seconds()) // 60),
    }
    console = request.path.startswith(reverse("admin:index"))
    template = "admin/twofactor/locked_out.html" if console else settings.AXES_LOCKOUT_TEMPLATE
    return render(request, template, context, status=settings.AXES_HTTP_RESPONSE_CODE)
