"""Chinese everywhere, English complete: every console and portal page, in both languages.

The console pages come from the console walk's URL discovery
(``tests/backoffice/console_walk.console_urls``): every changelist, add page, list action,
and for one in-scope object of each model its change, history, historical-version and
custom action pages, as each staff role. The portal pages come from the tenancy walk's
discovery (``tests/partners/test_tenancy.portal_patterns``): every GET page without
parameters and every id-taking page for the company's own object, as a distributor's
管理员, a distributor's member, a reseller's 管理员 and an anonymous visitor.

* zh-hans: no English msgid of our catalogue (``translation_check.catalogue``) shows as a
  visible text node; a page added tomorrow whose strings are not translated fails here.
* en: no Chinese shows, except user content (the database's text) and
  ``translation_check.ALLOWED_CJK``.

The failure lists each offending string with the URLs that show it.
"""

import contextlib
from collections import defaultdict

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse

from partners.staff_roles import StaffRole
from tests.backoffice.console_walk import build_world, console_urls, object_view
from tests.backoffice.translation_check import (
    chinese_left,
    document_terms,
    english_left,
    user_content,
    visible_texts,
)
from tests.partners.test_tenancy import (
    ID_URLS,
    POST_ONLY_URLS,
    portal_patterns,
    url_value,
)
from tests.partners.test_tenancy import world as tenancy_world  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_cache_sessions")]

LANGUAGES = ("zh-hans", "en")
ROLES = (StaffRole.SUPERADMIN, StaffRole.OPERATIONS, StaffRole.SALES, StaffRole.FINANCE)
# Object views that answer a file, a redirect or a confirmation of a destructive step.
SKIPPED_OBJECT_VIEWS = {"file", "redirect", "delete"}


@pytest.fixture
def _cache_sessions():
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        yield


class Findings:
    def __init__(self, language: str, content: str):
        self.language = language
        self.content = content
        self.allowed = document_terms() if language == "en" else set()
        self.where: dict[str, set[str]] = defaultdict(set)
        self.pages = 0

    def check(self, who: str, path: str, response) -> None:
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        self.pages += 1
        html = response.content.decode()
        english = self.language == "en"
        strings = (
            chinese_left(html, self.content, self.allowed)
            if english
            else english_left(html, self.content)
        )
        for string in strings:
            self.where[string].add(f"{who} {path}")

    def report(self) -> str:
        what = "untranslated English" if self.language != "en" else "Chinese"
        lines = [f"{len(self.where)} {what} string(s) on {self.language} pages:"]
        for string in sorted(self.where):
            urls = sorted(self.where[string])
            more = f" (+{len(urls) - 3} more)" if len(urls) > 3 else ""
            lines.append(f"  {string!r}: {', '.join(urls[:3])}{more}")
        return "\n".join(lines)


def _client(user, language: str) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _in_scope_object(model_admin, request, url):
    queryset = model_admin.get_queryset(request).order_by("pk")
    for obj in queryset[:5]:
        values = {}
        if url.params:
            from tests.backoffice.console_walk import EXTRA_PARAMETERS

            for name in url.params:
                values[name] = EXTRA_PARAMETERS[name](obj)
            if None in values.values():
                continue
        if object_view(url) == "history_form":
            history = getattr(type(obj), "history", None)
            record = obj.history.order_by("-history_id").first() if history else None
            if record is None:
                continue
            values["history_id"] = record.history_id
        return obj, values
    return None, None


def _console_pages(findings: Findings, role, user, language: str) -> None:
    client = _client(user, language)
    request = RequestFactory().get("/admin/")
    request.user = user
    for path in ("/admin/", "/admin/password_change/"):
        findings.check(role, path, client.get(path))
    for url in console_urls():
        if url.kind in ("model", "list_action"):
            if not url.model_admin.has_view_or_change_permission(request):
                continue
            path = url.path_for()
            findings.check(role, path, client.get(path))
        elif url.kind == "object":
            if object_view(url) in SKIPPED_OBJECT_VIEWS:
                continue
            if not url.model_admin.has_view_or_change_permission(request):
                continue
            obj, values = _in_scope_object(url.model_admin, request, url)
            if obj is None:
                continue
            path = url.path_for(obj, **values)
            findings.check(role, path, client.get(path))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_console_page_speaks_the_language(language):
    world = build_world()
    findings = Findings(language, user_content())
    for role in ROLES:
        _console_pages(findings, role, world.users[role], language)
    assert findings.pages > 200, findings.pages
    assert not findings.where, findings.report()


def _portal_paths(world) -> list[str]:
    paths = []
    own = world.own
    for name, converters in portal_patterns().items():
        if name in POST_ONLY_URLS or "logout" in name:
            continue
        if not converters:
            with contextlib.suppress(NoReverseMatch):
                paths.append(reverse(f"portal:{name}"))
        elif name in ID_URLS:
            kwargs = {param: url_value(own[kind]) for param, kind in ID_URLS[name].items()}
            paths.append(reverse(f"portal:{name}", kwargs=kwargs))
    return sorted(set(paths))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_portal_page_speaks_the_language(language, tenancy_world):  # noqa: F811
    world = tenancy_world
    findings = Findings(language, user_content())
    paths = _portal_paths(world)
    people = {
        "distributor-admin": world.a_admin,
        "distributor-member": world.a_co,
        "reseller-admin": world.a_sub_admin,
        "anonymous": None,
    }
    for who, user in people.items():
        client = _client(user, language)
        for path in paths:
            findings.check(who, path, client.get(path))
    assert findings.pages > 50, findings.pages
    assert not findings.where, findings.report()


# --- the pieces the walk relies on ---------------------------------------------------------


def test_every_schedule_has_a_chinese_title_in_the_console(staff_client):
    from django_q.models import Schedule

    from backoffice.schedules import SCHEDULE_TITLES, SCHEDULES, schedules_sync

    assert {spec.name for spec in SCHEDULES} <= set(SCHEDULE_TITLES)
    schedules_sync()
    staff_client.cookies["django_language"] = "zh-hans"
    html = staff_client.get("/admin/django_q/schedule/").content.decode()
    assert "生成月度分账单" in html
    assert "取消超时未付订单" in html
    assert Schedule.objects.count() == len(SCHEDULES)
    texts = visible_texts(html)
    assert "billing.monthly_statements" not in texts  # the dotted name is not the label
    assert "名称" not in texts and "姓名" not in texts  # the column reads 定时任务


def test_name_and_comment_read_right_where_they_mean_different_things():
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    with translation.override("zh-hans"):
        assert gettext("Name") == "名称"  # a schedule's, a group's, an API key's name
        assert pgettext("person", "Name") == "姓名"  # a user's or a customer's name
        assert gettext("Comment") != "评价内容"
        assert pgettext("review", "Comment") == "评价内容"
