"""Small faults of the console and the portal: one sidebar casing, a labelled search box,
one date format (2026-12-03 14:52) that does not wrap."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from backoffice.admin.navigation import PROPER_NOUNS, sentence_case, sidebar_navigation

MOMENT = datetime(2026, 12, 3, 14, 52, 7, tzinfo=ZoneInfo("Asia/Shanghai"))


def _is_sentence_case(title: str) -> bool:
    first, *rest = title.split(" ")
    if not first[:1].isupper():
        return False
    for word in rest:
        acronym = sum(char.isupper() for char in word) >= 2
        if word != word.lower() and not acronym and word not in PROPER_NOUNS:
            return False
    return True


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("access attempts", "Access attempts"),
        ("Access Attempts", "Access attempts"),
        ("Scheduled tasks", "Scheduled tasks"),
        ("API keys", "API keys"),
        ("revenue-share statements", "Revenue-share statements"),
        ("SKUs", "SKUs"),
        ("Django Q Tasks", "Django Q tasks"),
        ("订单", "订单"),
    ],
)
def test_sentence_case(title, expected):
    assert sentence_case(title) == expected


@pytest.mark.django_db
def test_the_english_sidebar_uses_sentence_case_everywhere(staff_client):
    request = staff_client.get("/admin/").wsgi_request
    with translation.override("en"):
        navigation = sidebar_navigation(request)
        titles = [str(group["title"]) for group in navigation] + [
            str(item["title"]) for group in navigation for item in group["items"]
        ]
    assert len(titles) > 30  # every model the superuser may see
    wrong = [title for title in titles if not _is_sentence_case(title)]
    assert wrong == []
    assert "Access attempts" in titles  # axes' own name is "access attempts"
    assert "Scheduled tasks" in titles  # django-q2's is capitalised


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "name"), [("zh-hans", "搜索"), ("en", "Search")])
def test_the_changelist_search_box_has_a_label(staff_client, language, name):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = staff_client.get(reverse("admin:billing_order_changelist")).content.decode()
    assert f'<label for="searchbar" class="sr-only">{name}</label>' in html
    assert re.search(r'<input type="text"[^>]*id="searchbar"', html, re.S)
    assert f'id="searchbar-submit" aria-label="{name}"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_one_date_format_in_both_languages(language):
    with translation.override(language):
        assert formats.date_format(MOMENT, "DATETIME_FORMAT") == "2026-12-03 14:52"
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "2026-12-03 14:52"
        assert formats.date_format(MOMENT.date(), "DATE_FORMAT") == "2026-12-03"
        rendered = Template('{{ moment|date:"DATETIME_FORMAT" }}|{{ moment }}').render(
            Context({"moment": MOMENT})
        )
    assert rendered == "2026-12-03 14:52|2026-12-03 14:52"


def test_portal_templates_use_the_shared_format():
    """No template spells its own date-time format (seconds, or a copy of the shared one)."""
    root = Path(settings.BASE_DIR) / "backoffice"
    own = [
        f"{path.relative_to(root)}: {match}"
        for path in root.rglob("*.html")
        for match in re.findall(r'\|date:"Y-m-d H:i(?::s)?"', path.read_text())
    ]
    assert own == []


@pytest.mark.django_db
def test_the_order_list_shows_dates_in_the_shared_format_without_wrapping(staff_client):
    from tests.billing.order_helpers import Shop, paid_order

    order = paid_order(Shop())
    with translation.override("zh-hans"):
        html = staff_client.get(reverse("admin:billing_order_changelist")).content.decode()
    local = order.created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")
    cell = re.search(r'<td class="field-created_at[^"]*"[^>]*>(.*?)</td>', html, re.S)
    assert cell and cell.group(1).strip() == local
    css = (Path(settings.BASE_DIR) / "backoffice/static/console/console.css").read_text()
    assert re.search(r"\.field-created_at[^{]*\{[^}]*white-space:\s*nowrap", css, re.S)
