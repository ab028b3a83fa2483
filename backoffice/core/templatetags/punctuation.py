"""``{% colon %}`` after a translated label: "订单编号：123" in Chinese, "Order number: 123" in English.

Chinese text takes the full-width colon with no space after it (README, Glossary), so a
template must not hard-code ``:`` (half-width in Chinese) or ``：`` (wrong in English).
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()


def is_chinese() -> bool:
    return (get_language() or "").startswith("zh")


@register.simple_tag
def colon() -> str:
    return "：" if is_chinese() else ": "


@register.simple_tag
def bracketed(value) -> str:
    """``{% bracketed capitals %}``: "（壹佰元整）" in Chinese, " (…)" in English; escaped."""
    return format_html("（{}）" if is_chinese() else " ({})", value)
