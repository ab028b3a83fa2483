"""Staff roles: the permission matrix (partners.staff_roles) against the live console.

Expectations are computed from the matrix module, never restated here: a cell is
allowed when the console can do it at all (a superuser can) and the role's group
carries the permission. Sales users only ever see the companies they own.
"""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from billing.models import Order, Statement
from catalog.models import ConsultationTicket, TrialRequest
from partners.models import ApplicationStatus, Company, EndCustomer, RegistrationApplication
from partners.services import staff_roles_sync
from partners.staff_roles import (
    ACTION_PERMISSIONS,
    ROLE_GROUP_NAMES,
    StaffRole,
    matrix_markdown,
    role_allows,
    role_allows_perm,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)


def _role_user(role: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(staff_roles_sync()[role])
    return user


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _ok(status: int) -> bool | None:
    """200 → allowed, 403 / redirect → forbidden, anything else is a bug."""
    if status == 200:
        return True
    if status in (302, 403):
        return False
    return None


# --------------------------------------------------------------------------
# Matrix module, groups, migration, README
# --------------------------------------------------------------------------


def test_migration_and_sync_make_the_four_groups_from_the_matrix():
    from django.contrib.auth.models import Group

    # The migration created the groups; post_migrate gave them their permissions.
    names = set(Group.objects.values_list("name", flat=True))
    assert {"超级管理员", "运营", "销售", "财务"} <= names
    sales = Group.objects.get(name="销售")
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in sales.permissions.all()}
    assert "partners.view_company" in codes
    assert "billing.change_order" not in codes
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    staff_roles_sync()
    staff_roles_sync()  # idempotent
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after
    assert Group.objects.filter(name__in=ROLE_GROUP_NAMES.values()).count() == 4


def test_sync_renames_legacy_groups_and_drops_stray_permissions():
    from django.contrib.auth.models import Group, Permission

    Group.objects.filter(name="财务").delete()
    legacy = Group.objects.create(name="财务 Finance")
    legacy.permissions.add(Permission.objects.get(codename="delete_company"))
    groups = staff_roles_sync()
    assert groups[StaffRole.FINANCE].pk == legacy.pk
    legacy.refresh_from_db()
    assert legacy.name == "财务"
    assert not legacy.permissions.filter(codename="delete_company").exists()
    assert legacy.permissions.filter(codename="change_repayment").exists()


def test_readme_table_equals_the_command_output():
    out = io.StringIO()
    call_command("print_role_matrix", stdout=out)
    assert out.getvalue().strip() == matrix_markdown()
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- role-matrix:start -->\n(.*?)\n<!-- role-matrix:end -->", readme, re.S)
    assert found, "README lacks the Staff roles table markers"
    assert found.group(1).strip() == out.getvalue().strip(), (
        "README role table is stale: paste `manage.py print_role_matrix`"
    )


def test_action_permissions_name_real_permissions_and_admin_methods():
    from django.contrib.auth.models import Permission

    registry = {m._meta.label_lower: ma for m, ma in admin.site._registry.items()}
    for (scope, action), perm in ACTION_PERMISSIONS.items():
        app_label, codename = perm.split(".")
        assert Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).exists(), perm
        assert hasattr(registry[scope], f"has_{action}_permission"), (scope, action)


# --------------------------------------------------------------------------
# Role × console URL matrix
# --------------------------------------------------------------------------


@pytest.fixture
def demo_data(db):
    from fixtures.demo import load_all

    load_all()


def _standard_cells(client, role, user, root):
    """(model, view) → (expected, actual) for changelist/add/change/delete."""
    cells = {}
    role_request, root_request = _request(user), _request(root)
    for model, model_admin in REGISTERED:
        opts = model._meta

        def granted(*actions, _opts=opts):
            return any(role_allows(role, _opts.app_label, _opts.model_name, a) for a in actions)

        label = opts.label
        capable = model_admin.has_view_or_change_permission(root_request)
        status = client.get(_url(model, "changelist")).status_code
        cells[(label, "changelist")] = (capable and granted("view", "change"), _ok(status))

        try:
            add_url = _url(model, "add")
        except NoReverseMatch:
            add_url = None
        if add_url:
            capable = model_admin.has_add_permission(root_request)
            status = client.get(add_url).status_code
            cells[(label, "add")] = (capable and granted("add"), _ok(status))

        # An object the role can reach (sales: one it owns), else any row.
        obj = None
        if granted("view", "change"):
            obj = model_admin.get_queryset(role_request).order_by("pk").first()
        if obj is None:
            obj = model_admin.get_queryset(root_request).order_by("pk").first()
            if obj is not None and granted("view", "change"):
                continue  # only rows out of this role's scope: covered by the sales test
        if obj is None:
            continue
        pk = quote(obj.pk)
        capable = model_admin.has_view_or_change_permission(root_request, obj)
        status = client.get(_url(model, "change", pk)).status_code
        cells[(label, "change")] = (capable and granted("view", "change"), _ok(status))
        capable = model_admin.has_delete_permission(root_request, obj)
        status = client.get(_url(model, "delete", pk)).status_code
        cells[(label, "delete")] = (capable and granted("delete"), _ok(status))
    return cells


