"""Changelist rows in one Python pass: unfold's markup without a template per cell.

unfold renders a changelist's rows through its ``change_list_results.html``: a loop of
``<tbody>`` per row, an include of the row actions template per row, and for each link cell a
URL reverse and a preserved-filters merge (which resolves the URL again). On a page of 100
orders that is most of the response time. Here each row is built as one safe string with the
SAME markup and classes:

* every column is resolved once per page (model field, ModelAdmin method, callable) instead of
  ``lookup_field``'s field lookup (and its exception) per cell;
* the change URL, with the preserved filters, is built once per page around a placeholder id,
  and each row's quoted id is put in its place; likewise the row actions cell is rendered once
  per page;
* boolean icons are rendered once per state and language.

A row whose id cannot be put in the URL as it is (characters that ``reverse`` would quote)
falls back to unfold's per-row path, and a list that uses unfold's sortable rows
(``ordering_field``) or expandable sections (``list_sections``) is rendered by unfold itself
(``one_pass_supported``). ``tests/backoffice/test_changelist_results.py`` renders lists both
ways and compares them.
"""

import datetime
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.contrib.admin.templatetags.admin_list import _coerce_field_name, result_hidden_fields
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    lookup_field,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from unfold.templatetags.unfold_list import (
    LINK_CLASSES,
    TABLE_ACTION_CELL_CLASSES,
    TABLE_CELL_CLASSES,
    result_headers,
)
from unfold.utils import (
    display_for_dropdown,
    display_for_field,
    display_for_header,
    display_for_label,
    display_for_value,
)

# A number that stands for the row's id in a URL or HTML rendered once per page: digits pass
# through ``reverse``, ``urlencode`` and ``escape`` unchanged.
PK_MARK = 918273645546372819
_MARK = str(PK_MARK)
# What ``reverse`` leaves as it is in a path segment (and ``escape`` too): an id made only of
# these goes into the URL without quoting.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]+\Z")

_ROW_CLASSES = ("", "bg-base-50 dark:bg-white/[.02]")  # unfold's {% cycle %} of <tbody>


def one_pass_supported(cl: ChangeList) -> bool:
    """Whether this module renders the list (else unfold's own tag does)."""
    admin = cl.model_admin
    return not getattr(admin, "ordering_field", None) and not getattr(admin, "list_sections", ())


@lru_cache(maxsize=16)
def _boolean_icons(language: str | None) -> tuple[str, str, str]:
    """unfold's boolean icon (``unfold/helpers/boolean.html``): unknown, true, false."""
    return tuple(
        render_to_string("unfold/helpers/boolean.html", {"value": value})
        for value in (None, True, False)
    )


def _boolean_icon(value: Any) -> str:
    unknown, true, false = _boolean_icons(get_language())
    if value == "" or value is None:
        return unknown
    return true if value else false


# --------------------------------------------------------------------------
# Columns: resolved once per page
# --------------------------------------------------------------------------


