"""Two-tier distribution: credit a distributor delegates to its sub-resellers.

A ``DelegatedCreditLine`` is one (distributor, sub-reseller, currency) line: what the
distributor allocated (``credit_limit``) and what the sub-reseller used of it. The
distributor's ``CreditAccount`` keeps the totals of its lines (``delegated_limit``,
``delegated_used``) under its CHECK, so an over-allocation is impossible in the database.
Every change is an append-only ``DelegatedCreditEntry`` (README "Two-tier distribution").
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import not_negative
from backoffice.core.links import optional_link, required_link
from backoffice.core.money import currency_field, format_money, money_field
from partners.fields import company_fk

from .ledger import LedgerEntry, ledger_checks, ledger_indexes


class DelegatedCreditLine(models.Model):
    """分配额度: the credit line a distributor delegates to one sub-reseller in one currency."""

    distributor = company_fk("delegated_lines_given", _("distributor"))
    reseller = company_fk("delegated_lines", _("sub-reseller"))
    currency = currency_field()
    credit_limit = money_field(_("allocated"))
    used = money_field(_("used"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delegated credit line")
        verbose_name_plural = _("delegated credit lines")
        ordering = ["distributor_id", "reseller_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "currency"], name="billing_delegated_reseller_currency_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(distributor=models.F("reseller")),
                name="billing_delegated_not_self",
            ),
            not_negative("billing_delegated_used_not_negative", "used"),
            models.CheckConstraint(
                condition=models.Q(used__lte=models.F("credit_limit")),
                name="billing_delegated_used_within_limit",
            ),
        ]
        indexes = [
            models.Index(fields=["distributor", "currency"], name="billing_delegated_dist_idx")
        ]

    def __str__(self) -> str:
        return gettext("%(company)s delegated credit %(limit)s") % {
            "company": self.reseller.name,
            "limit": format_money(self.credit_limit, self.currency),
        }

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.used


class DelegatedCreditEntryType(models.TextChoices):
    ALLOCATE = "allocate", _("Allocate credit")
    RECLAIM = "reclaim", _("Reclaim credit")
    CHARGE = "charge", _("Expense")
    RELEASE = "release", _("Refund of cancelled order")


#: Types that move the allocated limit; the others move ``used``.
LIMIT_TYPES = (DelegatedCreditEntryType.ALLOCATE, DelegatedCreditEntryType.RECLAIM)


class DelegatedCreditEntry(LedgerEntry):
    """调整记录 row of a delegated line: ``amount`` changes the limit (allocate +,
    reclaim −) or the used amount (charge +, release −); before and after are kept."""

    line = required_link(DelegatedCreditLine, _("delegated credit line"), related_name="entries")
    number = models.CharField(_("transaction no."), max_length=24, unique=True)
    entry_type = models.CharField(
        _("type"), max_length=20, choices=DelegatedCreditEntryType.choices
    )
    amount = money_field(_("amount"))
    limit_before = money_field(_("allocated before"))
    limit_after = money_field(_("allocated after"))
    used_before = money_field(_("used before"))
    used_after = money_field(_("used after"))
    credit_entry = optional_link(
        "CreditEntry",
        _("distributor's credit entry"),
        related_name="delegated_entry",
        one_to_one=True,
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("delegated credit entry")
        verbose_name_plural = _("delegated credit entries")
        constraints = [
            *ledger_checks(
                "delegated",
                at_least_zero={"limit_ok": "limit_after", "used_ok": "used_after"},
                positive=["allocate", "charge"],
                negative=["reclaim", "release"],
            ),
            models.CheckConstraint(
                condition=models.Q(used_after__lte=models.F("limit_after")),
                name="billing_delegated_entry_within_limit",
            ),
        ]
        indexes = ledger_indexes("delegated", "line", type_created="created_at")
