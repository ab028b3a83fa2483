"""Money helpers: Decimal only, quantised at the boundaries with one rule."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
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
