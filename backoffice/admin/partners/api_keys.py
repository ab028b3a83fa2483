"""Partner API keys (API 密钥): staff see them and revoke them; partners create them."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter

from partners.models import ApiKey
from partners.services import api_key_revoke

from ..base import BaseAdmin, OwnerScopedMixin


@admin.register(ApiKey)
class ApiKeyAdmin(OwnerScopedMixin, BaseAdmin):
    list_display = (
        "name",
        "prefix",
        "company",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_select_related = ("company", "created_by")
    list_filter = (("company", AutocompleteSelectFilter),)
    list_filter_submit = True
    search_fields = ("name", "prefix", "company__name")
    search_help_text = _("Search by name, prefix or partner company")
    fields = (
        "company",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False  # created by the partner's 管理员 in the portal; the secret is shown once

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the history keeps who used it

    def has_import_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected API keys"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        count = 0
        for key in queryset:
            if key.revoked_at is None:
                api_key_revoke(key=key, actor=request.user)
                count += 1
        self.message_user(
            request, gettext("%(count)d API key(s) revoked.") % {"count": count}, messages.SUCCESS
        )
