"""The order list and page: export, fieldsets, filters and columns."""

from datetime import datetime
from decimal import Decimal

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from unfold.decorators import display

from billing.models import Order
from catalog.models import Region

from ..base import label_display, money_column
from ..exports import ExportResource
from .common import ORDER_STATUS_LABELS, PAYMENT_STATUS_LABELS
from .tabs import BASIC, CUSTOMER, DELIVERY, PAYMENTS


class OrderResource(ExportResource):
    """订单 export with Chinese headers. Rows stream from the database in chunks."""

    number = export_fields.Field(attribute="number", column_name=_("Order no."))
    channel = export_fields.Field(attribute="company__name", column_name=_("Channel"))
    customer_company = export_fields.Field(
        attribute="customer_company", column_name=_("Customer company")
    )
    sales = export_fields.Field(attribute="placed_by__email", column_name=_("Sales"))
    goods_total = export_fields.Field(column_name=_("Goods total"))
    coupon_discount = export_fields.Field(column_name=_("Discount amount"))
    rebate_amount = export_fields.Field(column_name=_("Deductible rebate amount"))
    credit_amount = export_fields.Field(column_name=_("Paid by credit line"))
    payable_total = export_fields.Field(column_name=_("Total payable"))
    currency = export_fields.Field(attribute="currency", column_name=_("Currency"))
    status = export_fields.Field(column_name=_("Order status"))
    payment_status = export_fields.Field(column_name=_("Payment status"))
    payment_method = export_fields.Field(column_name=_("Payment method"))
    created_at = export_fields.Field(column_name=_("Created at"))

    class Meta:
        model = Order
        fields = (
            "number",
            "channel",
            "customer_company",
            "sales",
            "goods_total",
            "coupon_discount",
            "rebate_amount",
            "credit_amount",
            "payable_total",
            "currency",
            "status",
            "payment_status",
            "payment_method",
            "created_at",
        )
        export_order = fields
        # No prefetch on the export queryset, so import-export streams it with
        # ``QuerySet.iterator(chunk_size=...)`` instead of loading every order at once.
        chunk_size = 500

    def get_queryset(self):
        return Order.objects.select_related("company", "placed_by").order_by("-created_at", "-pk")

    def _amount(self, value) -> Decimal | None:
        return self.money(value)

    def dehydrate_goods_total(self, order: Order) -> Decimal | None:
        return self._amount(order.goods_total)

    def dehydrate_coupon_discount(self, order: Order) -> Decimal | None:
        return self._amount(order.coupon_discount)

    def dehydrate_rebate_amount(self, order: Order) -> Decimal | None:
        return self._amount(order.rebate_amount)

    def dehydrate_credit_amount(self, order: Order) -> Decimal | None:
        return self._amount(order.credit_amount)

    def dehydrate_payable_total(self, order: Order) -> Decimal | None:
        return self._amount(order.payable_total)

    def dehydrate_status(self, order: Order) -> str:
        return str(order.get_status_display())

    def dehydrate_payment_status(self, order: Order) -> str:
        return str(order.get_payment_status_display())

    def dehydrate_payment_method(self, order: Order) -> str:
        return str(order.get_payment_method_display())

    def dehydrate_created_at(self, order: Order) -> datetime | None:
        return self.moment(order.created_at)


# One fieldset per tab of the page (see tabs.py); "tab" makes unfold show them as tabs
# on the pages that use its own layout too (a historical version of the order).
_TAB = ["tab"]
ORDER_FIELDSETS = (
    (
        BASIC,
        {
            "classes": _TAB,
            "fields": (
                "number",
                "created_at",
                "status",
                "company",
                "placed_by",
                "expected_close_date",
                "remarks",
                "contract",
                "cancel_reason",
                "cancelled_at",
            ),
        },
    ),
    (
        CUSTOMER,
        {
            "classes": _TAB,
            "fields": (
                "customer_company",
                "customer_name",
                "customer_email",
                "customer_phone",
                "customer_address",
                "region",
            ),
        },
    ),
    (
        DELIVERY,
        {"classes": _TAB, "fields": ("delivery_content", "supplementary_terms")},
    ),
    (
        PAYMENTS,
        {
            "classes": _TAB,
            "fields": (
                "payment_status",
                "payment_method",
                "paid_at",
                "currency",
                "goods_total",
                "coupon",
                "coupon_discount",
                "rebate_amount",
                "credit_amount",
                "payable_total",
            ),
        },
    ),
)
ORDER_READONLY = tuple(name for _title, block in ORDER_FIELDSETS for name in block["fields"])


class RegionFilter(admin.SimpleListFilter):
    """The order's region, offered from the catalog's regions (orders copy their SKU's).

    Django's default filter for a plain field lists ``SELECT DISTINCT region`` over every
    order, a full scan of the table on each page view.
    """

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return Region.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(region=value) if value else queryset


class OrderDisplayMixin:
    """The order list's columns."""

    # --- columns ---

    @display(description=_("Sales"), ordering="placed_by__name")
    def sales_display(self, obj: Order) -> str:
        """The sales user's name, the e-mail on hover: "name <e-mail>" made the column the
        widest of the list and pushed 创建时间 off a 1440 px screen."""
        user = obj.placed_by
        return format_html('<span title="{}">{}</span>', user.email, user.name or user.email)

    goods_total_display = money_column("goods_total", _("goods total"), ordering="goods_total")

    payable_display = money_column("payable_total", _("total payable"), ordering="payable_total")

    @label_display(description=_("order status"), labels=ORDER_STATUS_LABELS, ordering="status")
    def status_label(self, obj: Order):
        return obj.status, obj.get_status_display()

    @label_display(
        description=_("payment status"), labels=PAYMENT_STATUS_LABELS, ordering="payment_status"
    )
    def payment_status_label(self, obj: Order):
        return obj.payment_status, obj.get_payment_status_display()
