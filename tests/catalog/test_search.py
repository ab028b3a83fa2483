"""Keyword search (关键字搜索): runs on SQLite and on PostgreSQL (trigram index).

PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/storefront_helper
.venv/bin/pytest tests/catalog/test_search.py
"""

from decimal import Decimal

import pytest
from django.db import connection

from catalog import selectors
from catalog.services import solution_search_document_refresh
from tests.catalog.factories import CategoryFactory, SkuFactory, SolutionFactory

pytestmark = pytest.mark.django_db


# slug, name, summary, provider, published, its one SKU
SOLUTIONS = (
    (
        "saasame",
        "SaaSaMe Transport",
        "P2C、V2C、C2C 线上及线下工作负载双向迁移的轻软件工具",
        "SaaSaMe",
        True,
        {
            "code": "S-BLU-BUS-PLA-P-PLAN-ABD",
            "plan_name": "SaaSaMe Transport 迁移至蓝云",
            "unit_price": Decimal("1188"),
        },
    ),
    (
        "migrator",
        "数据迁移专家",
        "Office 365 mailbox migration",
        "AP Elements",
        True,
        {"code": "S-WXX-DES-SKY-P-SSSX-BCD", "plan_name": "基础版"},
    ),
    (
        "quest",
        "Quest 邮件归档与搜索",
        "Email archiving and eDiscovery",
        "Quest Software",
        True,
        {"code": "M-JXX-ARC-QST-N-ARCH-DEC", "plan_name": "服务实施项"},
    ),
    (
        "draft",
        "迁移草稿 Transport Draft",
        "草稿",
        "SaaSaMe",
        False,
        {"code": "S-BLU-BUS-DRF-P-PLAN-XYZ", "plan_name": "草稿计划"},
    ),
)


@pytest.fixture
def catalogue():
    """Three published solutions and a draft in one sub-category, each with one SKU."""
    top = CategoryFactory(name="备份与迁移", slug="backup")
    sub = CategoryFactory(name="迁移工具", slug="migration-tools", parent=top)
    solutions = {}
    for slug, name, summary, provider, published, sku in SOLUTIONS:
        solutions[slug] = SolutionFactory(
            name=name,
            slug=slug,
            summary=summary,
            provider=provider,
            published=published,
            categories=[sub],
            with_sku=False,
        )
        SkuFactory(solution=solutions[slug], **sku)
    solution_search_document_refresh(solution_ids=[s.pk for s in solutions.values()])
    return solutions


def _slugs(q: str, page=1) -> list[str]:
    return [s.slug for s in selectors.search_solutions(q, page).object_list]


def test_chinese_term_matches_name_summary_and_plan(catalogue):
    found = _slugs("迁移")
    # Name contains the term first, then matches in other fields; the draft never.
    assert found[:2] == ["migrator", "saasame"]
    assert "draft" not in found


def test_english_word_and_partial_word(catalogue):
    assert _slugs("archiving")[0] == "quest"
    assert _slugs("Transport")[0] == "saasame"
    assert _slugs("transp")[0] == "saasame"  # partial word
    assert _slugs("mailbox")[0] == "migrator"
    for q in ("archiving", "Transport", "transp", "mailbox"):
        assert "draft" not in _slugs(q)


def test_provider_matches(catalogue):
    assert _slugs("AP Elements")[0] == "migrator"
    assert _slugs("quest software")[0] == "quest"


def test_sku_code_full_partial_and_case_insensitive(catalogue):
    assert _slugs("S-BLU-BUS-PLA-P-PLAN-ABD") == ["saasame"]
    assert _slugs("S-BLU-BUS")[0] == "saasame"
    assert "draft" not in _slugs("S-BLU-BUS")
    assert _slugs("s-blu-bus")[0] == "saasame"
    assert _slugs("m-jxx-arc")[0] == "quest"


def test_all_terms_must_match(catalogue):
    assert _slugs("quest 归档")[0] == "quest"
    assert "saasame" not in _slugs("quest 归档")


def test_name_matches_rank_before_other_fields():
    other = SolutionFactory(name="Backup Suite", summary="works with Azure", published=True)
    exact = SolutionFactory(name="Azure", summary="", published=True)
    prefix = SolutionFactory(name="Azure Migrate", summary="", published=True)
    inside = SolutionFactory(name="Windows Azure Pack", summary="", published=True)
    solution_search_document_refresh(solution_ids=[other.pk, exact.pk, prefix.pk, inside.pk])
    assert _slugs("azure")[:4] == [exact.slug, prefix.slug, inside.slug, other.slug]


