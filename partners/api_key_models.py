"""Partner API keys (个人中心 › API 密钥): their own module, imported by ``partners.models``
so Django finds them (app label ``partners``)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.fields import NEWEST_FIRST, optional_time
from backoffice.core.links import acting_user

from .fields import company_fk


class ApiScope(models.TextChoices):
    """What a partner API key may do (个人中心 › API 密钥)."""

    CATALOG_READ = "catalog:read", _("Read catalog")
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Place orders")
    STATEMENTS_READ = "statements:read", _("Read statements")
    STATEMENTS_CONFIRM = "statements:confirm", _("Confirm statements")
    ASSETS_READ = "assets:read", _("Read assets")
    CUSTOMERS_MANAGE = "customers:manage", _("Manage customers")


class ApiKey(models.Model):
    """A partner API key. Only the secret's HMAC-SHA256 (keyed with SECRET_KEY) and its
    public prefix are stored; the full key is shown once, when it is created."""

    company = company_fk("api_keys", _("partner company"), on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=50)
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    hash = models.CharField(_("hash"), max_length=64, unique=True, editable=False)
    created_by = acting_user(_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = optional_time(_("expires"))
    revoked_at = optional_time(_("revoked"))
    last_used_at = optional_time(_("last used"))

    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = NEWEST_FIRST
        indexes = [models.Index(fields=["company", "-created_at"], name="partners_apikey_co_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
