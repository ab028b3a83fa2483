"""``Authorization: Bearer <key>``: the key, its rate limit and its scopes.

A valid key acts as its company through the 管理员 who created it (``request.user`` is
that user, so the services and the history see the same actor as in the portal). A key
that is unknown, revoked or expired, or whose creator is no longer its company's active
管理员, answers 401. Each key may make ``settings.API_RATE_LIMIT`` requests (a sliding
window in the cache, ``backoffice.throttle``); over it, 429 with ``Retry-After``.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from backoffice.throttle import Rate, throttle_hit
from partners.models import ApiKey, CompanyStatus
from partners.selectors import api_key_by_secret
from partners.services import api_key_touch

from .errors import Problem


def _unauthorized(code: str, detail: str) -> Problem:
    return Problem(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


class ApiKeyAuth(HttpBearer):
    """The key check; with ``scope``, a key without that scope answers 403 (before the
    request's parameters are validated)."""

    def __init__(self, scope: str | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = api_key_by_secret(token.strip())
        if key is None:
            raise _unauthorized("invalid_key", _("This API key is not valid."))
        now = timezone.now()
        if key.revoked_at is not None:
            raise _unauthorized("key_revoked", _("This API key was revoked."))
        if key.expires_at is not None and key.expires_at <= now:
            raise _unauthorized("key_expired", _("This API key has expired."))
        user = key.created_by
        if (
            not user.is_active
            or user.company_id != key.company_id
            or not user.is_company_admin
            or key.company.status != CompanyStatus.ENABLED
        ):
            raise _unauthorized("key_inactive", _("This API key's company or owner is inactive."))
        refusal = throttle_hit("api", "key", str(key.pk), Rate.parse(settings.API_RATE_LIMIT))
        if refusal is not None:
            raise Problem(
                429,
                "rate_limited",
                _("Too many requests for this API key. Retry in %(seconds)d s.")
                % {"seconds": refusal.wait},
                headers={"Retry-After": str(refusal.wait)},
            )
        if self.scope is not None and self.scope not in (key.scopes or []):
            raise Problem(
                403,
                "scope_missing",
                _("This API key lacks the scope “%(scope)s”.") % {"scope": self.scope},
            )
        api_key_touch(key=key, now=now)
        request.user = user
        request.api_key = key
        return key


def scoped(scope: str) -> ApiKeyAuth:
    """The auth of an operation that needs ``scope``."""
    return ApiKeyAuth(scope)
