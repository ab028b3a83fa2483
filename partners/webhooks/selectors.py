"""Webhook reads, scoped to a company."""

from django.db.models import QuerySet

from ..models import Company
from ..webhook_models import WebhookDelivery, WebhookEndpoint


def webhook_endpoints(*, company: Company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company).order_by("-created_at", "-pk")


def webhook_deliveries(
    *, company: Company, endpoint: WebhookEndpoint | None = None
) -> QuerySet[WebhookDelivery]:
    """The delivery log of ``company`` (of one endpoint), newest first, with its events."""
    rows = WebhookDelivery.objects.filter(endpoint__company=company).select_related(
        "event", "endpoint"
    )
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    return rows.order_by("-created_at", "-pk")