class _Column:
    """One ``list_display`` entry: how to read its value and what its cell looks like.

    ``read(obj)`` returns ``lookup_field``'s ``(field, attr, value)`` for the row.
    """

    def __init__(self, cl: ChangeList, index: int, name) -> None:
        admin = cl.model_admin
        self.name = name
        self.index = index
        self.classes = [f"field-{_coerce_field_name(name, index)}", *TABLE_CELL_CLASSES]
        self.class_attr = f' class="{" ".join(self.classes)}"'
        self.is_link = False
        self.read = self._reader(cl.model._meta, admin, name)
        self.choices = self._choices(cl.model._meta, name)

    @staticmethod
    def _choices(opts, name) -> dict | None:
        """A field with choices: its value -> label map (``display_for_field``'s first case)."""
        try:
            field = _get_non_gfk_field(opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            return None
        if not getattr(field, "flatchoices", None):
            return None
        try:
            return dict(field.flatchoices)
        except TypeError:  # list-like choices: display_for_field's own path
            return None

    @staticmethod
    def _reader(opts, admin, name) -> Callable:
        try:
            field = _get_non_gfk_field(opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if callable(name):
                return lambda obj: (None, name, name(obj))
            if hasattr(admin, name) and name != "__str__":
                attr = getattr(admin, name)
                return lambda obj: (None, attr, attr(obj))
            # A model attribute, property or related path: lookup_field's own rules.
            return lambda obj: lookup_field(name, obj, admin)
        return lambda obj: (field, None, getattr(obj, name))


class OnePassRows:
    """The rows of one changelist page as safe HTML strings, unfold's markup."""

    def __init__(self, cl: ChangeList, actions_row) -> None:
        self.cl = cl
        self.admin = cl.model_admin
        self.empty_value_display = self.admin.get_empty_value_display()
        self.pk_attname = cl.lookup_opts.pk.attname
        self.columns = [_Column(cl, index, name) for index, name in enumerate(cl.list_display)]
        self._mark_links()
        self.change_url = self._change_url_template()
        self.actions_row = actions_row
        self.actions_cell = self._actions_cell(PK_MARK) if actions_row else ""

    def _mark_links(self) -> None:
        """unfold's ``link_in_col``: the first column, or those of ``list_display_links``."""
        links = self.cl.list_display_links
        if links is None:
            return
        first = True
        for column in self.columns:
            if (first and not links) or column.name in links:
                column.is_link = True
                column.tag = "th" if first else "td"
                first = False

    def _change_url_template(self) -> str | None:
        """The escaped change URL with the preserved filters, ``PK_MARK`` for the id; None
        when it cannot be built that way (then each row builds its own)."""
        cl = self.cl
        opts = cl.opts
        try:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=(PK_MARK,),
                current_app=self.admin.admin_site.name,
            )
        except NoReverseMatch:
            return None
        url = str(escape(self._preserve(url)))
        return url if url.count(_MARK) == 1 else None

    def _preserve(self, url: str) -> str:
        return add_preserved_filters(
            {"preserved_filters": self.cl.preserved_filters, "opts": self.cl.opts}, url
        )

    def _actions_cell(self, pk) -> str:
        return render_to_string(
            "unfold/helpers/actions_row.html", {"actions": self.actions_row, "instance_pk": pk}
        )

    # --- one row ---

    def row(self, index: int, result: models.Model, form) -> SafeString:
        parts = [f'<tbody class="relative {_ROW_CLASSES[index % 2]}" x-data="{{rowOpen: false}}" >']
        cells = self.cells(result, form)
        if form is not None and form.non_field_errors():
            parts.append(
                format_html(
                    '<tr><td class="text-start" colspan="{}">{}</td></tr>',
                    len(cells),
                    form.non_field_errors(),
                )
            )
        parts.append('<tr class="data-row relative">')
        parts.extend(cells)
        if self.actions_row:
            pk = result.pk
            if type(pk) is int and pk >= 0:
                parts.append(self.actions_cell.replace(_MARK, str(pk)))
            else:
                parts.append(self._actions_cell(pk))
        parts.append("</tr></tbody>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped or unfold's HTML

    def cells(self, result: models.Model, form) -> list[str]:  # noqa: PLR0912
        """unfold's ``items_for_result`` for one row, column by column."""
        cl = self.cl
        cells = []
        for column in self.columns:
            empty_value_display = self.empty_value_display
            row_classes = column.classes
            try:
                field, attr, value = column.read(result)
            except ObjectDoesNotExist:
                result_repr = empty_value_display
            else:
                empty_value_display = getattr(attr, "empty_value_display", empty_value_display)
                if field is None or field.auto_created:
                    result_repr, row_classes = self._computed(
                        column, result, attr, value, empty_value_display
                    )
                else:
                    if isinstance(field.remote_field, models.ManyToOneRel):
                        field_val = getattr(result, field.name)
                        result_repr = empty_value_display if field_val is None else field_val
                    else:
                        result_repr = self._field_repr(column, field, value, empty_value_display)
                    if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
                        row_classes = [*row_classes, "nowrap"]

            if column.is_link:
                cells.append(self._link_cell(column, result, result_repr, row_classes))
                continue
            if (
                form
                and column.name in form.fields
                and not (
                    column.name == cl.model._meta.pk.name and form[cl.model._meta.pk.name].is_hidden
                )
            ):
                bound = form[column.name]
                result_repr = mark_safe(  # noqa: S308 - a widget and unfold's errors template
                    str(bound)
                    + render_to_string("unfold/helpers/form_errors.html", {"errors": bound.errors})
                )
                if bound.errors:
                    row_classes = [*row_classes, "group", "errors"]
            class_attr = (
                column.class_attr
                if row_classes is column.classes
                else f' class="{" ".join(row_classes)}"'
            )
            # format_html("<td{}>{}</td>", class_attr, result_repr), without its overhead
            cells.append(f"<td{class_attr}>{conditional_escape(result_repr)}</td>")
        if form and not form[cl.model._meta.pk.name].is_hidden:
            cells.append(format_html("<td>{}</td>", form[cl.model._meta.pk.name]))
        return cells

    @staticmethod
    def _field_repr(column, field, value, empty_value_display):
        """``display_for_field`` with the choices map and boolean icons of the page."""
        if column.choices is not None:
            try:
                return column.choices.get(value, empty_value_display)
            except TypeError:  # an unhashable value
                pass
        elif isinstance(field, models.BooleanField) and not getattr(field, "flatchoices", None):
            return _boolean_icon(value)
        return display_for_field(value, field, empty_value_display)

    def _computed(self, column, result, attr, value, empty_value_display):
        """A method, callable or auto-created field's cell: unfold's ``@display`` options."""
        row_classes = column.classes
        if column.name == "action_checkbox":
            row_classes = TABLE_ACTION_CELL_CLASSES
        formatting = getattr(attr, "formatting", None)
        if formatting == "price":
            row_classes = [*row_classes, "!text-end"]
        if label := getattr(attr, "label", False):
            result_repr = display_for_label(value, empty_value_display, label)
        elif getattr(attr, "dropdown", False):
            result_repr = display_for_dropdown(result, column.name, value, empty_value_display)
        elif getattr(attr, "header", False):
            result_repr = display_for_header(value, empty_value_display)
        elif getattr(attr, "boolean", False):
            result_repr = _boolean_icon(value)
        else:
            result_repr = display_for_value(value, empty_value_display)
        if isinstance(value, datetime.date | datetime.time):
            row_classes = [*row_classes, "nowrap"]
        return result_repr, row_classes

    def _link_cell(self, column, result, result_repr, row_classes) -> str:
        cl = self.cl
        url = self._url(result)
        if url is None:
            link_or_text = result_repr
        else:
            popup = ""
            if cl.is_popup:
                value = result.serializable_value(
                    str(cl.to_field) if cl.to_field else self.pk_attname
                )
                popup = format_html(' data-popup-opener="{}"', value)
            link_or_text = format_html(
                '<a href="{}" class="{}" {}>{}</a>', url, " ".join(LINK_CLASSES), popup, result_repr
            )
        tag = column.tag
        return format_html(
            "<{}{}>{}</{}>", tag, mark_safe(f' class="{" ".join(row_classes)}"'), link_or_text, tag
        )

    def _url(self, result) -> SafeString | None:
        """The row's change URL with the preserved filters (escaped), None if it has none."""
        quoted = quote(getattr(result, self.pk_attname))
        if self.change_url is not None and _PLAIN_ID.match(str(quoted)):
            return mark_safe(self.change_url.replace(_MARK, str(quoted)))  # noqa: S308
        try:
            url = self.cl.url_for_result(result)
        except NoReverseMatch:
            return None
        return escape(self._preserve(url))


def result_list(context: dict[str, Any], cl: ChangeList) -> dict[str, Any]:
    """unfold's ``result_list`` context, with the rows as HTML strings."""
    headers = list(result_headers(cl))
    rows = OnePassRows(cl, context.get("actions_row"))
    forms = cl.formset.forms if getattr(cl, "formset", None) else [None] * len(cl.result_list)
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": cl.result_list,
        "rows": [
            rows.row(index, result, form)
            for index, (result, form) in enumerate(zip(cl.result_list, forms, strict=False))
        ],
        "actions_row": context.get("actions_row"),
        "has_add_permission": cl.model_admin.has_add_permission(context["request"]),
    }
