"""Every registered ModelAdmin answers its changelist, search and add page.

The parameters come from the live registry, so the test grows with the console.
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from backoffice.admin.base import BaseAdmin
from backoffice.admin.navigation import NavGroup, sidebar_navigation

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)
IDS = [model._meta.label for model, _ in REGISTERED]


def _url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=IDS)
def test_changelist_search_and_add(staff_client, model, model_admin):
    response = staff_client.get(_url(model, "changelist"))
    assert response.status_code == 200, model._meta.label

    if model_admin.search_fields:
        response = staff_client.get(_url(model, "changelist"), {"q": "云睐 test"})
        assert response.status_code == 200

    request = RequestFactory().get("/")
    request.user = staff_client.get("/admin/").wsgi_request.user
    if model_admin.has_add_permission(request):
        response = staff_client.get(_url(model, "add"))
        assert response.status_code == 200


def test_registry_is_not_empty_and_project_admins_share_the_base():
    assert len(REGISTERED) >= 6
    project_admins = [
        ma
        for m, ma in REGISTERED
        if m._meta.app_label in {"partners", "catalog", "billing", "contracts"}
    ]
    assert project_admins, "domain models must be registered"
    assert all(isinstance(ma, BaseAdmin) for ma in project_admins)


def test_sidebar_groups_models_by_domain(staff_client):
    request = staff_client.get("/admin/").wsgi_request
    titles = [str(group["title"]) for group in sidebar_navigation(request)]
    assert titles[0] == "仪表盘"
    assert "合作伙伴" in titles
    assert "系统" in titles


def test_non_staff_cannot_open_the_console(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="partner@example.com", password="x-Pass-1234"
    )
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_sales_role_sees_partners_but_not_the_task_queue(client):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    client.force_login(User.objects.get(email="sales@example.com"))
    request = client.get("/admin/").wsgi_request
    titles = [str(group["title"]) for group in sidebar_navigation(request)]
    assert "合作伙伴" in titles
    assert "系统" not in titles
    assert client.get(reverse("admin:django_q_failure_changelist")).status_code == 403


def test_nav_groups_have_chinese_labels():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert [str(g.label) for g in NavGroup] == [
            "仪表盘",
            "合作伙伴",
            "方案目录",
            "订单",
            "财务",
            "系统",
        ]


def test_sidebar_shows_open_queue_badges(staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from partners.services import registration_submit
    from tests.factories import sales_staff
    from tests.files import pdf_bytes

    registration_submit(
        company_name="Badge Co",
        business_owner=sales_staff(),
        contact_name="B",
        email="badge@example.com",
        phone="13800000000",
        address="Shanghai",
        files=[SimpleUploadedFile("l.pdf", pdf_bytes())],
    )
    request = staff_client.get("/admin/").wsgi_request
    items = [item for group in sidebar_navigation(request) for item in group["items"]]
    link = reverse("admin:partners_registrationapplication_changelist")
    assert [item.get("badge") for item in items if item["link"] == link] == ["1"]
