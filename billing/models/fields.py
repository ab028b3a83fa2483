"""Field builders the billing models share.

Each builds one column shape that several models repeat, with the same arguments as the
hand-written field, so the migrations see no change."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.core.money import Currency


def optional_link(to, verbose_name, *, related_name="+", one_to_one=False) -> models.ForeignKey:
    """A link that stays empty until there is something to link (a coupon used, the
    receipt that settled a line…); the target stays while rows name it (PROTECT)."""
    field = models.OneToOneField if one_to_one else models.ForeignKey
    return field(
        to,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


def optional_user(verbose_name) -> models.ForeignKey:
    """Who did something (approved, delivered, processed…): empty until someone did;
    no reverse accessor."""
    return optional_link("partners.User", verbose_name)


def acting_user(verbose_name) -> models.ForeignKey:
    """Who did something, known when the row is written (entered, issued, uploaded…);
    PROTECT and no reverse accessor, as ``optional_user``."""
    return models.ForeignKey(
        "partners.User", on_delete=models.PROTECT, related_name="+", verbose_name=verbose_name
    )


def optional_time(verbose_name) -> models.DateTimeField:
    """When something happened (paid, settled, processed…): empty until it did."""
    return models.DateTimeField(verbose_name, null=True, blank=True)


def company_fk(related_name: str, verbose_name=None, **kwargs) -> models.ForeignKey:
    """The partner company a row belongs to (``verbose_name`` "company" unless named);
    a company stays while rows name it."""
    return models.ForeignKey(
        "partners.Company",
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=verbose_name or _("company"),
        **kwargs,
    )


def currency_field(**kwargs) -> models.CharField:
    """The currency of a row's money columns."""
    return models.CharField(_("currency"), max_length=3, choices=Currency.choices, **kwargs)


def status_field(initial: models.TextChoices, *, max_length: int) -> models.CharField:
    """A ``status`` column over the choices ``initial`` belongs to, starting at ``initial``."""
    return models.CharField(
        _("status"), max_length=max_length, choices=type(initial).choices, default=initial
    )


def credit_account_fk(related_name: str) -> models.ForeignKey:
    """The credit line (``CreditAccount``) a bill, repayment or ledger row belongs to."""
    return models.ForeignKey(
        "billing.CreditAccount",
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=_("credit account"),
    )


def positive_amount(prefix: str) -> models.CheckConstraint:
    """The check ``<prefix>_amount_positive``: the row's ``amount`` is above zero."""
    return models.CheckConstraint(
        condition=models.Q(amount__gt=0), name=f"{prefix}_amount_positive"
    )
