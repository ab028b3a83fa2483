"""Amounts in Chinese capital numerals (人民币大写), as written on contracts (spec 0.5).

``amount_in_chinese_capitals(Decimal("107"))`` → ``壹佰零柒元整``. The amount is quantized to
cents (ROUND_HALF_UP) first; negative amounts are refused. The currency name, when it is
not 人民币, is written in front by the caller (e.g. ``美元壹佰元整``).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
GROUP_UNITS = ("", "拾", "佰", "仟")
CENT = Decimal("0.01")


def _group(n: int) -> str:
    """1–9999 without leading 零: zeros inside collapse to one 零, trailing zeros vanish."""
    out = []
    pending_zero = False
    for position in (3, 2, 1, 0):
        digit = n // 10**position % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(DIGITS[digit] + GROUP_UNITS[position])
    return "".join(out)


def _integer(n: int) -> str:
    """A positive integer: 万 groups of four digits, 亿 above them (recursively: 壹万亿)."""
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        text = _integer(high) + "亿"
        if low:
            text += ("零" if low < 10**7 else "") + _integer(low)
        return text
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        text = _group(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + _group(low)
        return text
    return _group(n)


def amount_in_chinese_capitals(amount: Decimal | int | str) -> str:
    """人民币大写 of ``amount``: 零元整, 壹佰零柒元整, 壹仟肆佰捌拾捌元叁角玖分, 伍角, 壹拾元零壹分."""
    if isinstance(amount, float):
        raise TypeError("Use Decimal for money, not float.")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"Not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"Not an amount: {amount!r}")
    value = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("Negative amounts have no capital form.")

    cents = int(value * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)

    if yuan == 0 and rest == 0:
        return "零元整"
    text = _integer(yuan) + "元" if yuan else ""
    if rest == 0:
        return text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"  # 壹拾元零壹分
    if fen:
        text += DIGITS[fen] + "分"
    return text
