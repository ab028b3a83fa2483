"""人民币大写： examples of spec 0.5 and the usual 零 rules, plus properties checked with a parser."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.capitals import amount_in_chinese_capitals

DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(text: str) -> Decimal:
    """An independent reader of the capital form, for round trips."""
    if text.endswith("整"):
        text = text[:-1]
    integer_part, _, cents_part = text.rpartition("元") if "元" in text else ("", "", text)
    total = section = number = 0
    for char in integer_part:
        if char in DIGITS:
            number = DIGITS[char]
        elif char in UNITS:
            section += number * UNITS[char]
            number = 0
        elif char == "万":
            section = (section + number) * 10**4
            number = 0
        elif char == "亿":
            total = (total + section + number) * 10**8
            section = number = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text!r}")
    yuan = total + section + number
    cents = 0
    number = 0
    for char in cents_part:
        if char in DIGITS:
            number = DIGITS[char]
        elif char == "角":
            cents += number * 10
            number = 0
        elif char == "分":
            cents += number
            number = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text!r}")
    return Decimal(yuan) + Decimal(cents) / 100


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("107", "壹佰零柒元整"),
        ("1488.39", "壹仟肆佰捌拾捌元叁角玖分"),
        ("100000.05", "壹拾万元零伍分"),
        ("10000000.00", "壹仟万元整"),
        ("1001", "壹仟零壹元整"),
        ("100100", "壹拾万零壹佰元整"),
        ("0.5", "伍角"),
        ("0.05", "伍分"),
        ("0.55", "伍角伍分"),
        ("10.01", "壹拾元零壹分"),
        ("10.10", "壹拾元壹角"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("110", "壹佰壹拾元整"),
        ("1010", "壹仟零壹拾元整"),
        ("10010", "壹万零壹拾元整"),
        ("10100", "壹万零壹佰元整"),
        ("11000", "壹万壹仟元整"),
        ("400", "肆佰元整"),
        ("27640.8", "贰万柒仟陆佰肆拾元捌角"),
        ("182400", "壹拾捌万贰仟肆佰元整"),
        ("1000001", "壹佰万零壹元整"),
        ("100000000", "壹亿元整"),
        ("100000005", "壹亿零伍元整"),
        ("100010000", "壹亿零壹万元整"),
        ("110000000", "壹亿壹仟万元整"),
        ("1000000000000", "壹万亿元整"),
        ("1000500000000", "壹万零伍亿元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_examples(amount, expected):
    assert amount_in_chinese_capitals(Decimal(amount)) == expected


def test_rounds_half_up_to_cents():
    assert amount_in_chinese_capitals(Decimal("0.005")) == "壹分"
    assert amount_in_chinese_capitals(Decimal("0.004")) == "零元整"
    assert amount_in_chinese_capitals(Decimal("106.995")) == "壹佰零柒元整"
    assert amount_in_chinese_capitals(Decimal("1.125")) == "壹元壹角叁分"


def test_accepts_int_and_str_but_not_float():
    assert amount_in_chinese_capitals(107) == "壹佰零柒元整"
    assert amount_in_chinese_capitals("107.00") == "壹佰零柒元整"
    with pytest.raises(TypeError):
        amount_in_chinese_capitals(107.0)


@pytest.mark.parametrize("bad", [Decimal("-0.01"), Decimal("-107"), "-1"])
def test_negative_amounts_are_refused(bad):
    with pytest.raises(ValueError):
        amount_in_chinese_capitals(bad)


@pytest.mark.parametrize("bad", ["abc", Decimal("NaN"), Decimal("Infinity"), ""])
def test_non_amounts_are_refused(bad):
    with pytest.raises(ValueError):
        amount_in_chinese_capitals(bad)


def test_a_rounded_negative_zero_is_zero():
    # -0.004 rounds to -0.00, which is zero, not a negative amount.
    assert amount_in_chinese_capitals(Decimal("-0.004")) == "零元整"


money = st.decimals(
    min_value=Decimal("0"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(money)
def test_round_trip(amount):
    assert parse_capitals(amount_in_chinese_capitals(amount)) == amount


@given(money)
def test_ends_with_zheng_iff_no_cents(amount):
    text = amount_in_chinese_capitals(amount)
    assert text.endswith("整") == (amount == amount.to_integral_value())


@given(money)
def test_zero_rules(amount):
    text = amount_in_chinese_capitals(amount)
    assert "零零" not in text
    assert not text.endswith("零")
    assert "零元" not in text or text == "零元整"
    assert "零万" not in text and "零亿" not in text and "零整" not in text
    if amount >= 1:
        assert "元" in text and not text.startswith("零")


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=4))
def test_quantizes_before_converting(amount):
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert amount_in_chinese_capitals(amount) == amount_in_chinese_capitals(rounded)
