"""The console's changelist rows, built in one Python pass, are unfold's rows.

``backoffice/admin/results.py`` replaces unfold's per-cell templates and per-row URL
reverse; the lists must look exactly as before. Each list here is requested through the
console (one-pass rows), then its result table is rendered again by unfold's own
``{% unfold_result_list %}`` from the same changelist, and the two must be the same HTML
(whitespace aside). The lists cover a link column with preserved filters, status badges,
dates, money, boolean icons, several link columns, editable columns with hidden fields, row
actions and the pop-up picker.
"""

import re
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.template import RequestContext, Template

from backoffice.admin.results import one_pass_supported

pytestmark = pytest.mark.django_db

LISTS = (
    # (path under /admin/, query): each has rows in the demo data
    ("billing/order/", "?o=-9.0&currency__exact=CNY"),
    ("billing/order/", ""),
    ("billing/payment/", ""),  # a review queue: row actions 确认 / 拒绝
    ("contracts/contracttemplate/", "?o=1"),  # a row action, boolean icons
    ("catalog/category/", ""),  # an editable column: hidden id fields, widgets
    ("catalog/solution/", "?o=2"),  # two link columns, a boolean column
    ("billing/creditaccount/", ""),  # a computed boolean column
    ("partners/user/", "?_popup=1&_to_field=id"),  # the pop-up picker's links
)

UNFOLD = Template("{% load unfold_list %}{% unfold_result_list cl %}")


def _result_part(html: str) -> str:
    """The hidden fields and the result table, whitespace-normalised."""
    hidden = re.search(r'<div class="hiddenfields">.*?</div>', html, re.S)
    table = re.search(r'<table id="result_list".*?</table>', html, re.S)
    assert table, "no result table"
    part = (hidden.group(0) if hidden else "") + table.group(0)
    part = re.sub(r"\s+", " ", part)
    return re.sub(r"\s*<", "<", re.sub(r"\s*>\s*", ">", part))


@pytest.fixture
def demo(db):
    call_command("loaddemo", verbosity=0)


def test_one_pass_rows_are_unfolds_rows(demo, staff_client):
    for path, query in LISTS:
        response = staff_client.get(f"/admin/{path}{query}")
        assert response.status_code == 200, path
        used = [t.name for t in response.templates]
        assert "admin/backoffice/change_list_results.html" in used, path
        assert "admin/change_list_results.html" not in used, path

        ours = _result_part(response.content.decode())
        assert '<tr class="data-row relative">' in ours, path
        context = RequestContext(response.wsgi_request, response.context_data)
        unfolds = _result_part(UNFOLD.render(context))
        assert ours == unfolds, f"{path}{query}: the one-pass rows differ from unfold's"


def test_a_list_with_unfold_only_features_keeps_unfolds_rendering():
    def changelist(**admin):
        return SimpleNamespace(model_admin=SimpleNamespace(**admin))

    assert one_pass_supported(changelist(list_sections=()))
    assert not one_pass_supported(changelist(list_sections=["a section"]))
    assert not one_pass_supported(changelist(ordering_field="position", list_sections=()))
