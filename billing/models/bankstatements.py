"""Bank statement import (银行流水导入) and reconciliation.

A ``BankStatementProfile`` maps the column headers of a CSV/Excel export to fields (new
profiles are rows finance adds in the console, not code). A ``BankStatementImport`` is one
uploaded file of one of Blue Cloud's bank accounts, parsed inline or by a task with
progress counters; all or nothing. Each credit line becomes a ``BankStatementLine``,
unique per (bank account, ``dedupe_key``): the bank's transaction id, or a hash of date +
amount + reference + payer when the bank gives none, so importing a file twice (or two
overlapping files) inserts nothing twice. A line carries its proposal (rule, confidence,
target) until finance confirms it (a receipt through ``receipt_post``), re-targets it or
ignores it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import positive_amount
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import optional_link, optional_user, required_link
from backoffice.core.money import currency_field, money_field
from backoffice.core.storage import dated_upload_name, file_extension, private_file
from backoffice.core.tasks import percent_done


def bank_statement_upload_to(instance: "BankStatementImport", filename: str) -> str:
    return dated_upload_name("bankstatements", file_extension(filename, "bin", max_length=10))


class BankFileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")
    MT940 = "mt940", _("MT940")


class BankFileEncoding(models.TextChoices):
    UTF8 = "utf-8-sig", _("UTF-8")
    GBK = "gbk", _("GBK (Chinese banks)")


class BankStatementProfile(models.Model):
    """列映射: which column headers of a bank's export hold which field."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    date_columns = models.CharField(_("date column"), max_length=100)
    amount_columns = models.CharField(_("credit amount column"), max_length=100)
    currency_columns = models.CharField(_("currency column"), max_length=100, blank=True)
    reference_columns = models.CharField(
        _("memo / reference columns"),
        max_length=200,
        blank=True,
        help_text=_("Several headers separated by |: their texts are joined (摘要|附言)."),
    )
    payer_name_columns = models.CharField(_("payer name column"), max_length=100, blank=True)
    payer_account_columns = models.CharField(_("payer account column"), max_length=100, blank=True)
    transaction_id_columns = models.CharField(
        _("bank transaction id column"), max_length=100, blank=True
    )
    date_format = models.CharField(
        _("date format"),
        max_length=60,
        default="%Y-%m-%d",
        help_text=_("strftime codes; several separated by |, e.g. %Y-%m-%d|%Y%m%d."),
    )
    decimal_separator = models.CharField(_("decimal separator"), max_length=1, default=".")
    thousands_separator = models.CharField(
        _("thousands separator"), max_length=1, default=",", blank=True
    )
    encoding = models.CharField(
        _("CSV encoding"),
        max_length=10,
        choices=BankFileEncoding.choices,
        default=BankFileEncoding.UTF8,
    )
    delimiter = models.CharField(_("CSV delimiter"), max_length=1, default=",")
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank statement profile")
        verbose_name_plural = _("bank statement profiles")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decimal_separator=models.F("thousands_separator")),
                name="billing_bankprofile_separators_differ",
            )
        ]

    def __str__(self) -> str:
        return self.name


class BankImportStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("Parsing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class BankStatementImport(models.Model):
    """One uploaded statement file of one bank account."""

    bank_account = required_link(
        "billing.BankAccount", _("bank account"), related_name="statement_imports"
    )
    profile = optional_link(BankStatementProfile, _("profile"), related_name="imports")
    file_format = models.CharField(_("format"), max_length=10, choices=BankFileFormat.choices)
    file = private_file(_("file"), bank_statement_upload_to)
    file_name = models.CharField(_("file name"), max_length=200)
    status = status_field(BankImportStatus.PENDING, max_length=10)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    credit_lines = models.PositiveIntegerField(_("credit lines"), default=0)
    new_lines = models.PositiveIntegerField(_("new lines"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = optional_user(_("imported by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = optional_time(_("finished"))

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = NEWEST_FIRST

    def __str__(self) -> str:
        return f"{self.file_name} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def progress_percent(self) -> int:
        # Stays below 100 until the import is done.
        return percent_done(
            self.rows_done, self.rows_total, finished=self.status == BankImportStatus.DONE, cap=99
        )


class BankLineStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    UNMATCHED = "unmatched", _("Unmatched")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting second approval")
    CONFIRMED = "confirmed", _("Confirmed")
    IGNORED = "ignored", _("Ignored")


# Lines still waiting for finance: the reconciliation screen's default view.
OPEN_BANK_LINE_STATUSES = (BankLineStatus.PROPOSED, BankLineStatus.UNMATCHED)


class MatchConfidence(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class MatchRule(models.TextChoices):
    REFERENCE = "reference", _("Reference in the memo")
    PAYER_ACCOUNT = "payer_account", _("Amount and payer account")
    PAYER_NAME = "payer_name", _("Amount and payer name")
    MANUAL = "manual", _("Chosen by finance")


class BankTargetKind(models.TextChoices):
    PAYMENT = "payment", _("Pending offline payment")
    REPAYMENT = "repayment", _("Repayment awaiting confirmation")
    BILLS = "bills", _("Open bills")
    ORDER = "order", _("Unpaid offline order")


class BankStatementLine(models.Model):
    """银行流水: one credit line of a statement, and what it is proposed to settle."""

    statement = required_link(BankStatementImport, _("import"), related_name="lines")
    bank_account = required_link(
        "billing.BankAccount", _("bank account"), related_name="statement_lines"
    )
    dedupe_key = models.CharField(_("bank transaction id"), max_length=64)
    row = models.PositiveIntegerField(_("row"))
    value_date = models.DateField(_("value date"))
    amount = money_field(_("amount"))
    currency = currency_field()
    reference = models.CharField(_("memo"), max_length=200, blank=True)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    payer_account = models.CharField(_("payer account"), max_length=50, blank=True)
    status = status_field(BankLineStatus.UNMATCHED, max_length=20)
    rule = models.CharField(_("matched by"), max_length=20, choices=MatchRule.choices, blank=True)
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=MatchConfidence.choices, blank=True
    )
    company = optional_link("partners.Company", _("company"))
    target_kind = models.CharField(
        _("proposed target"), max_length=10, choices=BankTargetKind.choices, blank=True
    )
    target_ids = models.JSONField(_("target ids"), default=list, blank=True)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    receipt = optional_link("billing.Receipt", _("receipt"))
    decided_by = optional_user(_("handled by"))
    decided_at = optional_time(_("handled at"))
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["statement_id", "row", "pk"]
        constraints = [
            # Dedupe: the same bank line is stored once, whatever file brings it again.
            models.UniqueConstraint(
                fields=["bank_account", "dedupe_key"], name="billing_bankline_once_per_account"
            ),
            positive_amount("billing_bankline"),
            models.CheckConstraint(
                condition=~models.Q(status="proposed")
                | (~models.Q(target_kind="") & models.Q(company__isnull=False)),
                name="billing_bankline_proposal_has_target",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["confirmed", "awaiting_approval"])
                | models.Q(receipt__isnull=False),
                name="billing_bankline_confirmed_has_receipt",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "value_date"], name="billing_bankline_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.value_date} {self.currency} {self.amount} {self.payer_name}".strip()
