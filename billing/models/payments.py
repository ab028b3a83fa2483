"""Received money: order payments (online, offline), refunds due, online repayments."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import not_negative, positive_amount, set_when, unique_where
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import optional_link, optional_user, required_link
from backoffice.core.money import currency_field, format_money, money_field

from .bills import Bill, Repayment
from .fields import credit_account_fk
from .orders import Order


class PaymentKind(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline transfer")


class PaymentRecordStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")
    # Confirmed money that is not kept: finance refunds it (待退款), then records the refund.
    REFUND_DUE = "refund_due", _("Refund due")
    REFUNDED = "refunded", _("Refunded")


# Statuses of money that arrived (confirmed by the provider or by finance): a payment in
# one of them is never dropped, whatever happens to its order.
MONEY_RECEIVED_STATUSES = (
    PaymentRecordStatus.SUCCEEDED,
    PaymentRecordStatus.REFUND_DUE,
    PaymentRecordStatus.REFUNDED,
)


class RefundMethod(models.TextChoices):
    MANUAL = "manual", _("Manual (bank transfer by finance)")
    PROVIDER = "provider", _("Through the payment provider")


class ReceivedMoney(models.Model):
    """What a provider confirmed and, when the money is not kept, how it went back.

    Shared by order payments and online repayments: ``confirmed_at`` is set the moment
    the money is known to have arrived; a refund due is recorded as refunded by finance
    (``payment_refund_record``), by hand or through the provider's refund call.
    """

    provider_txn_id = models.CharField(_("provider transaction no."), max_length=64, blank=True)
    confirmed_at = optional_time(_("money received"))
    refund_reason = models.CharField(_("why a refund is due"), max_length=200, blank=True)
    refund_method = models.CharField(
        _("refund method"), max_length=10, choices=RefundMethod.choices, blank=True
    )
    refund_reference = models.CharField(_("refund reference"), max_length=64, blank=True)
    refund_note = models.CharField(_("refund note"), max_length=200, blank=True)
    refunded_by = optional_user(_("refunded by"))
    refunded_at = optional_time(_("refunded"))

    class Meta:
        abstract = True


def _received_money_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Money statuses carry the time the money arrived; a refund carries who, how, what."""
    return [
        models.CheckConstraint(
            condition=~models.Q(status__in=MONEY_RECEIVED_STATUSES)
            | models.Q(confirmed_at__isnull=False),
            name=f"{prefix}_received_has_time",
        ),
        models.CheckConstraint(
            condition=~models.Q(status=PaymentRecordStatus.REFUNDED)
            | (
                models.Q(refunded_at__isnull=False)
                & ~models.Q(refund_method="")
                & ~models.Q(refund_reference="")
            ),
            name=f"{prefix}_refund_recorded",
        ),
    ]


class Payment(ReceivedMoney):
    """A payment attempt for an order: online through a provider, or an offline transfer."""

    order = required_link(Order, _("order"), related_name="payments")
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    reference = models.CharField(_("payment order no."), max_length=40, unique=True)
    amount = money_field(_("amount"))
    currency = currency_field()
    status = status_field(PaymentRecordStatus.PENDING, max_length=10)
    payer_account = models.CharField(_("paying bank account"), max_length=50, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    transfer_reference = models.CharField(_("transfer reference"), max_length=60, blank=True)
    reviewed_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    provider_payload = models.JSONField(_("provider payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = optional_time(_("completed"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = NEWEST_FIRST
        constraints = [
            not_negative("billing_payment_amount_ok", "amount"),
            # At most one successful payment per order.
            unique_where("billing_payment_one_success", ["order"], status="succeeded"),
            *_received_money_constraints("billing_payment"),
        ]
        indexes = [
            models.Index(
                fields=["kind", "status", "-created_at"], name="billing_payment_queue_idx"
            ),
            # The 待退款 queue.
            models.Index(
                fields=["confirmed_at"],
                condition=models.Q(status="refund_due"),
                name="billing_payment_refund_idx",
            ),
        ]

    def __str__(self) -> str:
        """“DD2026… · BlueCloud_D ¥1,000.00 · 待确认”."""
        return gettext("%(reference)s · %(company)s %(amount)s · %(status)s") % {
            "reference": self.reference,
            "company": self.order.company.name,
            "amount": format_money(self.amount, self.currency),
            "status": self.get_status_display(),
        }


class RefundDue(Payment):
    """待退款: the console's queue of order payments whose money goes back (a proxy)."""

    class Meta:
        proxy = True
        verbose_name = _("refund due")
        verbose_name_plural = _("refunds due")


class OnlineRepayment(ReceivedMoney):
    """线上还款 through the payment provider: started by the portal, settled by the
    provider's verified notification (then ``repayment`` is the settling ``Repayment``).

    ``reference`` is drawn by the server and unique per credit account (so per company);
    the provider knows it as ``provider_reference`` (``R<account>_<reference>``), which is
    therefore unique across companies too.
    """

    account = credit_account_fk("online_repayments")
    reference = models.CharField(_("payment order no."), max_length=40)
    bills = models.ManyToManyField(Bill, related_name="online_repayments", verbose_name=_("bills"))
    amount = money_field(_("amount"))
    provider = models.CharField(_("provider"), max_length=20)
    status = status_field(PaymentRecordStatus.PENDING, max_length=10)
    repayment = optional_link(
        Repayment, _("repayment"), related_name="online_payment", one_to_one=True
    )
    provider_payload = models.JSONField(_("provider payload"), default=dict, blank=True)
    started_by = optional_user(_("started by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = optional_time(_("completed"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("online repayment")
        verbose_name_plural = _("online repayments")
        ordering = NEWEST_FIRST
        constraints = [
            positive_amount("billing_onlinerepay"),
            models.UniqueConstraint(
                fields=["account", "reference"], name="billing_onlinerepay_ref_per_account"
            ),
            set_when(
                "billing_onlinerepay_success_settles", PaymentRecordStatus.SUCCEEDED, "repayment"
            ),
            *_received_money_constraints("billing_onlinerepay"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="billing_onlinerepay_status_idx")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def currency(self) -> str:
        return self.account.currency

    @property
    def provider_reference(self) -> str:
        """The provider's order number (Alipay ``out_trade_no``: letters, digits, ``_``)."""
        return f"R{self.account_id}_{self.reference}"