def test_unpublished_is_never_found(catalogue):
    for q in ("草稿", "Draft", "S-BLU-BUS-DRF-P-PLAN-XYZ", "迁移草稿"):
        assert "draft" not in _slugs(q), q


def test_empty_query_returns_an_empty_page(catalogue):
    assert _slugs("") == []
    assert _slugs("   ") == []


def test_search_page_renders_results(client, catalogue):
    response = client.get("/search/", {"q": "迁移"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "数据迁移专家" in html and "SaaSaMe Transport" in html
    assert "迁移草稿" not in html  # nowhere, not even in the mega-menu
    assert "“迁移”的搜索结果" in html


def test_empty_result_page_suggests_categories(client, catalogue):
    response = client.get("/search/", {"q": "完全不存在的产品qqq"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-empty="search"' in html
    assert "data-suggestions" in html
    assert 'href="/solutions/category/backup/"' in html and "备份与迁移" in html


def test_blank_search_page_prompts_for_a_keyword(client, catalogue):
    response = client.get("/search/")
    assert response.status_code == 200
    assert "请输入关键字搜索方案" in response.content.decode()


def test_pagination_is_15_per_page(client):
    solutions = [
        SolutionFactory(name=f"Paged Widget {i:02d}", slug=f"paged-{i:02d}", published=True)
        for i in range(20)
    ]
    solution_search_document_refresh(solution_ids=[s.pk for s in solutions])
    first = selectors.search_solutions("paged widget", 1)
    assert first.paginator.count == 20 and len(first.object_list) == 15
    assert len(selectors.search_solutions("paged widget", 2).object_list) == 5
    assert selectors.search_solutions("paged widget", "abc").number == 1
    assert selectors.search_solutions("paged widget", 99).number == 2
    html = client.get("/search/", {"q": "paged widget", "page": 2}).content.decode()
    html = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert "Paged Widget 19" in html and "Paged Widget 00" not in html
    assert 'aria-current="page">2<' in html


def test_overlong_query_is_truncated_without_error(client, catalogue):
    long_q = "迁移" * 80  # 160 characters
    assert len(selectors.normalise_query(long_q)) == selectors.SEARCH_MAX_LENGTH
    response = client.get("/search/", {"q": long_q})
    assert response.status_code == 200
    html = response.content.decode()
    assert "已截取前 100 个字符" in html
    heading = html.split('<h1 class="section-title">', 1)[1].split("</h1>", 1)[0]
    assert "迁移" * 50 in heading and "迁移" * 51 not in heading
    response = client.get("/products/", {"q": "x" * 5000})
    assert response.status_code == 200


def test_search_runs_on_the_configured_backend(catalogue):
    """On PostgreSQL the trigram index exists and near misses are found too."""
    if connection.vendor != "postgresql":
        assert _slugs("transport")[0] == "saasame"
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_solution_search_trgm'"
        )
        row = cursor.fetchone()
    assert row and "gin_trgm_ops" in row[0]
    assert "saasame" in _slugs("transprot")  # typo, caught by word similarity


def test_listing_selectors_share_the_backend_sql(catalogue):
    """The window/subquery SQL of the other storefront selectors also runs on this backend."""
    sub = catalogue["saasame"].categories.get()
    assert [s.slug for s in selectors.category_tabs(limit=1)[sub.parent_id]] == ["quest"]
    assert [s.slug for s in selectors.category_tabs()[sub.parent_id]] == [
        "quest",
        "saasame",
        "migrator",
    ]
    assert [s.slug for s in selectors.hot_solutions(2)] == ["quest", "saasame"]
    assert selectors.category_solutions(sub.parent, 1).paginator.count == 3
    assert selectors.all_solutions(1, category=sub, q="迁移").paginator.count == 2
    detail = selectors.solution_detail("saasame")
    assert [s.code for s in detail.active_skus] == ["S-BLU-BUS-PLA-P-PLAN-ABD"]
    assert [s.slug for s in selectors.menu_tree()[0].children[0].solutions] == [
        "quest",
        "saasame",
        "migrator",
    ]
