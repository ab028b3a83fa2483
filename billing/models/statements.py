"""Revenue-share statements (分账管理, spec 9, decisions 7 and 8).

Services: billing/statements/services.py (generation, exports) and workflow.py (status
changes). One statement per company, month and currency.
"""

from decimal import Decimal

from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import filled_when, in_range, not_negative
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import acting_user, optional_link, optional_user, required_link
from backoffice.core.money import cents, currency_field, money_field
from backoffice.core.storage import dated_upload_name, file_extension, private_file
from partners.fields import company_fk

from .orders import Order, OrderStatus, PaymentStatus


def statement_voucher_upload_to(instance: "Statement", filename: str) -> str:
    name = instance.voucher_name or filename
    return dated_upload_name("statements/vouchers", file_extension(name, "bin", max_length=10))


def statement_export_upload_to(instance: "StatementExport", filename: str) -> str:
    return dated_upload_name("statements/exports", "xlsx")


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
    company = company_fk("statements")
    currency = currency_field()
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = status_field(StatementStatus.DRAFT, max_length=10)
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
    voucher = private_file(_("voucher"), statement_voucher_upload_to, blank=True)
    voucher_name = models.CharField(_("voucher file name"), max_length=120, blank=True)
    voucher_content_type = models.CharField(_("voucher content type"), max_length=50, blank=True)
    voucher_sha256 = models.CharField(_("voucher SHA-256"), max_length=64, blank=True)
    voucher_reference = models.CharField(_("voucher reference"), max_length=60, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    paid_recorded_by = optional_user(_("payment recorded by"))
    confirmed_by = optional_user(_("confirmed by"))
    confirmed_at = optional_time(_("confirmed"))
    dispute_reason = models.CharField(_("dispute reason"), max_length=500, blank=True)
    disputed_by = optional_user(_("disputed by"))
    disputed_at = optional_time(_("disputed"))
    completed_at = optional_time(_("completed"))
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
            not_negative("billing_statement_counts_ok", "order_count", "product_count"),
            not_negative(
                "billing_statement_amounts_ok", "sales_amount", "share_amount", "total_payable"
            ),
            models.CheckConstraint(
                condition=Exact(
                    cents("total_payable"), cents("share_amount") + cents("adjustment_total")
                ),
                name="billing_statement_total_is_share_plus_adjustments",
            ),
            in_range("billing_statement_rate_range", "share_rate", 0, 1),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="billing_statement_period",
            ),
            filled_when("billing_statement_dispute_has_reason", "disputed", "dispute_reason"),
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

    statement = required_link(
        Statement, _("statement"), related_name="lines", on_delete=models.CASCADE
    )
    order = optional_link(Order, _("order"))
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
            not_negative("billing_statementline_total_ok", "order_total"),
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

    statement = required_link(Statement, _("statement"), related_name="adjustments")
    amount = money_field(_("amount"))
    reason = models.CharField(_("adjustment reason"), max_length=200)
    created_by = acting_user(_("by"))
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

    statement = required_link(
        Statement, _("statement"), related_name="events", on_delete=models.CASCADE
    )
    from_status = models.CharField(_("from status"), max_length=10, blank=True)
    to_status = models.CharField(_("to status"), max_length=10)
    actor = optional_user(_("by"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement event")
        verbose_name_plural = _("statement events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.from_status} → {self.to_status}"


class StatementRollup(models.Model):
    """Header totals of the statements of one month, currency and status (the console
    list's 订单总数, 方案总数 and 销售额 without a scan of every statement).

    Kept exact by the services that write statements, in their transactions
    (``billing.statements.rollup``): generation adds the created and regenerated rows,
    every status move takes one statement from its old status to its new one.
    ``check_ledgers`` proves it equals the statements (``statement_rollup``).
    """

    period_start = models.DateField(_("period start"))
    currency = currency_field()
    status = models.CharField(_("status"), max_length=10, choices=StatementStatus.choices)
    statement_count = models.BigIntegerField(_("statements"), default=0)
    order_count = models.BigIntegerField(_("total orders"), default=0)
    product_count = models.BigIntegerField(_("total products"), default=0)
    sales_amount = models.DecimalField(
        _("sales amount"), max_digits=20, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("statement totals of a month")
        verbose_name_plural = _("statement totals of a month")
        ordering = ["-period_start", "currency", "status"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "currency", "status"],
                name="billing_statementrollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m} {self.currency} {self.status}"


class StatementExportStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class StatementExport(models.Model):
    """A large Excel export of statements, built by a task into private storage."""

    requested_by = acting_user(_("requested by"))
    status = status_field(StatementExportStatus.PENDING, max_length=10)
    statement_ids = models.JSONField(_("statements"), default=list)
    statement_count = models.PositiveIntegerField(_("statement count"), default=0)
    row_count = models.PositiveIntegerField(_("line rows"), default=0)
    file = private_file(_("file"), statement_export_upload_to, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = optional_time(_("finished"))

    class Meta:
        verbose_name = _("statement export")
        verbose_name_plural = _("statement exports")
        ordering = NEWEST_FIRST
        constraints = [
            filled_when("billing_stmt_export_done_has_file", "done", "file"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.statement_count}"

    @property
    def filename(self) -> str:
        return f"statements-export-{self.pk}.xlsx"
