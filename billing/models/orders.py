"""Orders with their lines and status events, and the checkout idempotency keys."""

from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import not_negative
from backoffice.core.fields import NEWEST_FIRST, optional_time
from backoffice.core.links import acting_user, optional_link, required_link
from backoffice.core.money import cents, currency_field, money_field
from catalog.models import Region, SkuKind, solution_fk
from partners.fields import company_fk

from .coupons import Coupon


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PROCESSING = "processing", _("Processing")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")
    PAID = "paid", _("Paid")
    # Money arrived for a cancelled order (or the order was cancelled after payment):
    # finance owes it back (the 待退款 queue) until the refund is recorded.
    REFUND_DUE = "refund_due", _("Refund due")
    REFUNDED = "refunded", _("Refunded")


class OrderPaymentMethod(models.TextChoices):
    ONLINE = "online", _("Online payment")
    OFFLINE = "offline", _("Offline payment")


class Order(models.Model):
    """An order with snapshots of everything it was priced and agreed on."""

    number = models.CharField(_("order no."), max_length=30, unique=True)
    company = company_fk("orders", _("channel"))
    placed_by = acting_user(_("sales"), related_name="orders")
    end_customer = required_link("partners.EndCustomer", _("end customer"), related_name="orders")
    customer_name = models.CharField(_("customer name"), max_length=50)
    customer_company = models.CharField(_("customer company"), max_length=100)
    customer_email = models.EmailField(_("customer e-mail"))
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    customer_address = models.CharField(_("customer address"), max_length=200, blank=True)
    # Choices: pages show the region's name (中国大陆), not its code.
    region = models.CharField(_("region"), max_length=10, choices=Region.choices)
    currency = currency_field()
    status = models.CharField(_("order status"), max_length=20, choices=OrderStatus.choices)
    payment_status = models.CharField(
        _("payment status"), max_length=24, choices=PaymentStatus.choices
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=OrderPaymentMethod.choices
    )
    goods_total = money_field(_("goods total"))
    coupon_discount = money_field(_("coupon discount"))
    rebate_amount = money_field(_("rebate used"))
    credit_amount = money_field(_("paid by credit line"))
    payable_total = money_field(_("total payable"))
    coupon = optional_link(Coupon, _("coupon"), related_name="orders")
    contract = optional_link(
        "contracts.Contract", _("e-contract"), related_name="order", one_to_one=True
    )
    expected_close_date = models.DateField(_("expected closing date"), null=True, blank=True)
    remarks = models.CharField(_("remarks"), max_length=150, blank=True)
    delivery_content = models.TextField(_("delivery content (serial numbers)"), blank=True)
    supplementary_terms = models.TextField(_("supplementary terms"), blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = optional_time(_("paid"))
    cancelled_at = optional_time(_("cancelled"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = NEWEST_FIRST
        constraints = [
            not_negative("billing_order_goods_ok", "goods_total"),
            not_negative(
                "billing_order_deductions_ok", "coupon_discount", "rebate_amount", "credit_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(payable_total__gte=0)
                & Exact(
                    cents("payable_total"),
                    cents("goods_total") - cents("coupon_discount") - cents("rebate_amount"),
                ),
                name="billing_order_payable_is_goods_minus_deductions",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_amount__lte=models.F("payable_total")),
                name="billing_order_credit_le_payable",
            ),
            # Checkout keys are the company's own: another company's key is no conflict.
            models.UniqueConstraint(
                fields=["company", "idempotency_key"], name="billing_order_company_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="billing_order_company_idx"),
            models.Index(
                fields=["company", "status", "-created_at"], name="billing_order_co_status_idx"
            ),
            models.Index(fields=["status", "-created_at"], name="billing_order_status_idx"),
            models.Index(
                fields=["payment_status", "payment_method", "created_at"],
                name="billing_order_pay_idx",
            ),
            # The dashboard's sales (paid orders by creation month): billing.selectors.dashboard.
            models.Index(
                fields=["payment_status", "created_at"], name="billing_order_paid_created_idx"
            ),
            models.Index(fields=["-created_at", "-id"], name="billing_order_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self):
        """What remains to pay online or offline after coupon, rebate and credit."""
        return self.payable_total - self.credit_amount


class OrderLine(models.Model):
    order = required_link(Order, _("order"), related_name="lines", on_delete=models.CASCADE)
    sku = required_link("catalog.Sku", _("SKU"))
    solution = solution_fk("order_lines")
    solution_name = models.CharField(_("solution"), max_length=100)
    sku_code = models.CharField(_("SKU"), max_length=40)
    plan_name = models.CharField(_("plan"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=SkuKind.choices)
    unit_price = money_field(_("unit price"))
    tax_rate = models.DecimalField(_("tax rate %"), max_digits=5, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = money_field(_("subtotal"))
    parameters = models.JSONField(_("purchase parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="billing_orderline_quantity_ok"
            ),
            not_negative("billing_orderline_total_ok", "line_total"),
        ]
        indexes = [models.Index(fields=["solution", "order"], name="billing_orderline_sol_idx")]

    def __str__(self) -> str:
        return f"{self.sku_code} × {self.quantity}"


class OrderEvent(models.Model):
    """One row per status change (the transition table's audit trail)."""

    order = required_link(Order, _("order"), related_name="events", on_delete=models.CASCADE)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    payment_status = models.CharField(_("payment status"), max_length=24, blank=True)
    actor = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class CheckoutSubmission(models.Model):
    """The idempotency key of a checkout, inserted first in the order's transaction.

    Unique per (company, key). A concurrent submission with the same key waits on this
    insert and then finds the order the first one created, when its payload has the same
    ``fingerprint`` (``billing.services.submissions``); a failed first attempt leaves no row.
    """

    key = models.CharField(max_length=80)
    company = models.ForeignKey("partners.Company", on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("checkout submission")
        verbose_name_plural = _("checkout submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "key"], name="billing_checkout_company_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.key
