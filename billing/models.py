"""Billing: currencies and balance rows. Ledgers, orders, statements arrive with their issues.

Balance rows are created together with the company (see ``balance_rows_create``),
so every later posting can lock an existing row with ``select_for_update``.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MONEY_DIGITS = 14
MONEY_PLACES = 2


class Currency(models.TextChoices):
    CNY = "CNY", _("CNY ¥")
    USD = "USD", _("USD $")
    HKD = "HKD", _("HKD HK$")


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(
        verbose_name, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs
    )


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
