"""Webhooks: a partner's endpoints, the events stored for them and each delivery.

Imported by ``partners.models`` (Django finds models there); it imports nothing of
``partners`` itself (string foreign keys), so the package has no import cycle. The
services are ``partners.webhooks``.
"""

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import unique_where
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import optional_user, required_link

from .fields import company_fk


class WebhookEventType(models.TextChoices):
    ORDER_PAID = "order.paid", _("Order paid")
    ORDER_DELIVERED = "order.delivered", _("Order delivered")
    ORDER_COMPLETED = "order.completed", _("Order completed")
    ORDER_CANCELLED = "order.cancelled", _("Order cancelled")
    STATEMENT_READY = "statement.ready", _("Statement ready to confirm")
    BILL_DUE = "bill.due", _("Bill due soon")
    REPAYMENT_CONFIRMED = "repayment.confirmed", _("Repayment confirmed")


def webhook_secret_new() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes (URL-safe base64)."""
    return f"whsec_{secrets.token_urlsafe(32)}"


def webhook_event_id_new() -> str:
    return f"evt_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """A URL of a partner that receives the events it subscribed to, signed with its secret.

    The secret is kept in clear (the HMAC needs it), shown to the company's 管理员 on the
    endpoint page and rotatable there; it is left out of the history and the console.
    """

    company = company_fk("webhook_endpoints", on_delete=models.CASCADE)
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=100, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, default=webhook_secret_new)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = optional_time(_("disabled"))
    disabled_reason = models.CharField(_("reason disabled"), max_length=200, blank=True)
    failure_count = models.PositiveIntegerField(_("failures in a row"), default=0)
    failing_since = optional_time(_("failing since"))
    created_by = optional_user(_("created by"), on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    secret_rotated_at = optional_time(_("secret rotated"))

    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = NEWEST_FIRST
        indexes = [
            models.Index(fields=["company", "is_active"], name="partners_whe_company_idx"),
        ]

    def __str__(self) -> str:
        return self.url

    def subscribes(self, event_type: str) -> bool:
        return self.is_active and event_type in (self.events or [])


class WebhookEvent(models.Model):
    """One event of a company, stored in the transaction that caused it."""

    event_id = models.CharField(
        _("event id"), max_length=40, unique=True, default=webhook_event_id_new, editable=False
    )
    company = company_fk("webhook_events", on_delete=models.CASCADE)
    type = models.CharField(_("type"), max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField(_("payload"))
    # Once-only events (a statement ready, a bill due) carry a key: a re-run stores nothing.
    key = models.CharField(_("key"), max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = NEWEST_FIRST
        constraints = [unique_where("partners_whev_once", ["company", "key"], ~models.Q(key=""))]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="partners_whev_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """An event on its way to one endpoint: retried with backoff until it succeeds, its
    retries run out, or the endpoint is disabled. A resend is a new delivery."""

    event = required_link(
        WebhookEvent, _("event"), related_name="deliveries", on_delete=models.CASCADE
    )
    endpoint = required_link(
        WebhookEndpoint, _("endpoint"), related_name="deliveries", on_delete=models.CASCADE
    )
    status = status_field(WebhookDeliveryStatus.PENDING, max_length=10)
    attempt = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = optional_time(_("next attempt"))
    lease_until = optional_time(_("lease until"))
    last_attempt_at = optional_time(_("last attempt"))
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    delivered_at = optional_time(_("delivered at"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = NEWEST_FIRST
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="partners_whd_due_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="partners_whd_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
