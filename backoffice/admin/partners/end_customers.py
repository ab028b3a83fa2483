"""End customers (最终客户)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import AutocompleteSelectFilter

from partners.models import EndCustomer
from partners.services import END_CUSTOMER_FIELDS, end_customer_update

from ..base import BaseAdmin, OwnerScopedMixin


@admin.register(EndCustomer)
class EndCustomerAdmin(OwnerScopedMixin, BaseAdmin):
    """Partners own their customers; staff look them up and may correct a record."""

    list_display = ("name", "company_name", "email", "phone", "company", "created_at")
    list_select_related = ("company",)
    list_filter = (("company", AutocompleteSelectFilter),)
    list_filter_submit = True
    search_fields = ("name", "company_name", "email", "phone", "company__name")
    search_help_text = _("Search by name, customer company, e-mail, phone or partner company")
    fields = (
        "company",
        "name",
        "company_name",
        "email",
        "phone",
        "address",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("company", "created_by", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False  # created by the partner in the portal

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # orders refer to customers; partners delete their own

    def has_import_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj: EndCustomer, form, change: bool) -> None:
        end_customer_update(
            customer=obj, **{field: getattr(obj, field) for field in END_CUSTOMER_FIELDS}
        )
