"""Display columns shared by the console's lists: status badges and money cells.

Per-row rendering: the same HTML for every row is rendered once and reused (unfold
renders its templates again for every cell otherwise).
"""

from functools import lru_cache, wraps

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.admin import checkbox as unfold_checkbox
from unfold.decorators import display

from backoffice.core.money import format_money

_PK_MARK = "__backoffice_pk__"


@lru_cache(maxsize=16)
def _action_checkbox_html(language: str | None) -> str:
    """unfold's row checkbox, rendered once per language with a placeholder value."""
    return unfold_checkbox.render(ACTION_CHECKBOX_NAME, _PK_MARK)


@lru_cache(maxsize=512)
def _label_html(text: str, label_type: str | None) -> SafeString:
    """unfold's status badge for one text and colour (the template escapes the text)."""
    return mark_safe(  # noqa: S308 - rendered by unfold's autoescaping template
        render_to_string(
            "unfold/helpers/display_label.html",
            {"label": text, "label_type": label_type, "multiple": False},
        )
    )


def label_display(*, description, labels: dict, ordering: str | None = None):
    """unfold's ``@display(label=labels)`` for a method returning ``(value, text)``.

    unfold renders two templates for every badge of every row; a list only ever shows a
    handful of distinct badges, so each is rendered once per process and reused. The
    HTML is unfold's own (same template), keyed by the translated text and colour.
    """

    def decorator(method):
        @wraps(method)
        def badge(self, obj) -> SafeString:
            value, text = method(self, obj)
            return _label_html(str(text), labels.get(value))

        return display(description=description, ordering=ordering)(badge)

    return decorator


def status_column(labels: dict, description=None):
    """The ``status_label`` column: the row's ``status`` as a badge, ordered by status."""

    def status_label(self, obj):
        return obj.status, obj.get_status_display()

    return label_display(
        description=_("status") if description is None else description,
        labels=labels,
        ordering="status",
    )(status_label)


def money_column(
    field: str,
    description,
    *,
    ordering: str | None = None,
    currency_of: str | None = None,
    signed: bool = False,
):
    """A display column: the row's ``field`` as money in the row's currency, or in the
    currency of its related ``currency_of`` (a bill's ``account``)."""

    def money(self, obj) -> str:
        holder = obj if currency_of is None else getattr(obj, currency_of)
        return format_money(getattr(obj, field), holder.currency, signed=signed)

    return display(description=description, ordering=ordering)(money)
