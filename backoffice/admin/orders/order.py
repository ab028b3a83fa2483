"""The order admin (订单), assembled from its mixins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RelatedDropdownFilter

from billing.models import Order

from ..base import BaseAdmin, OwnerScopedMixin
from ..partners.common import DateOfDateTimeFilter
from .actions import (
    OrderFulfilmentActionsMixin,
    OrderMilestoneActionsMixin,
    OrderPaymentActionsMixin,
)
from .common import OrdersActionMixin
from .display import ORDER_FIELDSETS, ORDER_READONLY, OrderDisplayMixin, OrderResource, RegionFilter
from .inlines import ORDER_INLINES
from .permissions import OrderPermissionsMixin
from .saving import OrderSavingMixin
from .tabs import OrderTabsMixin


@admin.register(Order)
class OrderAdmin(
    OrderTabsMixin,
    OrderPermissionsMixin,
    OrderDisplayMixin,
    OrderSavingMixin,
    OrderFulfilmentActionsMixin,
    OrderMilestoneActionsMixin,
    OrderPaymentActionsMixin,
    OwnerScopedMixin,
    OrdersActionMixin,
    BaseAdmin,
):
    resource_classes = (OrderResource,)
    list_display = (
        "number",
        "company",
        "customer_company",
        "sales_display",
        "goods_total_display",
        "payable_display",
        "status_label",
        "payment_status_label",
        "payment_method",
        "created_at",
    )
    list_select_related = ("company", "placed_by")
    list_filter = (
        "status",
        "payment_status",
        "payment_method",
        "currency",
        RegionFilter,
        ("created_at", DateOfDateTimeFilter),
        ("company__tier", RelatedDropdownFilter),
    )
    # Order numbers match from the start (index-served on a million orders).
    search_fields = ("^number", "company__name", "customer_company", "placed_by__email")
    search_help_text = _(
        "Search by the start of the order no., or by channel, customer company or sales e-mail"
    )
    fieldsets = ORDER_FIELDSETS
    readonly_fields = ORDER_READONLY
    inlines = ORDER_INLINES
    actions_detail = (
        "deliver_detail",
        "complete_detail",
        "milestone_delivered_detail",
        "instalment_paid_detail",
        "confirm_payment_detail",
        "reject_payment_detail",
        "cancel_detail",
    )
