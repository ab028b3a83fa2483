"""Partner API keys (个人中心 › API 密钥): create (the secret is returned once), revoke,
look up by the presented secret, and the throttled ``last_used_at`` stamp.

A key reads ``bc_<prefix>_<secret>``. The prefix (public, unique) names the key in lists;
only the HMAC-SHA256 of the whole key, keyed with ``SECRET_KEY``, is stored.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ApiKey, ApiScope, Company, User
from ..tokens import API_KEY_PREFIX, api_key_hash
from .base import PartnerError

MAX_ACTIVE_KEYS = 20


@transaction.atomic
def api_key_create(
    *,
    company: Company,
    actor: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``company``, made by its 管理员; returns (key, the secret shown once)."""
    if actor.company_id != company.pk or not actor.is_company_admin:
        raise PartnerError(
            _("Only the company's administrator can manage API keys."), code="forbidden"
        )
    name = (name or "").strip()
    if not name:
        raise PartnerError({"name": _("Enter a name.")}, code="required")
    valid = set(ApiScope.values)
    chosen = sorted(set(scopes or []))
    if not chosen or not set(chosen) <= valid:
        raise PartnerError({"scopes": _("Choose at least one scope.")}, code="scopes")
    if expires_at is not None and expires_at <= timezone.now():
        raise PartnerError({"expires_at": _("The expiry must be in the future.")}, code="expiry")
    Company.objects.select_for_update().filter(pk=company.pk).first()
    active = ApiKey.objects.filter(company=company, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_KEYS:
        raise PartnerError(
            _("A company can have at most %(count)d active API keys.") % {"count": MAX_ACTIVE_KEYS},
            code="too_many",
        )
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        company=company,
        name=name,
        scopes=chosen,
        prefix=prefix,
        hash=api_key_hash(raw),
        created_by=actor,
        expires_at=expires_at,
    )
    key.full_clean(exclude=["hash"])
    key.save()
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User | None = None) -> ApiKey:
    """Revoke ``key`` (idempotent). ``actor`` is its company's 管理员 or staff."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if (
        actor is not None
        and not actor.is_staff
        and (actor.company_id != key.company_id or not actor.is_company_admin)
    ):
        raise PartnerError(
            _("Only the company's administrator can manage API keys."), code="forbidden"
        )
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_touch(*, key: ApiKey, now: datetime | None = None) -> None:
    """Stamp ``last_used_at`` at most once per ``API_KEY_TOUCH_INTERVAL`` seconds: one
    conditional UPDATE, no history row, no write on most requests."""
    now = now or timezone.now()
    interval = timedelta(seconds=getattr(settings, "API_KEY_TOUCH_INTERVAL", 60))
    if key.last_used_at is not None and now - key.last_used_at < interval:
        return
    ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gte=now - interval).update(
        last_used_at=now
    )
    key.last_used_at = now
