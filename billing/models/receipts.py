"""Receipts (到账登记): bank transfers finance records as they arrive on Blue Cloud's own
bank accounts, and how each is allocated to bills (a repayment) or orders (a payment).

Services: billing/services/receipts.py. A receipt is idempotent by (bank account, bank
reference): the unique index ``billing_receipt_one_per_transfer`` refuses the same
transfer twice, including while the first waits for four-eyes approval (a rejected
receipt frees its key). What a receipt settles is recorded in append-only
``ReceiptAllocation`` rows; ``allocated`` is their sum (``check_ledgers`` proves it).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import positive_amount, unique_where
from backoffice.core.fields import NEWEST_FIRST, status_field
from backoffice.core.links import optional_link, optional_user, required_link
from backoffice.core.money import currency_field, money_field
from backoffice.core.storage import dated_upload_name, file_extension, private_file
from partners.fields import company_fk

from .approvals import PendingPosting
from .bills import Repayment
from .payments import Payment


def receipt_attachment_upload_to(instance: "Receipt", filename: str) -> str:
    name = instance.attachment_name or filename
    return dated_upload_name("receipts", file_extension(name, "bin", max_length=10))


class BankAccount(models.Model):
    """One of Blue Cloud's own receiving bank accounts (收款账户)."""

    name = models.CharField(_("name"), max_length=60)
    bank_name = models.CharField(_("bank"), max_length=100)
    account_number = models.CharField(_("account no."), max_length=40, unique=True)
    currency = currency_field()
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency} …{self.account_number[-4:]})"


class ReceiptStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    UNALLOCATED = "unallocated", _("Unallocated")
    PARTLY_ALLOCATED = "partly_allocated", _("Partly allocated")
    ALLOCATED = "allocated", _("Fully allocated")
    REJECTED = "rejected", _("Rejected")


# Receipts whose money is on the books (posted): allocatable while not fully allocated.
POSTED_RECEIPT_STATUSES = (
    ReceiptStatus.UNALLOCATED,
    ReceiptStatus.PARTLY_ALLOCATED,
    ReceiptStatus.ALLOCATED,
)


class Receipt(models.Model):
    """到账: one incoming bank transfer for a company."""

    company = company_fk("receipts")
    bank_account = required_link(BankAccount, _("receiving bank account"), related_name="receipts")
    amount = money_field(_("amount"))
    currency = currency_field()
    value_date = models.DateField(_("value date"))
    bank_reference = models.CharField(_("bank reference"), max_length=64)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    payer_account = models.CharField(_("payer account"), max_length=50, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    attachment = private_file(_("attachment"), receipt_attachment_upload_to, blank=True)
    attachment_name = models.CharField(_("attachment file name"), max_length=120, blank=True)
    allocated = money_field(_("allocated"))
    status = status_field(ReceiptStatus.UNALLOCATED, max_length=20)
    # Above FOUR_EYES_THRESHOLD: the posting a second finance user approves or rejects.
    pending = optional_link(
        PendingPosting, _("posting awaiting approval"), related_name="receipt", one_to_one=True
    )
    created_by = optional_user(_("entered by"))
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = NEWEST_FIRST
        constraints = [
            # The same transfer is posted once (a rejected posting frees the key).
            unique_where(
                "billing_receipt_one_per_transfer",
                ["bank_account", "bank_reference"],
                ~models.Q(status="rejected"),
            ),
            positive_amount("billing_receipt"),
            models.CheckConstraint(
                condition=models.Q(allocated__gte=0) & models.Q(allocated__lte=models.F("amount")),
                name="billing_receipt_allocated_range",
            ),
            # The status follows the allocated amount.
            models.CheckConstraint(
                condition=models.Q(status__in=["awaiting_approval", "rejected"], allocated=0)
                | models.Q(status="unallocated", allocated=0)
                | models.Q(status="partly_allocated", allocated__gt=0)
                & models.Q(allocated__lt=models.F("amount"))
                | models.Q(status="allocated", allocated=models.F("amount")),
                name="billing_receipt_status_follows_allocated",
            ),
            models.CheckConstraint(
                condition=~models.Q(bank_reference=""), name="billing_receipt_has_reference"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status"], name="billing_receipt_company_idx"),
            models.Index(fields=["status", "-created_at"], name="billing_receipt_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """到账单号: ``SK`` + the local entry date + the id, e.g. SK261203000042."""
        if self.pk is None:
            return ""
        from zoneinfo import ZoneInfo

        from django.conf import settings

        day = self.created_at.astimezone(ZoneInfo(settings.TIME_ZONE)) if self.created_at else None
        return f"SK{day:%y%m%d}{self.pk:06d}" if day else f"SK{self.pk:06d}"

    @property
    def remainder(self):
        return self.amount - self.allocated


class ReceiptAllocationKind(models.TextChoices):
    REPAYMENT = "repayment", _("Bill repayment")
    PAYMENT = "payment", _("Order payment")


class ReceiptAllocation(models.Model):
    """What part of a receipt settled which repayment or order payment. Append-only."""

    receipt = required_link(Receipt, _("receipt"), related_name="allocations")
    kind = models.CharField(_("kind"), max_length=10, choices=ReceiptAllocationKind.choices)
    repayment = optional_link(
        Repayment, _("repayment"), related_name="receipt_allocation", one_to_one=True
    )
    payment = optional_link(
        Payment, _("payment"), related_name="receipt_allocation", one_to_one=True
    )
    amount = money_field(_("amount"))
    created_by = optional_user(_("allocated by"))
    created_at = models.DateTimeField(_("allocated"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt allocation")
        verbose_name_plural = _("receipt allocations")
        ordering = ["receipt", "pk"]
        constraints = [
            positive_amount("billing_receiptalloc"),
            models.CheckConstraint(
                condition=models.Q(kind="repayment", repayment__isnull=False, payment__isnull=True)
                | models.Q(kind="payment", payment__isnull=False, repayment__isnull=True),
                name="billing_receiptalloc_one_target",
            ),
        ]

    def __str__(self) -> str:
        target = self.repayment_id if self.kind == ReceiptAllocationKind.REPAYMENT else self.payment
        return f"{self.receipt_id}:{self.kind}:{target}"