def _action_cells(role, user):
    registry = {m._meta.label_lower: ma for m, ma in admin.site._registry.items()}
    request = _request(user)
    cells = {}
    for (scope, action), perm in ACTION_PERMISSIONS.items():
        method = getattr(registry[scope], f"has_{action}_permission")
        cells[(scope, action)] = (role_allows_perm(role, perm), bool(method(request)))
    return cells


def _diff(cells) -> list[str]:
    return [
        f"{key[0]} {key[1]}: expected {'allowed' if exp else 'forbidden'}, got "
        f"{ {True: 'allowed', False: 'forbidden', None: 'error'}[got] }"
        for key, (exp, got) in sorted(cells.items())
        if exp != got
    ]


@pytest.mark.parametrize("role", list(StaffRole), ids=[str(r) for r in StaffRole])
def test_role_matrix_has_no_unexpected_cell(client, demo_data, role):
    root = UserFactory(is_staff=True, is_superuser=True)
    user = _role_user(role)
    if role == StaffRole.SALES:  # give them a territory so change pages are exercised
        Company.objects.update(business_owner=user)
        RegistrationApplication.objects.update(business_owner=user)
        ConsultationTicket.objects.update(assignee=user)
        TrialRequest.objects.update(assignee=user)
    client.force_login(user)
    cells = _standard_cells(client, role, user, root)
    cells.update(_action_cells(role, user))
    assert len(cells) > len(REGISTERED) * 2
    diff = _diff(cells)
    assert not diff, f"{len(diff)} unexpected cell(s) for {role}:\n" + "\n".join(diff)


def _application(owner, **kwargs) -> RegistrationApplication:
    from django.utils import timezone

    defaults = {
        "company_name": "云睐 Role Test Co",
        "contact_name": "张三",
        "email": "applicant@example.com",
        "phone": "13800000099",
        "address": "上海宝山区纪蕴路588号",
    }
    return RegistrationApplication.objects.create(
        status=ApplicationStatus.PENDING,
        business_owner=owner,
        agreed_at=timezone.now(),
        **{**defaults, **kwargs},
    )


@pytest.fixture
def pending_application(db):
    return _application(UserFactory(is_staff=True))


@pytest.mark.parametrize("role", list(StaffRole), ids=[str(r) for r in StaffRole])
def test_registration_review_pages_follow_the_matrix(client, pending_application, role):
    user = _role_user(role)
    if role == StaffRole.SALES:
        pending_application.business_owner = user  # in scope: only the permission decides
        pending_application.save(update_fields=["business_owner"])
    client.force_login(user)
    allowed = role_allows_perm(
        role, ACTION_PERMISSIONS[("partners.registrationapplication", "approve")]
    )
    for action in ("approve_detail", "reject_detail"):
        url = reverse(
            f"admin:partners_registrationapplication_{action}", args=[pending_application.pk]
        )
        assert _ok(client.get(url).status_code) is allowed, (role, action)
    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.PENDING  # GET changes nothing


# --------------------------------------------------------------------------
# Sales scoping
# --------------------------------------------------------------------------


class Territory:
    """One sales user, the company they own, its customer, order, statement and leads."""

    def __init__(self, tag: str, *, as_manager: bool = False):
        from tests.billing.order_helpers import Shop
        from tests.billing.statements.helpers import make_statement

        self.user = _role_user(StaffRole.SALES, email=f"sales-{tag}@example.com")
        self.shop = Shop()
        self.company = self.shop.company
        self.company.name = f"Territory {tag}"
        if as_manager:
            self.company.customer_manager = self.user
        else:
            self.company.business_owner = self.user
        self.company.save()
        self.customer = self.shop.customer
        self.order = self.shop.place()
        self.statement = make_statement(self.company)
        lead = {"email": f"lead-{tag}@example.com", "company_name": f"Lead {tag}"}
        self.ticket = ConsultationTicket.objects.create(
            name=f"T {tag}",
            assignee=self.user,
            service_type="presales",
            support_category="product",
            subject="s",
            details="d",
            **lead,
        )
        self.trial = TrialRequest.objects.create(name=f"R {tag}", assignee=self.user, **lead)

    def objects(self):
        return [
            self.company,
            self.customer,
            self.order,
            self.statement,
            self.ticket,
            self.trial,
        ]


@pytest.fixture
def territories(db):
    return Territory("a"), Territory("b", as_manager=True)


def _changelist_pks(client, model) -> set:
    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200, model
    return {obj.pk for obj in response.context["cl"].result_list}


def test_sales_changelists_and_change_pages_show_only_their_own(client, territories):
    mine, theirs = territories
    client.force_login(mine.user)
    for own, other in zip(mine.objects(), theirs.objects(), strict=True):
        model = type(own)
        pks = _changelist_pks(client, model)
        assert own.pk in pks, model
        assert other.pk not in pks, model
        assert client.get(_url(model, "change", own.pk)).status_code == 200, model
        assert client.get(_url(model, "change", other.pk)).status_code in (302, 403, 404), model


