"""Webhooks (partners' endpoints and their deliveries): read-only for staff, scoped.

Partners manage their endpoints in the portal; staff look up what was sent and why it
failed. The signing secret is never shown here (nor kept in the history).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter

from partners.models import WebhookDelivery, WebhookEndpoint

from ..base import OwnerScopedMixin, ReadOnlyAdmin


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OwnerScopedMixin, ReadOnlyAdmin):
    list_display = ("url", "company", "is_active", "failure_count", "disabled_at", "created_at")
    list_select_related = ("company",)
    list_filter = ("is_active", ("company", AutocompleteSelectFilter))
    list_filter_submit = True
    search_fields = ("url", "company__name")
    search_help_text = _("Search by URL or partner company")
    fields = (
        "company",
        "url",
        "description",
        "events",
        "is_active",
        "disabled_at",
        "disabled_reason",
        "failure_count",
        "failing_since",
        "created_by",
        "created_at",
        "secret_rotated_at",
    )
    readonly_fields = fields

    def has_export_permission(self, request) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OwnerScopedMixin, ReadOnlyAdmin):
    owner_scope_path = "endpoint__company"

    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempt",
        "response_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_select_related = ("event", "endpoint")
    list_filter = ("status", ("endpoint__company", AutocompleteSelectFilter))
    list_filter_submit = True
    search_fields = ("event__event_id", "endpoint__url", "endpoint__company__name")
    search_help_text = _("Search by event id, URL or partner company")
    fields = (
        "event",
        "event_type",
        "event_payload",
        "endpoint",
        "status",
        "attempt",
        "next_attempt_at",
        "last_attempt_at",
        "response_code",
        "error",
        "delivered_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("type"))
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description=_("payload"))
    def event_payload(self, obj: WebhookDelivery) -> dict:
        return obj.event.payload

    def has_export_permission(self, request) -> bool:
        return False
