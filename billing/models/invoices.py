"""Invoice requests (申请开票)."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import filled_when, unique_where
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import acting_user, optional_user, required_link
from backoffice.core.money import currency_field, format_money, money_field
from backoffice.core.storage import dated_upload_name, private_file

from .orders import Order


def invoice_pdf_upload_to(instance: "InvoiceRequest", filename: str) -> str:
    return dated_upload_name("orders/invoices", "pdf")


class InvoiceType(models.TextChoices):
    ORDINARY = "ordinary", _("VAT ordinary invoice")
    SPECIAL = "special", _("VAT special invoice")


class InvoiceRequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting invoicing")
    ISSUED = "issued", _("Invoiced")
    REJECTED = "rejected", _("Rejected")


TAX_ID_VALIDATOR = RegexValidator(
    r"^[0-9A-Z]{15,20}$",
    _("A tax ID has 15 to 20 uppercase letters and digits."),
    code="tax_id",
)


class InvoiceRequest(models.Model):
    """申请开票 (decision 10): 待开票 → 已开票 (number + PDF) or 已驳回 (reason)."""

    order = required_link(Order, _("order"), related_name="invoice_requests")
    invoice_type = models.CharField(_("invoice type"), max_length=10, choices=InvoiceType.choices)
    title = models.CharField(_("invoice title"), max_length=100)
    tax_id = models.CharField(_("tax ID"), max_length=20, validators=[TAX_ID_VALIDATOR])
    address_phone = models.CharField(_("address and phone"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank and account"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254)
    amount = money_field(_("amount"))
    currency = currency_field()
    status = status_field(InvoiceRequestStatus.PENDING, max_length=10)
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    invoice_pdf = private_file(_("invoice PDF"), invoice_pdf_upload_to, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    requested_by = acting_user(_("requested by"))
    processed_by = optional_user(_("processed by"))
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    processed_at = optional_time(_("processed"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        ordering = NEWEST_FIRST
        constraints = [
            unique_where("billing_invoice_one_open_per_order", ["order"], status="pending"),
            filled_when("billing_invoice_rejected_has_reason", "rejected", "rejection_reason"),
            filled_when("billing_invoice_issued_has_number", "issued", "invoice_number"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="billing_invoice_queue_idx"),
            models.Index(fields=["order", "status"], name="billing_invoice_order_idx"),
        ]

    def __str__(self) -> str:
        """“订单 2026… 开票 · 抬头 ¥1,000.00 · 待开票”."""
        return gettext("Invoice for order %(order)s · %(title)s %(amount)s · %(status)s") % {
            "order": self.order.number,
            "title": self.title,
            "amount": format_money(self.amount, self.currency),
            "status": self.get_status_display(),
        }

    @property
    def pdf_filename(self) -> str:
        return f"invoice-{self.invoice_number or self.pk}.pdf"
