"""Rebate wallets (可抵扣优惠金额), their ledger and the half-yearly rebate runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import not_negative
from backoffice.core.links import required_link
from backoffice.core.money import currency_field, money_field
from partners.fields import company_fk

from .ledger import LedgerEntry, ledger_checks, ledger_indexes


class RebateWallet(models.Model):
    """可抵扣优惠金额: a company's rebate balance in one currency. Never below zero."""

    company = company_fk("rebate_wallets")
    currency = currency_field()
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
            not_negative("billing_wallet_balance_not_negative", "balance"),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.currency} {self.balance}"


class RebateEntryType(models.TextChoices):
    REWARD = "reward", _("Blue Cloud incentive reward")
    GRANT = "grant", _("Staff grant")
    CLAWBACK = "clawback", _("Clawback")
    SPEND = "spend", _("Purchase expense")
    SPEND_REVERSAL = "spend_reversal", _("Refund of cancelled order")


class RebateEntry(LedgerEntry):
    """账户收支明细 row. Never edited: a correction is a new entry."""

    wallet = required_link(RebateWallet, _("wallet"), related_name="entries")
    number = models.CharField(_("transaction no."), max_length=20, unique=True)
    entry_type = models.CharField(_("type"), max_length=20, choices=RebateEntryType.choices)
    amount = money_field(_("amount"))
    balance_after = money_field(_("balance after"))

    class Meta(LedgerEntry.Meta):
        verbose_name = _("rebate ledger entry")
        verbose_name_plural = _("rebate ledger entries")
        constraints = ledger_checks(
            "rebate",
            at_least_zero={"balance_ok": "balance_after"},
            positive=["reward", "grant", "spend_reversal"],
            negative=["clawback", "spend"],
        )
        indexes = ledger_indexes("rebate", "wallet", type_created="-created_at")


class RebateRun(models.Model):
    """One half-yearly rebate per company, currency and period: the idempotency record."""

    company = company_fk("+")
    currency = currency_field()
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
