"""Search cost and ranking: a fixed number of queries, the same results as the reference.

``catalog.selectors`` reads the ranked ids of every match in one query and the cards of
the page in a second (PostgreSQL adds a statement that tunes the ranking query inside a
short transaction). These tests pin the query count, the ranking (against a plain
restatement of the rules, as the selector computed them before), and on PostgreSQL that
the trigram index serves the similarity and that the tuning does not leak.

PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/storefront_helper
.venv/bin/pytest tests/catalog/test_search_queries.py
"""

import pytest
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.test.utils import CaptureQueriesContext

from catalog import selectors
from catalog.models import Solution
from catalog.services import solution_search_document_refresh
from tests.catalog.factories import CategoryFactory, SolutionFactory

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def _solutions(names: list[str], **kwargs) -> list[Solution]:
    solutions = [SolutionFactory(name=name, published=True, **kwargs) for name in names]
    solution_search_document_refresh(solution_ids=[s.pk for s in solutions])
    return solutions


def _search_queries() -> int:
    """Ranked ids and the page's cards; PostgreSQL sets up the ranking query first."""
    return 3 if POSTGRES else 2


def _reference_ids(queryset, term: str) -> list[int]:
    """The ranking rules restated in one plain query: every word appears (or, on
    PostgreSQL, the word similarity reaches the threshold); exact name, name prefix,
    name contains, then similarity, name and pk."""
    lowered = term.lower()
    lookup = "search_document__contains" if POSTGRES else "search_document__icontains"
    matches_all = Q()
    for word in lowered.split():
        matches_all &= Q(**{lookup: word})
    name_rank = Case(
        When(name__iexact=term, then=Value(0)),
        When(name__istartswith=term, then=Value(1)),
        When(name__icontains=term, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    if POSTGRES:
        from django.contrib.postgres.search import TrigramWordSimilarity

        queryset = queryset.annotate(
            similarity=TrigramWordSimilarity(Value(lowered), "search_document")
        ).filter(matches_all | Q(similarity__gte=selectors.TRIGRAM_THRESHOLD))
        order = [name_rank.asc(), F("similarity").desc(), "name", "pk"]
    else:
        queryset = queryset.filter(matches_all)
        order = [name_rank.asc(), "name", "pk"]
    return list(queryset.order_by(*order).values_list("pk", flat=True))


def _card_fields(page) -> list[tuple]:
    return [(s.slug, s.from_price, s.from_currency) for s in page.object_list]


def test_search_runs_a_fixed_number_of_queries(django_assert_num_queries):
    """Three matches or forty, with card data read: the same queries."""
    _solutions([f"Widget {i:02d}" for i in range(3)])
    with django_assert_num_queries(_search_queries()):
        page = selectors.search_solutions("widget")
        cards = _card_fields(page)
    assert page.paginator.count == 3 and len(cards) == 3
    assert all(price is not None for _, price, _ in cards)

    _solutions([f"Widget {i:02d}" for i in range(3, 43)])
    with django_assert_num_queries(_search_queries()):
        page = selectors.search_solutions("widget", 2)
        cards = _card_fields(page)
    assert page.paginator.count == 43 and page.number == 2 and len(cards) == 15


def test_no_match_skips_the_card_query(django_assert_num_queries):
    _solutions(["Widget"])
    with django_assert_num_queries(_search_queries() - 1):
        page = selectors.search_solutions("完全不存在的产品qqq")
        assert list(page.object_list) == [] and page.paginator.count == 0


def test_search_page_query_count_does_not_grow_with_matches(client):
    """The whole page, with warm caches (the mega-menu is cached for a minute)."""
    _solutions([f"Gadget {i:02d}" for i in range(2)])
    client.get("/search/", {"q": "gadget"})
    with CaptureQueriesContext(connection) as few:
        assert client.get("/search/", {"q": "gadget"}).status_code == 200
    _solutions([f"Gadget {i:02d}" for i in range(2, 40)])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/search/", {"q": "gadget"})
    assert response.status_code == 200 and "Gadget 14" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.fixture
def mixed_catalogue():
    """Names and codes that put every ranking rule to work, near misses included."""
    top = CategoryFactory(name="云", slug="cloud")
    sub = CategoryFactory(name="迁移", slug="cloud-migration", parent=top)
    names = [
        "Azure",
        "Azure Migrate",
        "Windows Azure Pack",
        "Azrue Backup",  # typo: only the similarity finds it
        "Backup for azure workloads",
        "AZURE 迁移服务",
        "迁移专家",
        "数据迁移 Azure",
        "Transport",
        "Transprot Lite",
        "bn-00042 网关",
        "bn-00041 网关",
        "bn-00420 网关",
        "Unrelated Product",
    ]
    solutions = _solutions(names, categories=[sub])
    _solutions(["Azure Other Category", "迁移 其他"])
    hidden = SolutionFactory(name="Azure Draft", categories=[sub])
    solution_search_document_refresh(solution_ids=[hidden.pk])
    return {"sub": sub, "top": top, "solutions": solutions}


@pytest.mark.parametrize(
    "term",
    ["azure", "Azure", "AZURE 迁移", "迁移", "transport", "transprot", "bn-00042", "bn", "网关"],
)
def test_ranking_matches_the_reference(mixed_catalogue, term):
    expected = _reference_ids(selectors.published(), term)
    assert expected, term
    page = selectors.search_solutions(term)
    assert page.paginator.count == len(expected)
    assert [s.pk for s in page.object_list] == expected[: selectors.PAGE_SIZE]
    assert selectors._ranked_ids(selectors.published(), term) == expected


@pytest.mark.parametrize("term", ["azure", "迁移", "bn-00042"])
def test_product_centre_search_keeps_the_category_and_the_ranking(mixed_catalogue, term):
    for category in (mixed_catalogue["sub"], mixed_catalogue["top"]):
        scope = selectors.published().filter(selectors._in_category(category))
        expected = _reference_ids(scope, term)
        page = selectors.all_solutions(1, category=category, q=term)
        assert [s.pk for s in page.object_list] == expected[: selectors.PAGE_SIZE]
        assert page.paginator.count == len(expected)
    assert "azure-draft" not in [s.slug for s in selectors.search_solutions("azure draft")]


@pytest.mark.postgres
def test_similarity_is_served_by_the_trigram_index(mixed_catalogue):
    """The ranking query's plan: no sequential scan, ``%>`` answered by the GIN index."""
    _solutions([f"Filler {i:03d}" for i in range(60)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_solution")
    with CaptureQueriesContext(connection) as captured:
        assert selectors.search_solutions("bn-00042").object_list
    statements = [q["sql"] for q in captured.captured_queries]
    setup = next(sql for sql in statements if "set_config" in sql)
    ranked = next(sql for sql in statements if "%>" in sql)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(setup)
        cursor.execute("EXPLAIN " + ranked)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "Bitmap Index Scan on catalog_solution_search_trgm" in plan, plan
    assert "Index Cond: (search_document %> " in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ranking_settings_do_not_outlive_the_search():
    """The threshold and the planner switch are transaction-local: the connection's own
    settings are back once the search returns (the typo is still found at 0.5)."""
    _solutions(["Transport"])
    with connection.cursor() as cursor:
        cursor.execute("SET pg_trgm.word_similarity_threshold = 0.9")
    try:
        assert [s.name for s in selectors.search_solutions("transprot").object_list] == [
            "Transport"
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('pg_trgm.word_similarity_threshold'), "
                "current_setting('enable_seqscan')"
            )
            assert cursor.fetchone() == ("0.9", "on")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET pg_trgm.word_similarity_threshold")
