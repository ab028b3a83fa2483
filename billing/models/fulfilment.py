"""Fulfilment: delivery and payment milestones, order attachments."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import positive_amount, set_when
from backoffice.core.fields import optional_time, status_field
from backoffice.core.links import acting_user, optional_user, required_link
from backoffice.core.money import currency_field, money_field
from backoffice.core.storage import dated_upload_name, file_extension, private_file

from .orders import Order


def order_attachment_upload_to(instance: "OrderAttachment", filename: str) -> str:
    ext = file_extension(instance.original_name, "bin", max_length=10)
    return dated_upload_name("orders/attachments", ext)


class DeliveryMilestoneStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting delivery")
    DELIVERED = "delivered", _("Delivered")
    CONFIRMED = "confirmed", _("Confirmed")


class DeliveryMilestone(models.Model):
    """交付里程碑: a stage Blue Cloud delivers; the buyer's 确认 completes it (6.4.2)."""

    order = required_link(
        Order, _("order"), related_name="delivery_milestones", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("sequence no."), default=0)
    stage = models.CharField(_("stage"), max_length=100)
    planned_date = models.DateField(_("delivery time (planned date)"), null=True, blank=True)
    acceptance_criteria = models.CharField(_("acceptance criteria"), max_length=500, blank=True)
    status = status_field(DeliveryMilestoneStatus.PENDING, max_length=10)
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    delivered_by = optional_user(_("delivered by"))
    delivered_at = optional_time(_("delivered"))
    confirmed_by = optional_user(_("confirmed by"))
    confirmed_at = optional_time(_("confirmed"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery milestone")
        verbose_name_plural = _("delivery milestones")
        ordering = ["order_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="confirmed")
                | models.Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="billing_delivery_ms_confirmed_has_who",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(delivered_at__isnull=False),
                name="billing_delivery_ms_delivered_has_when",
            ),
        ]
        indexes = [models.Index(fields=["order", "position"], name="billing_delivery_ms_idx")]

    def __str__(self) -> str:
        return self.stage

    @property
    def is_editable(self) -> bool:
        """Stage, date, criteria and remarks change only before the buyer confirmed."""
        return self.status != DeliveryMilestoneStatus.CONFIRMED


class PaymentMilestoneStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")


class PaymentMilestone(models.Model):
    """付款里程碑: an instalment of the order's amount, in the order's currency."""

    order = required_link(
        Order, _("order"), related_name="payment_milestones", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("sequence no."), default=0)
    stage = models.CharField(_("stage"), max_length=100)
    amount = money_field(_("amount"))
    currency = currency_field()
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = status_field(PaymentMilestoneStatus.UNPAID, max_length=10)
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    paid_marked_by = optional_user(_("marked paid by"))
    paid_at = optional_time(_("paid"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment milestone")
        verbose_name_plural = _("payment milestones")
        ordering = ["order_id", "position", "pk"]
        constraints = [
            positive_amount("billing_payment_ms"),
            set_when("billing_payment_ms_paid_has_when", "paid", "paid_at"),
        ]
        indexes = [models.Index(fields=["order", "position"], name="billing_payment_ms_idx")]

    def __str__(self) -> str:
        return self.stage

    @property
    def is_editable(self) -> bool:
        return self.status != PaymentMilestoneStatus.PAID


class OrderAttachment(models.Model):
    """附件: a file Blue Cloud shares with the buyer (SOW, progress material). Private storage."""

    order = required_link(Order, _("order"), related_name="attachments", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=100)
    file = private_file(_("file"), order_attachment_upload_to)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = acting_user(_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("order attachment")
        verbose_name_plural = _("order attachments")
        ordering = ["order_id", "created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"], name="billing_order_attach_idx")]

    def __str__(self) -> str:
        return self.title
