"""Catalog console: publish/unpublish and review actions, saving through services, query counts."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Review, Sku, Solution
from tests.catalog.factories import (
    CategoryFactory,
    PublishedSolutionFactory,
    ReviewFactory,
    SkuFactory,
    SolutionFactory,
    SubCategoryFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:catalog_solution_changelist"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _detail_action(client, name: str, pk: int, **extra):
    """Confirm the row action ``admin:catalog_<name>_detail`` on object ``pk`` (a POST)."""
    url = reverse(f"admin:catalog_{name}_detail", args=[pk])
    return client.post(url, {"_form_submitted": "True"}, **extra)


def _publishable(**kwargs) -> Solution:
    solution = SolutionFactory(categories=[SubCategoryFactory()], **kwargs)
    SkuFactory(solution=solution)
    return solution


# --- Publish / unpublish -------------------------------------------------------------------


def test_bulk_publish_reports_done_and_refused_with_reasons(staff_client):
    ok = _publishable(name="可发布方案")
    no_sku = SolutionFactory(name="没有SKU的方案", categories=[SubCategoryFactory()])
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "publish_selected", "_selected_action": [ok.pk, no_sku.pk]},
        follow=True,
    )
    assert response.status_code == 200
    ok.refresh_from_db()
    no_sku.refresh_from_db()
    assert ok.is_published and not no_sku.is_published
    messages = _messages(response)
    assert "已发布 1 个解决方案。" in messages
    assert "“没有SKU的方案”未能发布：该方案没有上架的 SKU。" in messages


def test_bulk_unpublish(staff_client):
    solutions = [PublishedSolutionFactory() for _ in range(2)]
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "unpublish_selected", "_selected_action": [s.pk for s in solutions]},
        follow=True,
    )
    assert "已取消发布 2 个解决方案。" in _messages(response)
    assert not Solution.objects.filter(is_published=True).exists()


def test_detail_publish_needs_a_post_and_redirects_back(staff_client):
    solution = _publishable()
    url = reverse("admin:catalog_solution_publish_detail", args=[solution.pk])

    response = staff_client.get(url)  # the confirmation dialog, nothing changes
    assert response.status_code == 200
    solution.refresh_from_db()
    assert not solution.is_published

    response = staff_client.post(url, {"_form_submitted": "True"})
    assert response.status_code == 302
    assert response.url == reverse("admin:catalog_solution_change", args=[solution.pk])
    solution.refresh_from_db()
    assert solution.is_published

    response = _detail_action(
        staff_client, "solution_unpublish", solution.pk, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == reverse("admin:catalog_solution_change", args=[solution.pk])
    solution.refresh_from_db()
    assert not solution.is_published


def test_detail_publish_refused_shows_the_reason(staff_client):
    solution = SolutionFactory(name="无分类")
    SkuFactory(solution=solution)
    response = _detail_action(staff_client, "solution_publish", solution.pk, follow=True)
    assert "“无分类”未能发布：该方案不属于任何子分类。" in _messages(response)
    solution.refresh_from_db()
    assert not solution.is_published


# --- Saving through the services -------------------------------------------------------------


def _solution_form(**overrides) -> dict:
    data = {
        "name": "SaaSaMe Transport",
        "slug": "saasame-transport",
        "summary": "P2C 迁移",
        "description": "",
        "provider": "SaaSaMe",
        "trial_enabled": "",
        "pinned_rank": "",
        "details_html": "<p>产品特点</p><script>alert(1)</script>",
        "cases_html": '<p onclick="x()">案例</p>',
        "support_html": "",
        "agreement_html": "",
        "skus-TOTAL_FORMS": "1",
        "skus-INITIAL_FORMS": "0",
        "skus-MIN_NUM_FORMS": "0",
        "skus-MAX_NUM_FORMS": "1000",
        "skus-0-code": "s-blu-hyb-sas-p-trbc-abd",
        "skus-0-plan_name": "SaaSaMe Transport 迁移至蓝云",
        "skus-0-region": "cn",
        "skus-0-currency": "CNY",
        "skus-0-unit_price": "1188",
        "skus-0-tax_rate": "6",
        "skus-0-kind": "product",
        "skus-0-parameters": "[]",
        "skus-0-is_active": "on",
        "skus-0-position": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        "resources-TOTAL_FORMS": "0",
        "resources-INITIAL_FORMS": "0",
        "resources-MIN_NUM_FORMS": "0",
        "resources-MAX_NUM_FORMS": "1000",
        "manuals-TOTAL_FORMS": "0",
        "manuals-INITIAL_FORMS": "0",
        "manuals-MIN_NUM_FORMS": "0",
        "manuals-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_adding_a_solution_sanitises_tabs_and_builds_search_text(staff_client):
    sub = SubCategoryFactory()
    response = staff_client.post(
        reverse("admin:catalog_solution_add"), _solution_form(categories=[sub.pk])
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    solution = Solution.objects.get(slug="saasame-transport")
    assert solution.details_html == "<p>产品特点</p>"
    assert solution.cases_html == "<p>案例</p>"
    assert list(solution.categories.all()) == [sub]
    assert not solution.is_published
    sku = solution.skus.get()
    assert sku.code == "S-BLU-HYB-SAS-P-TRBC-ABD"
    assert sku.unit_price == Decimal("1188")
    assert "s-blu-hyb-sas-p-trbc-abd" in solution.search_document
    assert "迁移至蓝云" in solution.search_document


def test_bad_sku_parameters_are_a_form_error_and_nothing_is_saved(staff_client):
    response = staff_client.post(
        reverse("admin:catalog_solution_add"),
        _solution_form(**{"skus-0-parameters": '[{"key": "a", "label": ""}]'}),
    )
    assert response.status_code == 200
    assert "第 1 个参数需要名称（label）。" in response.content.decode()
    assert not Solution.objects.exists()
    assert not Sku.objects.exists()


def test_top_level_category_is_not_a_choice(staff_client):
    top = CategoryFactory()
    response = staff_client.post(
        reverse("admin:catalog_solution_add"), _solution_form(categories=[top.pk])
    )
    assert response.status_code == 200
    assert not Solution.objects.exists()


def test_sku_list_shows_currency_sign_and_percent(staff_client):
    SkuFactory(unit_price=Decimal("2680.00"), currency="CNY", tax_rate=Decimal("6.00"))
    SkuFactory(unit_price=Decimal("182400"), currency="USD", tax_rate=Decimal("6.50"))
    html = staff_client.get(reverse("admin:catalog_sku_changelist")).content.decode()
    assert "¥2,680.00" in html and "$182,400.00" in html
    assert ">6%<" in html and ">6.5%<" in html and "6.00" not in html


def test_sku_admin_saves_through_the_service(staff_client):
    solution = SolutionFactory()
    response = staff_client.post(
        reverse("admin:catalog_sku_add"),
        {
            "solution": solution.pk,
            "code": "M-JXX-BUS-PLA-P-SXXX-DEC",
            "plan_name": "服务实施项",
            "region": "cn",
            "currency": "CNY",
            "unit_price": "1",
            "tax_rate": "6",
            "kind": "service",
            "parameters": '[{"key": "tenant_id", "label": "租户ID", "required": true}]',
            "is_active": "on",
            "position": "0",
        },
    )
    assert response.status_code == 302
    sku = Sku.objects.get(code="M-JXX-BUS-PLA-P-SXXX-DEC")
    assert sku.parameters == [
        {"key": "tenant_id", "label": "租户ID", "required": True, "max_length": 100}
    ]
    solution.refresh_from_db()
    assert "m-jxx-bus-pla-p-sxxx-dec" in solution.search_document


# --- Reviews ---------------------------------------------------------------------------------


def test_review_hide_and_unhide_actions_recompute_the_rating(staff_client):
    solution = PublishedSolutionFactory()
    low = ReviewFactory(solution=solution, rating=1)
    ReviewFactory(solution=solution, rating=5)
    url = reverse("admin:catalog_review_changelist")

    response = staff_client.post(
        url, {"action": "hide_selected", "_selected_action": [low.pk]}, follow=True
    )
    assert "已隐藏 1 条评价。" in _messages(response)
    solution.refresh_from_db()
    assert Review.objects.get(pk=low.pk).is_hidden
    assert solution.rating_count == 1 and solution.rating_avg == Decimal("5.00")

    response = _detail_action(staff_client, "review_unhide", low.pk, follow=True)
    assert "已重新显示 1 条评价。" in _messages(response)
    solution.refresh_from_db()
    assert solution.rating_count == 2 and solution.rating_avg == Decimal("3.00")


def test_reviews_cannot_be_added_by_staff(staff_client):
    assert staff_client.get(reverse("admin:catalog_review_add")).status_code == 403


# --- Query counts ------------------------------------------------------------------------------


def _changelist_queries(client, url_name: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(url_name), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _make_solutions(n: int) -> None:
    categories = [SubCategoryFactory(), SubCategoryFactory()]
    for _ in range(n):
        solution = PublishedSolutionFactory(categories=categories)
        SkuFactory(solution=solution)
        ReviewFactory(solution=solution)


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        (CHANGELIST, None),
        (CHANGELIST, {"q": "solution"}),
        ("admin:catalog_sku_changelist", None),
        ("admin:catalog_review_changelist", None),
        ("admin:catalog_category_changelist", None),
    ],
)
def test_changelist_queries_do_not_grow_with_rows(staff_client, url_name, params):
    _make_solutions(3)
    _changelist_queries(staff_client, url_name, params)  # warm caches (content types, session)
    few = _changelist_queries(staff_client, url_name, params)
    _make_solutions(27)
    many = _changelist_queries(staff_client, url_name, params)
    assert few == many


def test_solution_change_page_uses_the_local_wysiwyg_editor(staff_client):
    solution = PublishedSolutionFactory(details_html="<p>产品特点</p>")
    response = staff_client.get(reverse("admin:catalog_solution_change", args=[solution.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/unfold/forms/js/trix/trix.js" in page
    assert "<trix-editor" in page
    assert reverse("admin:catalog_solution_unpublish_detail", args=[solution.pk]) in page
    assert "cdn." not in page.lower()


def test_review_change_page_is_read_only(staff_client):
    review = ReviewFactory(text="很好用")
    response = staff_client.get(reverse("admin:catalog_review_change", args=[review.pk]))
    assert response.status_code == 200
    assert 'name="text"' not in response.content.decode()


def test_view_only_sales_role_can_export_but_not_import_or_publish(client):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    client.force_login(User.objects.get(email="sales@example.com"))
    solution = _publishable()
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse("admin:catalog_solution_export")).status_code == 200
    assert client.get(reverse("admin:catalog_solution_import")).status_code == 403
    response = _detail_action(client, "solution_publish", solution.pk)
    assert response.status_code == 403
    client.post(
        reverse(CHANGELIST), {"action": "publish_selected", "_selected_action": [solution.pk]}
    )
    solution.refresh_from_db()
    assert not solution.is_published


def test_operations_role_can_import_and_other_catalog_admins_cannot_import(client):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    client.force_login(User.objects.get(email="ops@example.com"))
    assert client.get(reverse("admin:catalog_solution_import")).status_code == 200
    assert client.get(reverse("admin:catalog_sku_import")).status_code == 200
    assert client.get(reverse("admin:catalog_newsitem_import")).status_code == 403