def test_customer_manager_sees_their_company_too(client, territories):
    _, managed = territories
    client.force_login(managed.user)
    assert _changelist_pks(client, Company) == {managed.company.pk}


def test_sales_choice_lists_hold_only_their_companies(territories):
    mine, theirs = territories
    request = _request(mine.user)
    for model in (Order, EndCustomer, Statement):
        model_admin = admin.site._registry[model]
        field = model._meta.get_field("company")
        formfield = model_admin.formfield_for_foreignkey(field, request)
        assert set(formfield.queryset) == {mine.company}, model
    order_admin = admin.site._registry[Order]
    formfield = order_admin.formfield_for_foreignkey(Order._meta.get_field("end_customer"), request)
    assert set(formfield.queryset) == {mine.customer}
    # Other staff are not narrowed.
    ops = _role_user(StaffRole.OPERATIONS)
    field = Order._meta.get_field("company")
    formfield = order_admin.formfield_for_foreignkey(field, _request(ops))
    assert {mine.company, theirs.company} <= set(formfield.queryset)


def test_sales_exports_hold_only_their_rows(client, territories):
    mine, theirs = territories
    client.force_login(mine.user)
    for model in (Company, EndCustomer, Order, ConsultationTicket, TrialRequest):
        model_admin = admin.site._registry[model]
        request = client.get(_url(model, "changelist")).wsgi_request
        if not model_admin.has_export_permission(request):
            continue
        pks = {obj.pk for obj in model_admin.get_export_queryset(request)}
        assert pks == {o.pk for o in mine.objects() if isinstance(o, model)}, model
    # The export form itself answers for the scoped user.
    assert client.get(_url(Company, "export")).status_code == 200


def test_sales_bulk_actions_only_touch_their_own(client, territories):
    mine, theirs = territories
    client.force_login(mine.user)
    response = client.post(
        _url(ConsultationTicket, "changelist"),
        {
            "action": "mark_closed",
            "_selected_action": [mine.ticket.pk, theirs.ticket.pk],
        },
    )
    assert response.status_code in (200, 302)
    mine.ticket.refresh_from_db()
    theirs.ticket.refresh_from_db()
    assert theirs.ticket.status == "new"


def _queues(response) -> dict[str, int]:
    """Work queues by English msgid (the titles are lazy translations)."""
    from django.utils import translation

    with translation.override("en"):
        return {str(title): count for title, count, _link in response.context["work_queues"]}


def test_sales_dashboard_counts_only_their_companies(client, territories):
    mine, theirs = territories
    _application(UserFactory(is_staff=True), email="other-applicant@example.com")
    client.force_login(mine.user)
    response = client.get("/admin/")
    assert response.status_code == 200
    kpis = {str(card.title): card.value for card in response.context["kpi_cards"]}
    assert kpis["启用中的公司"] == 1
    queues = _queues(response)
    assert queues["Pending registrations"] == 0  # the pending application is not theirs
    assert queues["Open consultation tickets"] == 1  # only the one assigned to them
    assert queues["Open trial requests"] == 1
    Statement.objects.filter(pk=theirs.statement.pk).update(
        status="disputed", dispute_reason="金额不符"
    )
    response = client.get("/admin/")
    queues = _queues(response)
    assert queues["Disputed statements"] == 0
    # An unscoped role counts every enabled company.
    client.force_login(_role_user(StaffRole.FINANCE))
    response = client.get("/admin/")
    queues = _queues(response)
    assert queues["Disputed statements"] == 1
    kpis = {str(card.title): card.value for card in response.context["kpi_cards"]}
    assert kpis["启用中的公司"] == Company.objects.filter(status="enabled").count() >= 2


def _posted_form(response) -> dict:
    """The change form as the browser would post it back unchanged."""
    data = {}

    def add(form, prefix=""):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[f"{prefix}{name}"] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            add(form, f"{form.prefix}-")
    return data


def test_sales_can_edit_their_company_but_not_point_it_at_another(client, territories):
    mine, theirs = territories
    distributor = theirs.company
    mine.company.parent = distributor  # a parent owned by someone else stays as it is
    mine.company.save(update_fields=["parent"])
    client.force_login(mine.user)
    url = _url(Company, "change", mine.company.pk)
    response = client.get(url)
    assert "parent" not in response.context["adminform"].form.fields  # read-only for 销售
    data = _posted_form(response)
    data["address"] = "上海宝山区纪蕴路588号"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    mine.company.refresh_from_db()
    assert mine.company.address == "上海宝山区纪蕴路588号"
    assert mine.company.parent == distributor
    # The company autocomplete (a choice list too) answers from the scoped queryset.
    from tests.billing.helpers import make_company

    own_distributor = make_company("Own distributor")
    Company.objects.filter(pk=own_distributor.pk).update(
        company_type="distributor", business_owner=mine.user
    )
    Company.objects.filter(pk=theirs.company.pk).update(company_type="distributor")
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "partners", "model_name": "company", "field_name": "parent", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(row["id"]) for row in response.json()["results"]}
    assert own_distributor.pk in ids
    assert theirs.company.pk not in ids
