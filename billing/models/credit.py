"""Credit lines (账期), their ledger, limit changes and credit payment codes."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import in_range, not_negative
from backoffice.core.fields import NEWEST_FIRST, optional_time
from backoffice.core.links import acting_user, optional_link
from backoffice.core.money import currency_field, format_money, money_field
from partners.fields import company_fk

from .fields import credit_account_fk
from .ledger import LedgerEntry, ledger_checks, ledger_indexes


class CreditAccount(models.Model):
    """账期: a company's credit line in one currency. Used never exceeds the limit."""

    company = company_fk("credit_accounts")
    currency = currency_field()
    credit_limit = money_field(_("credit limit"))
    used = money_field(_("used"))
    # Two-tier distribution: the totals of the lines this company (a distributor) delegates
    # to its sub-resellers (``DelegatedCreditLine``); zero for everyone else.
    delegated_limit = money_field(_("allocated to sub-resellers"))
    delegated_used = money_field(_("used by sub-resellers"))
    term_days = models.PositiveSmallIntegerField(
        _("term (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    overdue_block_lifted_until = optional_time(
        _("overdue block lifted until"),
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
            not_negative("billing_credit_limit_not_negative", "credit_limit"),
            not_negative("billing_credit_used_not_negative", "used"),
            models.CheckConstraint(
                condition=models.Q(used__lte=models.F("credit_limit")),
                name="billing_credit_used_within_limit",
            ),
            models.CheckConstraint(
                condition=models.Q(delegated_used__gte=0)
                & models.Q(delegated_used__lte=models.F("delegated_limit")),
                name="billing_credit_delegated_used_range",
            ),
            # What the distributor is billed for plus what it allocated and its
            # sub-resellers have not used yet never exceeds its line.
            models.CheckConstraint(
                condition=models.Q(
                    used__lte=models.F("credit_limit")
                    - models.F("delegated_limit")
                    + models.F("delegated_used")
                ),
                name="billing_credit_allocations_within_limit",
            ),
            in_range("billing_credit_term_range", "term_days", 1, 365),
        ]

    def __str__(self) -> str:
        """“BC 账期额度 ¥2,000.00”."""
        return gettext("%(company)s credit line %(limit)s") % {
            "company": self.company.name,
            "limit": format_money(self.credit_limit, self.currency),
        }

    @property
    def reserved(self) -> Decimal:
        """Allocated to sub-resellers and not used by them yet."""
        return self.delegated_limit - self.delegated_used

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.used - self.reserved


class CreditEntryType(models.TextChoices):
    CHARGE = "charge", _("Expense")
    OFFLINE_CHARGE = "offline_charge", _("Offline consumption")
    CHARGE_REVERSAL = "charge_reversal", _("Refund of cancelled order")
    REPAYMENT = "repayment", _("Repayment")


class CreditEntry(LedgerEntry):
    """全部明细 row of a credit line. ``amount`` is the change of *used*: charges are
    positive (available falls), repayments and reversals negative."""

    account = credit_account_fk("entries")
    number = models.CharField(_("transaction no."), max_length=24, unique=True)
    entry_type = models.CharField(_("type"), max_length=20, choices=CreditEntryType.choices)
    amount = money_field(_("amount"))
    used_after = money_field(_("used after"))
    available_after = money_field(_("remaining available"))
    repayment = optional_link("Repayment", _("repayment"), related_name="entries")

    class Meta(LedgerEntry.Meta):
        verbose_name = _("credit ledger entry")
        verbose_name_plural = _("credit ledger entries")
        constraints = ledger_checks(
            "credit",
            at_least_zero={"used_ok": "used_after", "available_ok": "available_after"},
            positive=["charge", "offline_charge"],
            negative=["charge_reversal", "repayment"],
        )
        indexes = ledger_indexes("credit", "account", type_created="created_at")


class CreditLimitChange(models.Model):
    """Staff changes of the guarantee (limit 1:1) or term days, with the reason."""

    account = credit_account_fk("limit_changes")
    old_limit = money_field(_("old limit"))
    new_limit = money_field(_("new limit"))
    old_term_days = models.PositiveSmallIntegerField(_("old term (days)"))
    new_term_days = models.PositiveSmallIntegerField(_("new term (days)"))
    reason = models.CharField(_("reason"), max_length=200)
    actor = acting_user(_("by"))
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit limit change")
        verbose_name_plural = _("credit limit changes")
        ordering = NEWEST_FIRST

    def __str__(self) -> str:
        return f"{self.account}: {self.old_limit} → {self.new_limit}"


class CreditPayCode(models.Model):
    """The 6-digit code e-mailed for a credit payment: 10 minutes, single use, rate-limited."""

    user = acting_user(_("user"), on_delete=models.CASCADE)
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
