"""The link to a credit line, as the billing models write it.

The generic field builders are in the kernel (``backoffice.core.fields``,
``backoffice.core.constraints``, ``backoffice.core.money``) and the company link in
``partners.fields``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


def credit_account_fk(related_name: str) -> models.ForeignKey:
    """The credit line (``CreditAccount``) a bill, repayment or ledger row belongs to."""
    return models.ForeignKey(
        "billing.CreditAccount",
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=_("credit account"),
    )
