"""The statement admin (分账管理), assembled from its mixins."""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter, RelatedDropdownFilter

from billing.models import Statement
from billing.statements.services import StatementError

from ..base import ActionPageMixin, BaseAdmin, OwnerScopedMixin
from .actions import StatementActionsMixin
from .common import (
    PeriodFilter,
    StatementAdjustmentInline,
    StatementEventInline,
    StatementLineInline,
)
from .display import StatementDisplayMixin
from .files import StatementFilesMixin
from .permissions import StatementPermissionsMixin


@admin.register(Statement)
class StatementAdmin(
    StatementPermissionsMixin,
    StatementDisplayMixin,
    StatementFilesMixin,
    StatementActionsMixin,
    OwnerScopedMixin,
    ActionPageMixin,
    BaseAdmin,
):
    list_display = (
        "number",
        "company_name",
        "period_display",
        "currency",
        "order_count",
        "product_count",
        "sales_display",
        "rate_display",
        "total_display",
        "status_label",
        "voucher_display",
    )
    list_filter = (
        PeriodFilter,
        "status",
        ("company", AutocompleteSelectFilter),
        ("company__tier", RelatedDropdownFilter),
        "currency",
    )
    # Statement numbers match from the start (index-served).
    search_fields = ("^number", "company__name", "company_name")
    search_help_text = _("Search by the start of the statement no., or by company name")
    ordering = ("-period_start", "company_name", "currency", "-pk")
    list_before_template = "admin/statements/totals.html"
    action_form_name = "statements"
    action_form_multipart = "always"
    action_errors = (StatementError,)
    fieldsets = (
        (
            _("Statement"),
            {
                "fields": (
                    "number",
                    "company",
                    "currency",
                    "period_display",
                    "status",
                    "generated_at",
                )
            },
        ),
        (
            _("Statement summary"),
            {
                "fields": (
                    "company_name",
                    "tier_name",
                    "business_owner_name",
                    "address",
                    "order_count",
                    "product_count",
                    "sales_display",
                    "rate_display",
                    "share_display",
                    "adjustments_display",
                    "total_display",
                )
            },
        ),
        (
            _("Confirmation"),
            {
                "fields": (
                    "confirmed_by",
                    "confirmed_at",
                    "dispute_reason",
                    "disputed_by",
                    "disputed_at",
                )
            },
        ),
        (
            _("Payout"),
            {
                "fields": (
                    "voucher_link",
                    "voucher_reference",
                    "paid_on",
                    "paid_recorded_by",
                    "completed_at",
                )
            },
        ),
    )
    readonly_fields = tuple(flatten_fieldsets(fieldsets))
    inlines = (StatementLineInline, StatementAdjustmentInline, StatementEventInline)
    actions = ["export_excel"]
    actions_list = ["generate"]
    actions_detail = [
        "confirm_detail",
        "resolve_detail",
        "adjust_detail",
        "voucher_detail",
        "complete_detail",
        "pdf_detail",
        "excel_detail",
    ]
