"""The console role walk: every console URL, as every staff role, in and out of scope.

The URL list comes from the resolver (``console_walk.console_urls``), so a view added
tomorrow is walked tomorrow, and a URL the walk cannot classify fails the first test. For
each role (超级管理员, 运营, 销售, 财务) and every console URL:

* an object out of the role's scope (another owner's company data for 销售) or of a model
  the role may not open answers 404 (403 or a redirect for a model the role may not open),
  and the answer shows nothing of the object;
* a POST the role may not make (out of scope, no permission, or a read-only view:
  history, a historical version, a file, an export) writes no row of the database, with
  the very form a superuser would have posted;
* a GET writes nothing, and nothing answers 500;
* positive control: the change and history pages of an in-scope object of a model the
  role may view answer 200, so a console that refuses everything fails too;
* no page a role can open links to an out-of-scope object, and neither autocomplete
  answers nor the choice lists of forms offer one.

Each POST runs in a savepoint that is rolled back, so allowed writes do not change the
world for the next request.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import transaction
from django.test import Client, RequestFactory, override_settings

from partners.staff_roles import StaffRole
from tests.backoffice.console_walk import (
    EXTRA_PARAMETERS,
    ConsoleUrl,
    build_world,
    console_urls,
    db_writes,
    main_post_form,
    may_write,
    object_view,
    parse_page,
)

pytestmark = [
    pytest.mark.django_db,
    # Sessions in the cache: a request's session save is not a database write.
    pytest.mark.usefixtures("_cache_sessions"),
]

ROLES = (StaffRole.SUPERADMIN, StaffRole.OPERATIONS, StaffRole.SALES, StaffRole.FINANCE)


@pytest.fixture
def _cache_sessions():
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        yield


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _markers(obj) -> list[str]:
    """Text that would show the object: its name as the console prints it."""
    text = str(obj)
    if len(text) < 4 or (text.isdigit() and len(text) < 8) or " object (" in text:
        return []
    return [text]


@dataclass
class Walk:
    role: str
    violations: list[str] = field(default_factory=list)
    requests: int = 0
    writes_checked: int = 0

    def fail(self, message: str) -> None:
        self.violations.append(f"[{self.role}] {message}")


def _change_link(obj) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{quote(str(obj.pk))}/change/"


class Walker:
    def __init__(self, role, world):
        self.role = role
        self.world = world
        self.user = world.users[role]
        self.client = _client(self.user)
        self.root = _client(world.root)
        self.request = _request(self.user)
        self.root_request = _request(world.root)
        self.walk = Walk(role)
        self._targets = {}
        # Change links of the objects of a model this role may open but that lie outside
        # its scope (another owner's companies, orders...). Objects of models the role may
        # not open at all are named on pages it can see (an order's placing user, a
        # company's tier) and their pages answer 403: a link to them shows nothing new.
        self.out_links: set[str] = set()
        for model_admin in admin.site._registry.values():
            if self.scoped(model_admin):
                _inside, outside = self.targets(model_admin)
                self.out_links.update(_change_link(obj) for obj in outside)

    # --- what to walk ---

    def scoped(self, model_admin) -> bool:
        """The role may open this model but sees only part of its rows."""
        return model_admin.has_view_or_change_permission(self.request) and bool(
            self.targets(model_admin)[1]
        )

    def targets(self, model_admin):
        """(in-scope objects, out-of-scope objects) of a model for this role."""
        key = model_admin.model
        if key not in self._targets:
            every = model_admin.get_queryset(self.root_request).order_by("pk")
            if model_admin.has_view_or_change_permission(self.request):
                mine = model_admin.get_queryset(self.request).order_by("pk")
                inside = list(mine[:30])
                outside = list(every.exclude(pk__in=mine.values("pk"))[:30])
            else:
                inside, outside = [], list(every[:30])
            self._targets[key] = (inside, outside)
        return self._targets[key]

    def _values(self, url: ConsoleUrl, obj) -> dict | None:
        values = {}
        for name in url.params:
            value = EXTRA_PARAMETERS[name](obj)
            if value is None:
                return None
            values[name] = value
        if object_view(url) == "history_form":
            history = getattr(type(obj), "history", None)
            record = obj.history.order_by("-history_id").first() if history else None
            if record is None:
                return None
            values["history_id"] = record.history_id
        return values

    def _pick(self, url: ConsoleUrl, objects):
        for obj in objects:
            values = self._values(url, obj)
            if values is not None:
                return obj, values
        return None, None

    # --- requests ---

    def get(self, path: str, **params):
        before = db_writes()
        response = self.client.get(path, params)
        self.walk.requests += 1
        if db_writes() != before:
            self.walk.fail(f"GET {path} wrote to the database")
        if response.status_code >= 500:
            self.walk.fail(f"GET {path} answered {response.status_code}")
        return response

    def post(self, path: str, data: dict, *, may_write_rows: bool):
        with transaction.atomic():
            before = db_writes()
            response = self.client.post(path, data)
            written = db_writes() - before
            transaction.set_rollback(True)
        self.walk.requests += 1
        if response.status_code >= 500:
            self.walk.fail(f"POST {path} answered {response.status_code}")
        if not may_write_rows:
            self.walk.writes_checked += 1
            if written:
                self.walk.fail(f"POST {path} wrote {written} row(s) without the right to")
        return response

    def root_form(self, path: str) -> dict:
        response = self.root.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return {}
        return main_post_form(response.content.decode())

    # --- checks ---

    def no_out_links(self, path: str, response) -> None:
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        body = response.content.decode()
        for link in self.out_links:
            if link in body:
                self.walk.fail(f"GET {path} links to out-of-scope {link}")

    def shows_nothing(self, method: str, path: str, response, obj) -> None:
        location = response.get("Location", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        for marker in _markers(obj):
            if marker in text or marker in location:
                self.walk.fail(f"{method} {path} ({response.status_code}) shows {marker!r}")

    def refused(self, method, path, response, obj, *, may_view_model: bool) -> None:
        allowed = (302, 404) if may_view_model else (302, 403, 404)
        if response.status_code not in allowed:
            self.walk.fail(
                f"{method} {path} answered {response.status_code} for an object out of scope"
                f" (expected one of {allowed})"
            )
        self.shows_nothing(method, path, response, obj)

    # --- the walk ---

    def object_url(self, url: ConsoleUrl) -> None:
        model_admin = url.model_admin
        may_view = model_admin.has_view_or_change_permission(self.request)
        inside, outside = self.targets(model_admin)
        view = object_view(url)
        for scope, objects in (("in", inside), ("out", outside)):
            obj, values = self._pick(url, objects)
            if obj is None:
                continue
            path = url.path_for(obj, **values)
            response = self.get(path)
            if scope == "out":
                self.refused("GET", path, response, obj, may_view_model=may_view)
            else:
                if view in ("change", "history") and response.status_code != 200:
                    self.walk.fail(f"GET {path} answered {response.status_code} in scope")
                self.no_out_links(path, response)
                self.choice_lists(path, response, model_admin)
            data = self.root_form(path)
            writable = scope == "in" and may_write(self.role, self.request, url, obj)
            response = self.post(path, data, may_write_rows=writable)
            if scope == "out":
                self.refused("POST", path, response, obj, may_view_model=may_view)

    def model_url(self, url: ConsoleUrl) -> None:
        path = url.path_for()
        model_admin = url.model_admin
        response = self.get(path)
        may_view = model_admin.has_view_or_change_permission(self.request)
        name = url.name or ""
        if name.endswith("_changelist") and may_view and response.status_code != 200:
            self.walk.fail(f"GET {path} answered {response.status_code} for a viewable model")
        self.no_out_links(path, response)
        if name.endswith("_add"):
            self.choice_lists(path, response, model_admin)
        writable = may_write(self.role, self.request, url, None)
        self.post(path, self.root_form(path), may_write_rows=writable)
        if name.endswith("_changelist"):
            self.bulk_actions(path, model_admin)

    def bulk_actions(self, path: str, model_admin) -> None:
        """Every bulk action of the changelist, on out-of-scope rows: nothing changes."""
        _inside, outside = self.targets(model_admin)
        if not outside:
            return
        for name in model_admin.get_actions(self.root_request):
            self.post(
                path,
                {
                    "action": name,
                    "_selected_action": [str(obj.pk) for obj in outside[:3]],
                    "index": "0",
                    "post": "yes",
                },
                may_write_rows=False,
            )

    def choice_lists(self, path: str, response, model_admin) -> None:
        """No <select> of the page offers an object out of this role's scope."""
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return
        selects = parse_page(response.content.decode()).selects
        for db_field in model_admin.model._meta.get_fields():
            related = getattr(db_field, "related_model", None)
            if related is None or not (db_field.many_to_one or db_field.many_to_many):
                continue
            related_admin = admin.site._registry.get(related)
            if related_admin is None or not self.scoped(related_admin):
                continue
            _inside, outside = self.targets(related_admin)
            offered = set(selects.get(db_field.name, ()))
            for obj in outside:
                if str(obj.pk) in offered:
                    self.walk.fail(
                        f"GET {path}: the {db_field.name} choices offer out-of-scope {obj!r}"
                    )

    def autocomplete(self, url: ConsoleUrl) -> None:
        """Every autocomplete field and filter of the console answers in-scope rows only."""
        path = url.path_for()
        for model, model_admin in admin.site._registry.items():
            fields = set(model_admin.get_autocomplete_fields(self.root_request))
            for entry in model_admin.list_filter:
                if isinstance(entry, tuple) and "Autocomplete" in entry[1].__name__:
                    fields.add(entry[0])
            for field_name in fields:
                if "__" in field_name:
                    continue
                remote = model._meta.get_field(field_name).related_model
                remote_admin = admin.site._registry.get(remote)
                if remote_admin is None:
                    continue
                _inside, outside = self.targets(remote_admin)
                response = self.get(
                    path,
                    app_label=model._meta.app_label,
                    model_name=model._meta.model_name,
                    field_name=field_name,
                    term="",
                )
                if response.status_code != 200:
                    continue
                ids = {str(item["id"]) for item in response.json()["results"]}
                leaked = [obj for obj in outside if str(obj.pk) in ids]
                if leaked:
                    self.walk.fail(f"autocomplete {model._meta.label}.{field_name} offers {leaked}")

    def view_on_site(self, url: ConsoleUrl) -> None:
        from django.contrib.contenttypes.models import ContentType

        for model, model_admin in admin.site._registry.items():
            if not hasattr(model, "get_absolute_url") and not callable(model_admin.view_on_site):
                continue
            content_type = ContentType.objects.get_for_model(model)
            may_view = model_admin.has_view_or_change_permission(self.request)
            inside, outside = self.targets(model_admin)
            for obj in outside[:1]:
                path = f"/admin/r/{content_type.pk}/{quote(str(obj.pk))}/"
                self.refused("GET", path, self.get(path), obj, may_view_model=may_view)
            for obj in inside[:1]:
                self.get(f"/admin/r/{content_type.pk}/{quote(str(obj.pk))}/")

    def site_url(self, url: ConsoleUrl) -> None:
        if url.kind == "autocomplete":
            self.autocomplete(url)
        elif url.kind == "view_on_site":
            self.view_on_site(url)
        elif url.kind == "app_list":
            for app_label in {m._meta.app_label for m in admin.site._registry}:
                path = f"/admin/{app_label}/"
                self.no_out_links(path, self.get(path))
        elif url.kind == "catch_all":
            response = self.get("/admin/no-such-page/")
            if response.status_code not in (301, 302, 404):
                self.walk.fail(f"the catch-all answered {response.status_code}")
        elif url.kind == "page":
            path = url.path_for()
            params = {}
            if url.name == "search":
                params = {"s": self.world.other_company.name}
            response = self.get(path, **params)
            self.no_out_links(path, response)
            self.post(path, {}, may_write_rows=False)
        elif url.kind == "auth" and url.name == "password_change":
            path = url.path_for()
            self.get(path)
            self.post(path, self.root_form(path), may_write_rows=False)
        elif url.kind == "own_account":
            # The staff member's own two-factor settings (tests/backoffice/test_twofactor.py
            # covers their POSTs; one here could end the walk's verified session).
            self.get(url.path_for())
        # login / logout: their own tests (a logout would end the walk's session).

    def run(self) -> Walk:
        for url in console_urls():
            if url.kind == "object":
                self.object_url(url)
            elif url.kind in ("model", "list_action"):
                self.model_url(url)
            else:
                self.site_url(url)
        return self.walk


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_every_console_url_is_classified_and_every_admin_is_scoped():
    from backoffice.admin.base import ScopedViewsMixin

    unclassified = [url.route for url in console_urls() if url.kind == "unclassified"]
    assert not unclassified, (
        "Console URLs the role walk cannot classify: route object views through "
        "ScopedViewsMixin.object_path (<path:object_id>/...), or teach "
        "tests/backoffice/console_walk.py what they are:\n" + "\n".join(unclassified)
    )
    unscoped = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, ScopedViewsMixin)
    ]
    assert not unscoped, f"ModelAdmins without the console's scoped lookup: {unscoped}"


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("role", ROLES)
def test_role_walk(role, world):
    walk = Walker(role, world).run()
    counts = defaultdict(int)
    for url in console_urls():
        counts[url.kind] += 1
    assert walk.requests > 300, (walk.requests, dict(counts))
    assert walk.writes_checked > 100, walk.writes_checked
    assert not walk.violations, f"{len(walk.violations)} violation(s):\n" + "\n".join(
        walk.violations
    )
