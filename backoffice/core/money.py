"""Money: Decimal only, exact to the cent, always with a currency.

The column shape (``MONEY_DIGITS``, ``MONEY_PLACES``, ``money_field``), the currencies,
the cents expression for CHECK constraints, and one quantising rule at the boundaries.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

MONEY_DIGITS = 14
MONEY_PLACES = 2
CENT = Decimal("0.01")


class Currency(models.TextChoices):
    CNY = "CNY", _("CNY ¥")
    USD = "USD", _("USD $")
    HKD = "HKD", _("HKD HK$")


def cents(field: str) -> models.Func:
    """The money column ``field`` in whole cents, for CHECK constraints that add or subtract
    amounts: SQLite does decimal arithmetic in floating point (10.70 − 10 − 0.50 ≠ 0.20),
    but a rounded cent count is exact there, and on PostgreSQL (numeric, two places) it is
    the same comparison as before."""
    return Round(models.F(field) * 100)


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(
        verbose_name, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs
    )


def currency_field(**kwargs) -> models.CharField:
    """The currency of a row's money columns."""
    return models.CharField(_("currency"), max_length=3, choices=Currency.choices, **kwargs)


SYMBOLS = {"CNY": "¥", "USD": "$", "HKD": "HK$"}


def to_money(value) -> Decimal:
    """Parse and quantise to cents (half up). Floats are refused: they are not money."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str, *, signed: bool = False) -> str:
    amount = to_money(amount)
    sign = ""
    if amount < 0:
        sign = "-"
    elif signed and amount > 0:
        sign = "+"
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{abs(amount):,.2f}"


def format_amounts(currency: str, **amounts: Decimal) -> dict[str, str]:
    """Each of ``amounts`` formatted in ``currency`` under its name: the placeholders of a
    message or a mail context that names several sums of one currency."""
    return {name: format_money(amount, currency) for name, amount in amounts.items()}
