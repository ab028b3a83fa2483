"""``{{ amount|money:currency }}`` → ``¥1,188.00``, ``$182,400.00``, ``HK$57.75``.

Decimal only (backoffice.core.money): a float is refused rather than shown wrong, and an
empty value renders as nothing so a solution without a price shows no amount.
"""

from decimal import Decimal

from django import template

from backoffice.core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "CNY") -> str:
    if amount is None or amount == "":
        return ""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    return format_money(
        amount if isinstance(amount, Decimal) else Decimal(str(amount)), currency or "CNY"
    )
