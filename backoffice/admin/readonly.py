"""Read-only fields of change pages: amounts with their currency sign and separators.

unfold renders a read-only model field through ``UnfoldAdminReadonlyField``, which prints a
DecimalField as a bare number ("2680.00"). Lists already show money through
``format_money``; so do change pages now: a money column (``money_field``'s shape) of a
record whose currency is known (its own ``currency``, else its order's, account's,
wallet's...) reads "¥2,680.00". Choice fields already show their label
(``get_FOO_display``); codes copied from the catalog carry its choices for that.

unfold builds these fields in ``unfold.forms.Fieldline``, which looks the class up in
its module, so ``install()`` (called once from the app config) puts the subclass there.
It keeps every other behaviour of unfold's field.
"""

from django.db import models
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from unfold import forms as unfold_forms
from unfold.fields import UnfoldAdminReadonlyField

from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES, format_money

# Where a record without a currency of its own finds one: the parent it belongs to.
CURRENCY_PARENTS = ("order", "account", "wallet", "statement", "receipt", "line", "campaign")


def is_money_field(field) -> bool:
    return (
        isinstance(field, models.DecimalField)
        and field.max_digits == MONEY_DIGITS
        and field.decimal_places == MONEY_PLACES
    )


def record_currency(obj, *, parents: bool = True) -> str:
    """The currency of ``obj``'s amounts, or "" when it has none (a percentage, say)."""
    currency = getattr(obj, "currency", "")
    if isinstance(currency, str) and currency:
        return currency
    if parents and hasattr(obj, "_meta"):
        names = {field.name for field in obj._meta.concrete_fields if field.many_to_one}
        for name in CURRENCY_PARENTS:
            if name in names:
                parent = getattr(obj, name, None)
                if parent is not None:
                    currency = record_currency(parent, parents=False)
                    if currency:
                        return currency
    return ""


class ConsoleReadonlyField(UnfoldAdminReadonlyField):
    def _get_contents(self) -> SafeString:
        resolved = self.resolved_field
        if resolved and not isinstance(resolved, bool):
            field, _attr, value = resolved
            if value is not None and is_money_field(field):
                currency = record_currency(self.form.instance)
                if currency:
                    return conditional_escape(format_money(value, currency))
        return super()._get_contents()


def install() -> None:
    unfold_forms.UnfoldAdminReadonlyField = ConsoleReadonlyField
