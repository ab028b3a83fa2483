"""Catalog services: rich-text sanitising, publishing, SKU parameters, search text, reviews."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.selectors.fulfilment import has_completed_order
from catalog.models import Review, Sku, Solution
from catalog.richtext import sanitize_html
from catalog.services import (
    CatalogError,
    news_item_save,
    review_set_hidden,
    review_submit,
    sku_parameters_validate,
    sku_save,
    solution_publish,
    solution_save,
    solution_search_document_refresh,
    solution_unpublish,
    solutions_paid_count_add,
)
from tests.catalog.factories import (
    CategoryFactory,
    NewsItemFactory,
    PublishedSolutionFactory,
    SkuFactory,
    SolutionFactory,
    SubCategoryFactory,
)
from tests.partners.factories import CompanyFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db


def completed(company, solution, order_number) -> bool:
    return True


# --- Rich text -------------------------------------------------------------------------


class TestSanitize:
    def test_strips_scripts_event_handlers_styles_and_javascript_urls(self):
        dirty = (
            '<h2 style="color:red" onclick="steal()">产品特点</h2>'
            "<script>alert('x')</script>"
            '<img src="x.png" onerror="alert(1)">'
            '<a href="javascript:alert(1)">bad</a>'
            '<a href="JaVaScRiPt:alert(1)">bad2</a>'
        )
        clean = sanitize_html(dirty)
        assert "<script" not in clean
        assert "alert" not in clean
        assert "onerror" not in clean and "onclick" not in clean
        assert "style=" not in clean
        assert "javascript:" not in clean.lower()
        assert "<h2>产品特点</h2>" in clean
        assert '<img src="x.png">' in clean

    def test_keeps_allowed_markup_and_adds_rel_to_links(self):
        html = (
            "<p><strong>a</strong> <em>b</em></p><ul><li>c</li></ul>"
            "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>"
            '<a href="https://example.com/">x</a><a href="/solutions/">y</a>'
            '<a href="mailto:bcss-support@oe.21vianet.com">z</a>'
        )
        clean = sanitize_html(html)
        assert "<strong>a</strong>" in clean and "<li>c</li>" in clean and "<td>d</td>" in clean
        assert '<a href="https://example.com/" rel="noopener noreferrer">x</a>' in clean
        assert 'href="/solutions/"' in clean
        assert 'href="mailto:bcss-support@oe.21vianet.com"' in clean

    def test_images_only_from_http_or_relative(self):
        clean = sanitize_html(
            '<img src="data:image/png;base64,AAAA"><img src="mailto:a@b.c">'
            '<img src="https://cdn.example.com/a.png">'
        )
        assert "data:" not in clean and "mailto:" not in clean
        assert 'src="https://cdn.example.com/a.png"' in clean

    def test_solution_save_sanitises_all_four_tabs(self):
        solution = SolutionFactory.build(
            slug="tabs",
            details_html="<p>ok</p><script>x()</script>",
            cases_html='<p onmouseover="x()">case</p>',
            support_html='<a href="javascript:x()">s</a>',
            agreement_html='<div style="position:fixed">a</div>',
        )
        solution_save(solution=solution)
        solution.refresh_from_db()
        assert solution.details_html == "<p>ok</p>"
        assert solution.cases_html == "<p>case</p>"
        assert "javascript" not in solution.support_html
        assert solution.agreement_html == "<div>a</div>"

    def test_news_body_is_sanitised(self):
        item = NewsItemFactory.build(slug="n1", body_html="<p>新闻</p><script>x()</script>")
        news_item_save(news_item=item)
        item.refresh_from_db()
        assert item.body_html == "<p>新闻</p>"


# --- Solutions and publishing ---------------------------------------------------------------


class TestSolutionSave:
    def test_sets_sub_categories_and_refuses_top_categories(self):
        sub = SubCategoryFactory()
        solution = solution_save(solution=SolutionFactory.build(slug="s1"), categories=[sub])
        assert list(solution.categories.all()) == [sub]
        with pytest.raises(CatalogError) as exc:
            solution_save(solution=solution, categories=[CategoryFactory()])
        assert "categories" in exc.value.message_dict
        assert list(solution.categories.all()) == [sub]

    def test_publishing_through_save_follows_the_publish_rules(self):
        solution = SolutionFactory(slug="s2")
        solution.is_published = True
        with pytest.raises(CatalogError) as exc:
            solution_save(solution=solution)
        assert "is_published" in exc.value.message_dict
        assert not Solution.objects.get(pk=solution.pk).is_published

    def test_invalid_data_is_refused_by_full_clean(self):
        with pytest.raises(ValidationError):
            solution_save(solution=SolutionFactory.build(slug="bad slug!", name="x"))
        assert not Solution.objects.filter(name="x").exists()


class TestPublish:
    def test_publishes_when_active_sku_and_sub_category(self, superuser):
        solution = SolutionFactory(categories=[SubCategoryFactory()])
        SkuFactory(solution=solution)
        done, refused = solution_publish(solutions=[solution], actor=superuser)
        assert done == [solution] and refused == []
        solution.refresh_from_db()
        assert solution.is_published and solution.published_at is not None
        assert solution.history.first().history_user == superuser

    def test_refuses_without_sku_or_category_with_reasons(self, superuser):
        no_sku = SolutionFactory(name="NoSku", categories=[SubCategoryFactory()])
        inactive = SolutionFactory(name="Inactive", categories=[SubCategoryFactory()])
        SkuFactory(solution=inactive, is_active=False)
        no_category = SolutionFactory(name="NoCategory")
        SkuFactory(solution=no_category)
        top_only = SolutionFactory(name="TopOnly", categories=[CategoryFactory()])
        SkuFactory(solution=top_only)
        ok = SolutionFactory(name="Ok", categories=[SubCategoryFactory()])
        SkuFactory(solution=ok)

        done, refused = solution_publish(
            solutions=[no_sku, inactive, no_category, top_only, ok], actor=superuser
        )

        assert [s.name for s in done] == ["Ok"]
        reasons = {s.name: r for s, r in refused}
        assert set(reasons) == {"NoSku", "Inactive", "NoCategory", "TopOnly"}
        assert reasons["NoSku"] == ["该方案没有上架的 SKU"]
        assert reasons["NoCategory"] == ["该方案不属于任何子分类"]
        assert len(reasons["TopOnly"]) == 1
        assert Solution.objects.filter(is_published=True).count() == 1

    def test_unpublish(self, superuser):
        solution = PublishedSolutionFactory()
        done, refused = solution_unpublish(solutions=[solution], actor=superuser)
        assert done == [solution] and refused == []
        assert not Solution.objects.get(pk=solution.pk).is_published

    def test_paid_count_add_never_below_zero(self):
        solution = SolutionFactory()
        solutions_paid_count_add(solution_ids=[solution.pk], delta=2)
        solutions_paid_count_add(solution_ids=[solution.pk], delta=-1)
        solution.refresh_from_db()
        assert solution.paid_order_count == 1
        solutions_paid_count_add(solution_ids=[solution.pk], delta=-5)
        solution.refresh_from_db()
        assert solution.paid_order_count == 0

    def test_paid_count_add_is_one_update_per_call(self):
        low, high, untouched = SolutionFactory(), SolutionFactory(), SolutionFactory()
        Solution.objects.filter(pk=high.pk).update(paid_order_count=3)
        ids = [high.pk, low.pk, high.pk]  # named twice: counted once
        with CaptureQueriesContext(connection) as queries:
            assert solutions_paid_count_add(solution_ids=ids, delta=1) == 2
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
        assert len(statements) == 1 and statements[0].startswith("UPDATE")
        counts = dict(Solution.objects.values_list("pk", "paid_order_count"))
        assert (counts[low.pk], counts[high.pk], counts[untouched.pk]) == (1, 4, 0)
        solutions_paid_count_add(solution_ids=ids, delta=-1)
        solutions_paid_count_add(solution_ids=ids, delta=-1)  # low is floored at 0
        counts = dict(Solution.objects.values_list("pk", "paid_order_count"))
        assert (counts[low.pk], counts[high.pk], counts[untouched.pk]) == (0, 2, 0)
        with CaptureQueriesContext(connection) as queries:
            assert solutions_paid_count_add(solution_ids=[], delta=1) == 0
        assert [q for q in queries if "SAVEPOINT" not in q["sql"]] == []


# --- SKUs and purchase parameters ---------------------------------------------------------


class TestSkuParameters:
    def test_valid_parameters_are_normalised(self):
        result = sku_parameters_validate(
            [
                {"key": " tenant_id ", "label": "租户ID", "required": True, "max_length": 64},
                {"key": "note", "label": "备注"},
            ]
        )
        assert result == [
            {"key": "tenant_id", "label": "租户ID", "required": True, "max_length": 64},
            {"key": "note", "label": "备注", "required": False, "max_length": 100},
        ]
        assert sku_parameters_validate([]) == []
        assert sku_parameters_validate(None) == []

    @pytest.mark.parametrize(
        "parameters",
        [
            {"key": "a", "label": "A"},
            ["a"],
            [{"key": "", "label": "A"}],
            [{"key": "has space", "label": "A"}],
            [{"key": "a", "label": ""}],
            [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}],
            [{"key": "a", "label": "A", "required": "yes"}],
            [{"key": "a", "label": "A", "max_length": 0}],
            [{"key": "a", "label": "A", "max_length": 501}],
            [{"key": "a", "label": "A", "max_length": "10"}],
            [{"key": "a", "label": "A", "max_length": True}],
            [{"key": "a", "label": "A", "colour": "red"}],
        ],
    )
    def test_bad_shapes_are_refused(self, parameters):
        with pytest.raises(ValidationError):
            sku_parameters_validate(parameters)

    def test_sku_save_refuses_bad_parameters_and_saves_nothing(self):
        solution = SolutionFactory()
        sku = Sku(
            solution=solution,
            code="S-BLU-TST-PRO-P-PLAN-BAD",
            plan_name="基础版",
            unit_price=Decimal("1"),
            parameters=[{"key": "a", "label": "A"}, {"key": "a", "label": "A2"}],
        )
        with pytest.raises(CatalogError) as exc:
            sku_save(sku=sku)
        assert "parameters" in exc.value.message_dict
        assert not Sku.objects.filter(code="S-BLU-TST-PRO-P-PLAN-BAD").exists()

    def test_sku_save_refuses_negative_price(self):
        sku = SkuFactory.build(solution=SolutionFactory(), unit_price=Decimal("-1"))
        with pytest.raises(ValidationError) as exc:
            sku_save(sku=sku)
        assert "unit_price" in exc.value.message_dict


# --- Search text --------------------------------------------------------------------------


class TestSearchDocument:
    def test_contains_name_summary_provider_sku_codes_and_plans_lower_cased(self):
        solution = solution_save(
            solution=SolutionFactory.build(
                slug="saasame",
                name="SaaSaMe Transport",
                summary="P2C 迁移工具",
                provider="SaaSaMe",
            )
        )
        sku_save(
            sku=SkuFactory.build(
                solution=solution, code="S-BLU-HYB-SAS-P-TRBC-ABD", plan_name="迁移至蓝云"
            )
        )
        sku_save(
            sku=SkuFactory.build(solution=solution, code="S-BLU-HYB-SAS-P-TRDR-ABD", plan_name="DR")
        )
        solution.refresh_from_db()
        assert solution.search_document == (
            "saasame transport p2c 迁移工具 saasame "
            "s-blu-hyb-sas-p-trbc-abd 迁移至蓝云 s-blu-hyb-sas-p-trdr-abd dr"
        )

    def test_moving_a_sku_refreshes_both_solutions(self):
        first, second = SolutionFactory(), SolutionFactory()
        sku = sku_save(sku=SkuFactory.build(solution=first, code="MOVE-ME-1"))
        sku.solution = second
        sku_save(sku=sku)
        first.refresh_from_db()
        second.refresh_from_db()
        assert "move-me-1" not in first.search_document
        assert "move-me-1" in second.search_document

    def test_refresh_is_set_based(self, django_assert_num_queries):
        solutions = [SolutionFactory() for _ in range(5)]
        for solution in solutions:
            SkuFactory(solution=solution)
            SkuFactory(solution=solution)
        Solution.objects.update(search_document="")
        # one SELECT of SKUs, one of solutions, one bulk UPDATE
        with django_assert_num_queries(3):
            changed = solution_search_document_refresh(solution_ids=[s.pk for s in solutions])
        assert changed == 5
        assert all(
            s.skus.first().code.lower() in Solution.objects.get(pk=s.pk).search_document
            for s in solutions
        )


# --- Reviews --------------------------------------------------------------------------------


@pytest.fixture
def buyer():
    return PartnerUserFactory()


class TestReviews:
    def test_default_hook_has_no_completed_orders(self, buyer):
        solution = PublishedSolutionFactory()
        assert has_completed_order(buyer.company, solution, "20190624090204300") is False
        with pytest.raises(CatalogError) as exc:
            review_submit(
                solution=solution,
                company=buyer.company,
                author=buyer,
                order_number="20190624090204300",
                rating=5,
                text="好",
            )
        assert "已完成" in exc.value.messages[0]
        assert not Review.objects.exists()

    def test_check_receives_company_solution_and_order(self, buyer):
        solution = PublishedSolutionFactory()
        seen = []

        def check(company, sol, number):
            seen.append((company, sol, number))
            return False

        with pytest.raises(CatalogError):
            review_submit(
                solution=solution,
                company=buyer.company,
                author=buyer,
                order_number="X1",
                rating=4,
                text="",
                completed_order_check=check,
            )
        assert seen == [(buyer.company, solution, "X1")]

    def test_second_review_of_the_same_order_is_refused(self, buyer):
        solution = PublishedSolutionFactory()
        kwargs = {
            "solution": solution,
            "company": buyer.company,
            "author": buyer,
            "order_number": "20191129073448645",
            "completed_order_check": completed,
        }
        review_submit(rating=5, text="很好", **kwargs)
        with pytest.raises(CatalogError) as exc:
            review_submit(rating=1, text="改主意了", **kwargs)
        assert "已经评价" in exc.value.messages[0]
        assert Review.objects.count() == 1
        solution.refresh_from_db()
        assert solution.rating_count == 1 and solution.rating_avg == Decimal("5.00")

    @pytest.mark.parametrize("rating", [0, 6, -1, "5", None, True])
    def test_rating_outside_one_to_five_is_refused(self, buyer, rating):
        with pytest.raises(CatalogError):
            review_submit(
                solution=PublishedSolutionFactory(),
                company=buyer.company,
                author=buyer,
                order_number="R1",
                rating=rating,
                text="",
                completed_order_check=completed,
            )
        assert not Review.objects.exists()

    def test_text_longer_than_500_is_refused(self, buyer):
        common = {
            "solution": PublishedSolutionFactory(),
            "company": buyer.company,
            "author": buyer,
            "rating": 3,
            "completed_order_check": completed,
        }
        with pytest.raises(CatalogError):
            review_submit(order_number="T1", text="字" * 501, **common)
        review_submit(order_number="T2", text="字" * 500, **common)
        assert Review.objects.count() == 1

    def test_author_must_belong_to_the_company(self, buyer):
        with pytest.raises(CatalogError):
            review_submit(
                solution=PublishedSolutionFactory(),
                company=CompanyFactory(),
                author=buyer,
                order_number="A1",
                rating=3,
                text="",
                completed_order_check=completed,
            )

    def test_averages_are_maintained_and_hidden_reviews_excluded(self, buyer, superuser):
        solution = PublishedSolutionFactory()
        reviews = [
            review_submit(
                solution=solution,
                company=buyer.company,
                author=buyer,
                order_number=f"ORD{i}",
                rating=rating,
                text="",
                completed_order_check=completed,
            )
            for i, rating in enumerate([5, 4, 2])
        ]
        solution.refresh_from_db()
        assert solution.rating_count == 3
        assert solution.rating_avg == Decimal("3.67")

        review_set_hidden(review=reviews[2], hidden=True, actor=superuser)
        solution.refresh_from_db()
        assert solution.rating_count == 2
        assert solution.rating_avg == Decimal("4.50")
        assert Review.objects.get(pk=reviews[2].pk).is_hidden

        review_set_hidden(review=reviews[0], hidden=True, actor=superuser)
        review_set_hidden(review=reviews[1], hidden=True, actor=superuser)
        solution.refresh_from_db()
        assert solution.rating_count == 0 and solution.rating_avg == Decimal("0")

        review_set_hidden(review=reviews[2], hidden=False, actor=superuser)
        solution.refresh_from_db()
        assert solution.rating_count == 1 and solution.rating_avg == Decimal("2.00")
