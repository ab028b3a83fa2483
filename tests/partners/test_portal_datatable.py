"""The portal's list-table frame, {% datatable %} (backoffice/portal/templatetags/portal_tables.py)."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

TABLE = (
    "{% load portal_tables %}{% datatable NAME rows=items OPTIONS %}"
    '<th scope="col">Name</th>{% rows %}<tr data-row="{{ row.pk }}"><td>{{ row.name }}</td></tr>'
    "EMPTY{% enddatatable %}"
)


def render(items, name='"people"', options="colspan=1", empty=""):
    source = TABLE.replace("NAME", name).replace("OPTIONS", options).replace("EMPTY", empty)
    with translation.override("en"):
        return " ".join(Template(source).render(Context({"items": items})).split())


def test_frame_header_and_one_row_per_item_bound_to_row():
    html = render(
        [{"pk": 1, "name": "<Ann>"}, {"pk": 2, "name": "Bo"}], options='colspan=1 class="x-table"'
    )
    assert (
        '<div class="table-scroll"> <table class="data-table x-table" data-table="people">' in html
    )
    assert '<thead> <tr> <th scope="col">Name</th> </tr> </thead>' in html
    assert '<tr data-row="1"><td>&lt;Ann&gt;</td></tr> <tr data-row="2"><td>Bo</td></tr>' in html
    assert "empty" not in html


def test_empty_row_spans_the_columns_with_the_default_or_the_page_message():
    assert '<tr><td colspan="1" class="empty">No data.</td></tr>' in render([])
    assert '<td colspan="1" class="empty">Nobody yet.</td>' in render(
        [], empty="{% empty %} Nobody yet. "
    )


def test_without_name_or_colspan_no_data_table_attribute_and_no_empty_row():
    html = render([], name="", options="")
    assert '<table class="data-table">' in html
    assert "<tbody> </tbody>" in html


def test_rows_is_required():
    with pytest.raises(TemplateSyntaxError):
        Template(
            '{% load portal_tables %}{% datatable "x" colspan=1 %}{% rows %}{% enddatatable %}'
        )
