"""Credit bills (已出账单) and their repayments (还款)."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import (
    filled_when,
    not_negative,
    positive_amount,
    unique_where,
)
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import optional_user, required_link
from backoffice.core.money import format_money, money_field

from .credit import CreditEntry
from .fields import credit_account_fk


class BillStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting repayment")
    SETTLED = "settled", _("Settled")
    OVERDUE = "overdue", _("Overdue")


class Bill(models.Model):
    """已出账单: the unbilled credit charges of a company for one cycle (a day)."""

    account = credit_account_fk("bills")
    number = models.CharField(_("bill no."), max_length=24, unique=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = money_field(_("amount"))
    due_date = models.DateField(_("due date"))
    status = status_field(BillStatus.PENDING, max_length=20)
    settled_at = optional_time(_("settled"))
    reminder_sent_at = optional_time(_("reminder sent"))
    overdue_notice_sent_at = optional_time(_("overdue notice sent"))
    created_at = models.DateTimeField(_("bill date"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = NEWEST_FIRST
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start", "period_end"], name="billing_bill_one_per_cycle"
            ),
            not_negative("billing_bill_amount_not_negative", "amount"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="billing_bill_period",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status", "due_date"], name="billing_bill_status_idx"),
            models.Index(fields=["status", "due_date"], name="billing_bill_due_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class BillItem(models.Model):
    """Links each charge (or reversal) entry to the one bill that contains it."""

    bill = required_link(Bill, _("bill"), related_name="items")
    entry = required_link(CreditEntry, _("entry"), related_name="bill_item", one_to_one=True)

    class Meta:
        verbose_name = _("bill item")
        verbose_name_plural = _("bill items")

    def __str__(self) -> str:
        return f"{self.bill_id}:{self.entry_id}"


class RepaymentMethod(models.TextChoices):
    ONLINE = "online", _("Online repayment")
    OFFLINE = "offline", _("Offline repayment")


class RepaymentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Under review")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


# A repayment in one of these statuses claims its bills (``RepaymentBill.active``): in
# flight or settled. A bill has at most one such repayment, which the database enforces.
SETTLING_REPAYMENT_STATUSES = (RepaymentStatus.SUBMITTED, RepaymentStatus.CONFIRMED)


class Repayment(models.Model):
    """还款: one payment for one or several bills (批量还款)."""

    account = credit_account_fk("repayments")
    bills = models.ManyToManyField(
        Bill, through="RepaymentBill", related_name="repayments", verbose_name=_("bills")
    )
    method = models.CharField(_("method"), max_length=10, choices=RepaymentMethod.choices)
    amount = money_field(_("amount"))
    payer_account = models.CharField(_("paying bank account"), max_length=50, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    provider_reference = models.CharField(
        _("payment reference"), max_length=64, null=True, blank=True, unique=True
    )
    status = status_field(RepaymentStatus.SUBMITTED, max_length=20)
    submitted_by = optional_user(_("submitted by"))
    reviewed_by = optional_user(_("reviewed by"))
    reviewed_at = optional_time(_("reviewed"))
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = NEWEST_FIRST
        constraints = [
            positive_amount("billing_repayment"),
            filled_when("billing_repayment_rejection_has_reason", "rejected", "rejection_reason"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="billing_repayment_status_idx")
        ]

    def __str__(self) -> str:
        """“BlueCloud_D 还款 ¥300.00 · 审核中”."""
        return gettext("%(company)s repayment %(amount)s · %(status)s") % {
            "company": self.account.company.name,
            "amount": format_money(self.amount, self.account.currency),
            "status": self.get_status_display(),
        }


class RepaymentBill(models.Model):
    """A repayment's claim on one of its bills.

    ``active`` while the repayment is under review or confirmed; a rejection releases
    the claim (the row stays, so the record of what was paid for stays). The unique
    partial index ``billing_bill_one_settling_repayment`` lets each bill have one active
    claim: an online and an offline repayment of the same bill, or two confirmations,
    cannot both settle it, whatever the services do.
    """

    repayment = required_link(
        Repayment, _("repayment"), related_name="claims", on_delete=models.CASCADE
    )
    bill = required_link(Bill, _("bill"), related_name="claims")
    active = models.BooleanField(_("claims the bill"), default=True)

    class Meta:
        # The table of the former auto-created many-to-many: the rows are the same.
        db_table = "billing_repayment_bills"
        unique_together = [("repayment", "bill")]
        verbose_name = _("repayment of a bill")
        verbose_name_plural = _("repayments of bills")
        constraints = [unique_where("billing_bill_one_settling_repayment", ["bill"], active=True)]

    def __str__(self) -> str:
        return f"{self.repayment_id}:{self.bill_id}"
