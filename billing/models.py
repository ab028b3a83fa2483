"""Billing: the money of orders and partners.

Balance rows (rebate wallets, credit accounts; opened with every company through the
``company_created`` hook) and their append-only ledgers, coupons, carts and orders with
their payments, credit bills and repayments, fulfilment (delivery and payment milestones,
attachments, invoices), revenue-share statements, and finance's four-eyes postings. Every
balance changes only through a ledger entry written under the row's lock; CHECK and
unique constraints make an overdraft or a double settlement impossible.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES, Currency, cents, money_field
from backoffice.core.storage import private_storage


class RebateWallet(models.Model):
    """可抵扣优惠金额: a company's rebate balance in one currency. Never below zero."""

    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="rebate_wallets",
        verbose_name=_("company"),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    balance = money_field(_("balance"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rebate wallet")
        verbose_name_plural = _("rebate wallets")
        ordering = ["company_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "currency"], name="billing_wallet_company_currency_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="billing_wallet_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.currency} {self.balance}"


class CreditAccount(models.Model):
    """账期: a company's credit line in one currency. Used never exceeds the limit."""

    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="credit_accounts",
        verbose_name=_("company"),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    credit_limit = money_field(_("credit limit"))
    used = money_field(_("used"))
    term_days = models.PositiveSmallIntegerField(
        _("term (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    overdue_block_lifted_until = models.DateTimeField(
        _("overdue block lifted until"),
        null=True,
        blank=True,
        help_text=_(
            "Finance may let an overdue company use credit pay until this time (reason required)."
        ),
    )
    overdue_block_lift_reason = models.CharField(
        _("reason for lifting the block"), max_length=200, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        ordering = ["company_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "currency"], name="billing_credit_company_currency_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="billing_credit_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(used__gte=0), name="billing_credit_used_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(used__lte=models.F("credit_limit")),
                name="billing_credit_used_within_limit",
            ),
            models.CheckConstraint(
                condition=models.Q(term_days__gte=1, term_days__lte=365),
                name="billing_credit_term_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.currency} {self.used}/{self.credit_limit}"

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.used


# ---------------------------------------------------------------------------
# Ledgers: append-only entries, written with the balance row under a lock
# ---------------------------------------------------------------------------


class LedgerEntry(models.Model):
    """What every ledger row has: never edited, a correction is a new entry that
    ``reverses`` the old one; ``idempotency_key`` makes a replayed posting a no-op.
    The concrete ledgers add their balance link, number, type, amount and checks."""

    order_number = models.CharField(_("order no."), max_length=30, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


class RebateEntryType(models.TextChoices):
    REWARD = "reward", _("Blue Cloud incentive reward")
    GRANT = "grant", _("Staff grant")
    CLAWBACK = "clawback", _("Clawback")
    SPEND = "spend", _("Purchase expense")
    SPEND_REVERSAL = "spend_reversal", _("Refund of cancelled order")


class RebateEntry(LedgerEntry):
    """账户收支明细 row. Never edited: a correction is a new entry."""

    wallet = models.ForeignKey(
        RebateWallet, on_delete=models.PROTECT, related_name="entries", verbose_name=_("wallet")
    )
    number = models.CharField(_("transaction no."), max_length=20, unique=True)
    entry_type = models.CharField(_("type"), max_length=20, choices=RebateEntryType.choices)
    amount = money_field(_("amount"))
    balance_after = money_field(_("balance after"))

    class Meta(LedgerEntry.Meta):
        verbose_name = _("rebate ledger entry")
        verbose_name_plural = _("rebate ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="billing_rebate_entry_not_zero"
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="billing_rebate_entry_balance_ok"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    entry_type__in=["reward", "grant", "spend_reversal"], amount__gt=0
                )
                | models.Q(entry_type__in=["clawback", "spend"], amount__lt=0),
                name="billing_rebate_entry_sign_matches_type",
            ),
        ]
        indexes = [
            models.Index(fields=["wallet", "-created_at"], name="billing_rebate_wallet_idx"),
            models.Index(
                fields=["wallet", "entry_type", "-created_at"], name="billing_rebate_type_idx"
            ),
            # Pattern ops: serves the console's prefix search (LIKE 'x%') in any collation.
            models.Index(
                fields=["order_number"],
                name="billing_rebate_order_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # The console list's ordering, so a page is read off the index.
            models.Index(fields=["-created_at", "-id"], name="billing_rebate_created_idx"),
        ]


class CreditEntryType(models.TextChoices):
    CHARGE = "charge", _("Expense")
    OFFLINE_CHARGE = "offline_charge", _("Offline consumption")
    CHARGE_REVERSAL = "charge_reversal", _("Refund of cancelled order")
    REPAYMENT = "repayment", _("Repayment")


class CreditEntry(LedgerEntry):
    """全部明细 row of a credit line. ``amount`` is the change of *used*: charges are
    positive (available falls), repayments and reversals negative."""

    account = models.ForeignKey(
        CreditAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("credit account"),
    )
    number = models.CharField(_("transaction no."), max_length=24, unique=True)
    entry_type = models.CharField(_("type"), max_length=20, choices=CreditEntryType.choices)
    amount = money_field(_("amount"))
    used_after = money_field(_("used after"))
    available_after = money_field(_("remaining available"))
    repayment = models.ForeignKey(
        "Repayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("repayment"),
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("credit ledger entry")
        verbose_name_plural = _("credit ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="billing_credit_entry_not_zero"
            ),
            models.CheckConstraint(
                condition=models.Q(used_after__gte=0), name="billing_credit_entry_used_ok"
            ),
            models.CheckConstraint(
                condition=models.Q(available_after__gte=0), name="billing_credit_entry_available_ok"
            ),
            models.CheckConstraint(
                condition=models.Q(entry_type__in=["charge", "offline_charge"], amount__gt=0)
                | models.Q(entry_type__in=["charge_reversal", "repayment"], amount__lt=0),
                name="billing_credit_entry_sign_matches_type",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="billing_credit_account_idx"),
            models.Index(
                fields=["account", "entry_type", "created_at"], name="billing_credit_type_idx"
            ),
            # Pattern ops: serves the console's prefix search (LIKE 'x%') in any collation.
            models.Index(
                fields=["order_number"],
                name="billing_credit_order_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # The console list's ordering, so a page is read off the index.
            models.Index(fields=["-created_at", "-id"], name="billing_credit_created_idx"),
        ]


class CreditLimitChange(models.Model):
    """Staff changes of the guarantee (limit 1:1) or term days, with the reason."""

    account = models.ForeignKey(
        CreditAccount,
        on_delete=models.PROTECT,
        related_name="limit_changes",
        verbose_name=_("credit account"),
    )
    old_limit = money_field(_("old limit"))
    new_limit = money_field(_("new limit"))
    old_term_days = models.PositiveSmallIntegerField(_("old term (days)"))
    new_term_days = models.PositiveSmallIntegerField(_("new term (days)"))
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit limit change")
        verbose_name_plural = _("credit limit changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.account}: {self.old_limit} → {self.new_limit}"


class BillStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting repayment")
    SETTLED = "settled", _("Settled")
    OVERDUE = "overdue", _("Overdue")


class Bill(models.Model):
    """已出账单: the unbilled credit charges of a company for one cycle (a day)."""

    account = models.ForeignKey(
        CreditAccount,
        on_delete=models.PROTECT,
        related_name="bills",
        verbose_name=_("credit account"),
    )
    number = models.CharField(_("bill no."), max_length=24, unique=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = money_field(_("amount"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=BillStatus.choices, default=BillStatus.PENDING
    )
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    overdue_notice_sent_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("bill date"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start", "period_end"], name="billing_bill_one_per_cycle"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="billing_bill_amount_not_negative"
            ),
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

    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, related_name="items", verbose_name=_("bill")
    )
    entry = models.OneToOneField(
        CreditEntry, on_delete=models.PROTECT, related_name="bill_item", verbose_name=_("entry")
    )

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

    account = models.ForeignKey(
        CreditAccount,
        on_delete=models.PROTECT,
        related_name="repayments",
        verbose_name=_("credit account"),
    )
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
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RepaymentStatus.choices,
        default=RepaymentStatus.SUBMITTED,
    )
    submitted_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    reviewed_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="billing_repayment_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="billing_repayment_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="billing_repayment_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} ({self.get_status_display()})"


class RepaymentBill(models.Model):
    """A repayment's claim on one of its bills.

    ``active`` while the repayment is under review or confirmed; a rejection releases
    the claim (the row stays, so the record of what was paid for stays). The unique
    partial index ``billing_bill_one_settling_repayment`` lets each bill have one active
    claim: an online and an offline repayment of the same bill, or two confirmations,
    cannot both settle it, whatever the services do.
    """

    repayment = models.ForeignKey(
        Repayment, on_delete=models.CASCADE, related_name="claims", verbose_name=_("repayment")
    )
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, related_name="claims", verbose_name=_("bill")
    )
    active = models.BooleanField(_("claims the bill"), default=True)

    class Meta:
        # The table of the former auto-created many-to-many: the rows are the same.
        db_table = "billing_repayment_bills"
        unique_together = [("repayment", "bill")]
        verbose_name = _("repayment of a bill")
        verbose_name_plural = _("repayments of bills")
        constraints = [
            models.UniqueConstraint(
                fields=["bill"],
                condition=models.Q(active=True),
                name="billing_bill_one_settling_repayment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.repayment_id}:{self.bill_id}"


class CreditPayCode(models.Model):
    """The 6-digit code e-mailed for a credit payment: 10 minutes, single use, rate-limited."""

    user = models.ForeignKey(
        "partners.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    code_hash = models.CharField(max_length=128)
    purpose = models.CharField(
        max_length=60, help_text=_("What the code authorises, e.g. the checkout key.")
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit payment code")
        verbose_name_plural = _("credit payment codes")
        indexes = [models.Index(fields=["user", "-created_at"], name="billing_paycode_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.purpose}"


# ---------------------------------------------------------------------------
# Coupons
# ---------------------------------------------------------------------------


class CouponCampaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    face_value = money_field(_("face value"), default=None)
    threshold_amount = money_field(
        _("minimum order amount"), help_text=_("满X: usable when the order amount ≥ X.")
    )
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), default=0)
    solutions = models.ManyToManyField(
        "catalog.Solution",
        related_name="coupon_campaigns",
        blank=True,
        verbose_name=_("applicable solutions"),
        help_text=_("Empty: every solution."),
    )
    region = models.CharField(
        _("region"), max_length=10, blank=True, help_text=_("Empty: every region.")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Both empty: never expires.")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), help_text=_("How many coupons this campaign may issue.")
    )
    created_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon campaign")
        verbose_name_plural = _("coupon campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(face_value__gt=0), name="billing_campaign_face_value_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(threshold_amount__gte=0), name="billing_campaign_threshold_ok"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="billing_campaign_validity_ok",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CouponStatus(models.TextChoices):
    UNUSED = "unused", _("Unused")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


class Coupon(models.Model):
    campaign = models.ForeignKey(
        CouponCampaign, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("campaign")
    )
    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="coupons",
        verbose_name=_("company"),
    )
    code = models.CharField(_("coupon code"), max_length=8, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CouponStatus.choices, default=CouponStatus.UNUSED
    )
    order_number = models.CharField(_("order no."), max_length=30, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="used") | ~models.Q(order_number=""),
                name="billing_coupon_used_has_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "status", "-issued_at"], name="billing_coupon_company_idx"
            )
        ]

    def __str__(self) -> str:
        return self.code


class RebateRun(models.Model):
    """One half-yearly rebate per company, currency and period: the idempotency record."""

    company = models.ForeignKey(
        "partners.Company", on_delete=models.PROTECT, related_name="+", verbose_name=_("company")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    period = models.CharField(_("period"), max_length=7, help_text=_("e.g. 2026H1"))
    base_amount = money_field(_("paid order amount"))
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4)
    amount = money_field(_("rebate"))
    entry = models.OneToOneField(
        RebateEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rebate run")
        verbose_name_plural = _("rebate runs")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "currency", "period"], name="billing_rebaterun_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.currency} {self.period}: {self.amount}"


# ---------------------------------------------------------------------------
# Cart and orders
# ---------------------------------------------------------------------------


class CartLine(models.Model):
    """购物车 line, per user. Prices are never stored here: checkout reads the SKU."""

    user = models.ForeignKey(
        "partners.User", on_delete=models.CASCADE, related_name="cart_lines", verbose_name=_("user")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    parameters = models.JSONField(_("purchase parameters"), default=dict, blank=True)
    selected = models.BooleanField(_("selected"), default=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sku"], name="billing_cart_one_line_per_sku"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=9999),
                name="billing_cart_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.quantity}"


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
    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("channel"),
    )
    placed_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="orders", verbose_name=_("sales")
    )
    end_customer = models.ForeignKey(
        "partners.EndCustomer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("end customer"),
    )
    customer_name = models.CharField(_("customer name"), max_length=50)
    customer_company = models.CharField(_("customer company"), max_length=100)
    customer_email = models.EmailField(_("customer e-mail"))
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    customer_address = models.CharField(_("customer address"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=10)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
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
    coupon = models.ForeignKey(
        Coupon,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("coupon"),
    )
    contract = models.OneToOneField(
        "contracts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
        verbose_name=_("e-contract"),
    )
    expected_close_date = models.DateField(_("expected closing date"), null=True, blank=True)
    remarks = models.CharField(_("remarks"), max_length=150, blank=True)
    delivery_content = models.TextField(_("delivery content (serial numbers)"), blank=True)
    supplementary_terms = models.TextField(_("supplementary terms"), blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(goods_total__gte=0), name="billing_order_goods_ok"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    coupon_discount__gte=0, rebate_amount__gte=0, credit_amount__gte=0
                ),
                name="billing_order_deductions_ok",
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
            models.Index(fields=["-created_at", "-id"], name="billing_order_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self):
        """What remains to pay online or offline after coupon, rebate and credit."""
        return self.payable_total - self.credit_amount


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    solution = models.ForeignKey(
        "catalog.Solution",
        on_delete=models.PROTECT,
        related_name="order_lines",
        verbose_name=_("solution"),
    )
    solution_name = models.CharField(_("solution"), max_length=100)
    sku_code = models.CharField(_("SKU"), max_length=40)
    plan_name = models.CharField(_("plan"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10)
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
            models.CheckConstraint(
                condition=models.Q(line_total__gte=0), name="billing_orderline_total_ok"
            ),
        ]
        indexes = [models.Index(fields=["solution", "order"], name="billing_orderline_sol_idx")]

    def __str__(self) -> str:
        return f"{self.sku_code} × {self.quantity}"


class OrderEvent(models.Model):
    """One row per status change (the transition table's audit trail)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
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
    confirmed_at = models.DateTimeField(_("money received"), null=True, blank=True)
    refund_reason = models.CharField(_("why a refund is due"), max_length=200, blank=True)
    refund_method = models.CharField(
        _("refund method"), max_length=10, choices=RefundMethod.choices, blank=True
    )
    refund_reference = models.CharField(_("refund reference"), max_length=64, blank=True)
    refund_note = models.CharField(_("refund note"), max_length=200, blank=True)
    refunded_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refunded by"),
    )
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)

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

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    reference = models.CharField(_("payment order no."), max_length=40, unique=True)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentRecordStatus.choices,
        default=PaymentRecordStatus.PENDING,
    )
    payer_account = models.CharField(_("paying bank account"), max_length=50, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    transfer_reference = models.CharField(_("transfer reference"), max_length=60, blank=True)
    reviewed_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    provider_payload = models.JSONField(_("provider payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="billing_payment_amount_ok"
            ),
            # At most one successful payment per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="succeeded"),
                name="billing_payment_one_success",
            ),
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
        return self.reference


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

    account = models.ForeignKey(
        CreditAccount,
        on_delete=models.PROTECT,
        related_name="online_repayments",
        verbose_name=_("credit account"),
    )
    reference = models.CharField(_("payment order no."), max_length=40)
    bills = models.ManyToManyField(Bill, related_name="online_repayments", verbose_name=_("bills"))
    amount = money_field(_("amount"))
    provider = models.CharField(_("provider"), max_length=20)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentRecordStatus.choices,
        default=PaymentRecordStatus.PENDING,
    )
    repayment = models.OneToOneField(
        Repayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment",
        verbose_name=_("repayment"),
    )
    provider_payload = models.JSONField(_("provider payload"), default=dict, blank=True)
    started_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("online repayment")
        verbose_name_plural = _("online repayments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="billing_onlinerepay_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["account", "reference"], name="billing_onlinerepay_ref_per_account"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PaymentRecordStatus.SUCCEEDED)
                | models.Q(repayment__isnull=False),
                name="billing_onlinerepay_success_settles",
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


# ---------------------------------------------------------------------------
# Fulfilment: delivery and payment milestones, attachments, invoice requests
# ---------------------------------------------------------------------------


def order_attachment_upload_to(instance: "OrderAttachment", filename: str) -> str:
    import uuid

    from django.utils import timezone

    ext = instance.original_name.rsplit(".", 1)[-1] if "." in instance.original_name else "bin"
    return f"orders/attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext.lower()[:10]}"


def invoice_pdf_upload_to(instance: "InvoiceRequest", filename: str) -> str:
    import uuid

    from django.utils import timezone

    return f"orders/invoices/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class DeliveryMilestoneStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting delivery")
    DELIVERED = "delivered", _("Delivered")
    CONFIRMED = "confirmed", _("Confirmed")


class DeliveryMilestone(models.Model):
    """交付里程碑: a stage Blue Cloud delivers; the buyer's 确认 completes it (6.4.2)."""

    order = models.ForeignKey(
        Order,
        on_delete=models.CASCADE,
        related_name="delivery_milestones",
        verbose_name=_("order"),
    )
    position = models.PositiveSmallIntegerField(_("sequence no."), default=0)
    stage = models.CharField(_("stage"), max_length=100)
    planned_date = models.DateField(_("delivery time (planned date)"), null=True, blank=True)
    acceptance_criteria = models.CharField(_("acceptance criteria"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryMilestoneStatus.choices,
        default=DeliveryMilestoneStatus.PENDING,
    )
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    delivered_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivered by"),
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
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

    order = models.ForeignKey(
        Order,
        on_delete=models.CASCADE,
        related_name="payment_milestones",
        verbose_name=_("order"),
    )
    position = models.PositiveSmallIntegerField(_("sequence no."), default=0)
    stage = models.CharField(_("stage"), max_length=100)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentMilestoneStatus.choices,
        default=PaymentMilestoneStatus.UNPAID,
    )
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    paid_marked_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked paid by"),
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment milestone")
        verbose_name_plural = _("payment milestones")
        ordering = ["order_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="billing_payment_ms_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_at__isnull=False),
                name="billing_payment_ms_paid_has_when",
            ),
        ]
        indexes = [models.Index(fields=["order", "position"], name="billing_payment_ms_idx")]

    def __str__(self) -> str:
        return self.stage

    @property
    def is_editable(self) -> bool:
        return self.status != PaymentMilestoneStatus.PAID


class OrderAttachment(models.Model):
    """附件: a file Blue Cloud shares with the buyer (SOW, progress material). Private storage."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("order")
    )
    title = models.CharField(_("title"), max_length=100)
    file = models.FileField(
        _("file"), upload_to=order_attachment_upload_to, storage=private_storage, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("order attachment")
        verbose_name_plural = _("order attachments")
        ordering = ["order_id", "created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"], name="billing_order_attach_idx")]

    def __str__(self) -> str:
        return self.title


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

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="invoice_requests", verbose_name=_("order")
    )
    invoice_type = models.CharField(_("invoice type"), max_length=10, choices=InvoiceType.choices)
    title = models.CharField(_("invoice title"), max_length=100)
    tax_id = models.CharField(_("tax ID"), max_length=20, validators=[TAX_ID_VALIDATOR])
    address_phone = models.CharField(_("address and phone"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank and account"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvoiceRequestStatus.choices,
        default=InvoiceRequestStatus.PENDING,
    )
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    invoice_pdf = models.FileField(
        _("invoice PDF"),
        upload_to=invoice_pdf_upload_to,
        storage=private_storage,
        max_length=200,
        blank=True,
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    processed_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processed by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="pending"),
                name="billing_invoice_one_open_per_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="billing_invoice_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="issued") | ~models.Q(invoice_number=""),
                name="billing_invoice_issued_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="billing_invoice_queue_idx"),
            models.Index(fields=["order", "status"], name="billing_invoice_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.title}"

    @property
    def pdf_filename(self) -> str:
        return f"invoice-{self.invoice_number or self.pk}.pdf"


# ---------------------------------------------------------------------------
# Revenue-share statements (分账管理, spec 9, decisions 7 and 8)
# Services: billing/statements/services.py. One statement per company, month and currency.
# ---------------------------------------------------------------------------


def statement_voucher_upload_to(instance: "Statement", filename: str) -> str:
    import uuid

    from django.utils import timezone

    name = instance.voucher_name or filename
    ext = name.rsplit(".", 1)[-1].lower()[:10] if "." in name else "bin"
    return f"statements/vouchers/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def statement_export_upload_to(instance: "StatementExport", filename: str) -> str:
    import uuid

    from django.utils import timezone

    return f"statements/exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("To be confirmed")
    CONFIRMED = "confirmed", _("Confirmed")
    DISPUTED = "disputed", _("Disputed")
    PAID = "paid", _("Paid")
    COMPLETED = "completed", _("Completed")


class Statement(models.Model):
    """分账账单: a partner company's orders of one month in one currency, and its share.

    Totals are computed from the statement's own lines when it is (re)generated; the
    snapshot columns keep the summary (账单统计) as it was at generation time.
    """

    number = models.CharField(_("statement no."), max_length=20, unique=True)
    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("company"),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    order_count = models.PositiveIntegerField(_("total orders"), default=0)
    product_count = models.PositiveIntegerField(_("total products"), default=0)
    sales_amount = money_field(_("sales amount"))
    share_rate = models.DecimalField(
        _("revenue-share rate"), max_digits=5, decimal_places=4, default=Decimal("0")
    )
    share_amount = money_field(_("share payable"))
    adjustment_total = money_field(_("adjustments"))
    total_payable = money_field(_("statement amount"))
    # 账单统计 snapshot (as generated)
    company_name = models.CharField(_("solution provider"), max_length=100)
    tier_name = models.CharField(_("tier"), max_length=50, blank=True)
    business_owner_name = models.CharField(_("business owner"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # 凭证 (payment voucher), recorded by finance
    voucher = models.FileField(
        _("voucher"),
        upload_to=statement_voucher_upload_to,
        storage=private_storage,
        max_length=200,
        blank=True,
    )
    voucher_name = models.CharField(_("voucher file name"), max_length=120, blank=True)
    voucher_content_type = models.CharField(_("voucher content type"), max_length=50, blank=True)
    voucher_sha256 = models.CharField(_("voucher SHA-256"), max_length=64, blank=True)
    voucher_reference = models.CharField(_("voucher reference"), max_length=60, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment recorded by"),
    )
    confirmed_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    dispute_reason = models.CharField(_("dispute reason"), max_length=500, blank=True)
    disputed_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disputed by"),
    )
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("revenue-share statement")
        verbose_name_plural = _("revenue-share statements")
        ordering = ["-period_start", "company_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "currency", "period_start"],
                name="billing_statement_one_per_month",
            ),
            models.CheckConstraint(
                condition=models.Q(order_count__gte=0, product_count__gte=0),
                name="billing_statement_counts_ok",
            ),
            models.CheckConstraint(
                condition=models.Q(sales_amount__gte=0, share_amount__gte=0, total_payable__gte=0),
                name="billing_statement_amounts_ok",
            ),
            models.CheckConstraint(
                condition=Exact(
                    cents("total_payable"), cents("share_amount") + cents("adjustment_total")
                ),
                name="billing_statement_total_is_share_plus_adjustments",
            ),
            models.CheckConstraint(
                condition=models.Q(share_rate__gte=0, share_rate__lte=1),
                name="billing_statement_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="billing_statement_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="disputed") | ~models.Q(dispute_reason=""),
                name="billing_statement_dispute_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "disputed"])
                | models.Q(confirmed_at__isnull=False),
                name="billing_statement_confirmed_has_when",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["paid", "completed"])
                | (
                    models.Q(paid_on__isnull=False)
                    & ~models.Q(voucher="")
                    & ~models.Q(voucher_reference="")
                ),
                name="billing_statement_paid_has_voucher",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-period_start"], name="billing_stmt_status_idx"),
            models.Index(fields=["company", "-period_start"], name="billing_stmt_company_idx"),
            models.Index(fields=["-period_start", "-id"], name="billing_stmt_period_idx"),
            # The console list's ordering, so a page is read off the index.
            models.Index(
                fields=["-period_start", "company_name", "currency", "-id"],
                name="billing_stmt_list_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_locked(self) -> bool:
        """Confirmed and later statements are read-only (decision 7)."""
        return self.status in (
            StatementStatus.CONFIRMED,
            StatementStatus.PAID,
            StatementStatus.COMPLETED,
        )

    @property
    def period_label(self) -> str:
        """账单周期 as in the manual: 2019/11/1-2019/11/30."""
        start, end = self.period_start, self.period_end
        return f"{start.year}/{start.month}/{start.day}-{end.year}/{end.month}/{end.day}"


class StatementLine(models.Model):
    """账单明细: one of the company's orders created in the month (cancelled ones too)."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
    )
    order_number = models.CharField(_("order no."), max_length=30)
    order_total = money_field(_("order total"))
    products = models.CharField(_("related products"), max_length=500, blank=True)
    order_status = models.CharField(_("order status"), max_length=20, choices=OrderStatus.choices)
    payment_status = models.CharField(
        _("payment status"), max_length=24, choices=PaymentStatus.choices
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    transacted_at = models.DateTimeField(_("transaction time"))
    in_sales = models.BooleanField(
        _("counted in sales"),
        default=False,
        help_text=_("Paid and processing, delivered or completed."),
    )

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["-transacted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "order"], name="billing_statementline_one_per_order"
            ),
            models.CheckConstraint(
                condition=models.Q(order_total__gte=0), name="billing_statementline_total_ok"
            ),
        ]
        indexes = [
            models.Index(
                fields=["statement", "-transacted_at", "-id"], name="billing_stmtline_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.order_number


class StatementAdjustment(models.Model):
    """调整: a staff correction of a statement, signed, with its reason. Never edited."""

    statement = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        related_name="adjustments",
        verbose_name=_("statement"),
    )
    amount = money_field(_("amount"))
    reason = models.CharField(_("adjustment reason"), max_length=200)
    created_by = models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("statement adjustment")
        verbose_name_plural = _("statement adjustments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="billing_stmt_adjustment_not_zero"
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="billing_stmt_adjustment_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.amount}"


class StatementEvent(models.Model):
    """One row per generation and status change of a statement (the audit trail)."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="events", verbose_name=_("statement")
    )
    from_status = models.CharField(_("from status"), max_length=10, blank=True)
    to_status = models.CharField(_("to status"), max_length=10)
    actor = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement event")
        verbose_name_plural = _("statement events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.from_status} → {self.to_status}"


class StatementExportStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class StatementExport(models.Model):
    """A large Excel export of statements, built by a task into private storage."""

    requested_by = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StatementExportStatus.choices,
        default=StatementExportStatus.PENDING,
    )
    statement_ids = models.JSONField(_("statements"), default=list)
    statement_count = models.PositiveIntegerField(_("statement count"), default=0)
    row_count = models.PositiveIntegerField(_("line rows"), default=0)
    file = models.FileField(
        _("file"),
        upload_to=statement_export_upload_to,
        storage=private_storage,
        max_length=200,
        blank=True,
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement export")
        verbose_name_plural = _("statement exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file=""),
                name="billing_stmt_export_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.statement_count}"

    @property
    def filename(self) -> str:
        return f"statements-export-{self.pk}.xlsx"


# ---------------------------------------------------------------------------
# Four-eyes on finance postings (staff-console issue)
# Services: billing/services/approvals.py. A posting above FOUR_EYES_THRESHOLD is
# stored here by its maker and reaches the ledger only when a second user approves.
# ---------------------------------------------------------------------------


class PendingPostingKind(models.TextChoices):
    WALLET_GRANT = "wallet_grant", _("Manual rebate grant")
    CREDIT_LIMIT = "credit_limit", _("Credit limit change")
    OFFLINE_CHARGE = "offline_charge", _("Offline consumption")
    COMPANY_TERMS = "company_terms", _("Tier / revenue-share change")


class PendingPostingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PendingPosting(models.Model):
    """A finance posting entered by a maker, waiting for a second user (the checker)."""

    kind = models.CharField(_("kind"), max_length=20, choices=PendingPostingKind.choices)
    company = models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name="pending_postings",
        verbose_name=_("company"),
    )
    # Empty for a tier / revenue-share change, which moves no money.
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    # The grant or consumption amount; for a credit-limit change the new limit; 0 for a
    # tier / revenue-share change.
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    # A tier / revenue-share change: the company's new terms (an empty rate: the tier's).
    tier = models.ForeignKey(
        "partners.Tier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new tier"),
    )
    revenue_share_rate = models.DecimalField(
        _("new revenue-share rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    term_days = models.PositiveSmallIntegerField(
        _("term (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    reason = models.CharField(_("reason"), max_length=200)
    maker = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    checker = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PendingPostingStatus.choices,
        default=PendingPostingStatus.PENDING,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    result_reference = models.CharField(
        _("result"),
        max_length=40,
        blank=True,
        help_text=_("The ledger transaction no. or the credit limit change id."),
    )
    request_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("posting awaiting approval")
        verbose_name_plural = _("postings awaiting approval")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="billing_pending_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | (models.Q(checker__isnull=False) & ~models.Q(checker=models.F("maker"))),
                name="billing_pending_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="billing_pending_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="credit_limit") | models.Q(term_days__isnull=False),
                name="billing_pending_limit_has_term",
            ),
            # Terms come with a tier; money postings with a currency and no terms.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="company_terms", tier__isnull=False, currency="")
                    | (
                        ~models.Q(kind="company_terms")
                        & models.Q(tier__isnull=True, revenue_share_rate__isnull=True)
                        & ~models.Q(currency="")
                    )
                ),
                name="billing_pending_terms_or_money",
            ),
            models.CheckConstraint(
                condition=models.Q(revenue_share_rate__isnull=True)
                | models.Q(revenue_share_rate__gte=0, revenue_share_rate__lte=1),
                name="billing_pending_share_rate_range",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == PendingPostingKind.COMPANY_TERMS:
            return f"{self.get_kind_display()} · {self.company} · {self.tier}"
        return f"{self.get_kind_display()} · {self.company} · {self.currency} {self.amount}"
