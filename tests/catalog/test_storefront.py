"""Storefront pages: home, catalogue and category pages, 产品中心， solution detail, media."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.portal.context_processors_catalog import catalog_menu
from backoffice.portal.templatetags.portal_money import money
from catalog import selectors
from catalog.models import BannerPosition, Region, Review, Sku, Solution
from catalog.services import solution_search_document_refresh
from tests.catalog.factories import (
    BannerFactory,
    CategoryFactory,
    NewsItemFactory,
    SkuFactory,
    SolutionFactory,
    solution_with_skus,
    storefront_categories,
)
from tests.partners.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    """Two top categories with one child each, two published solutions and a draft."""
    categories = storefront_categories()
    alpha = solution_with_skus(
        name="Alpha Cloud Manager",
        slug="alpha",
        summary="Manage Azure subscriptions",
        categories=[categories["managed"]],
        skus=[
            {
                "code": "S-ALP-BUS-MGR-P-BASE-AAA",
                "plan_name": "基础版",
                "unit_price": Decimal("100.00"),
            },
            {
                "code": "S-ALP-BUS-MGR-P-PROX-AAB",
                "plan_name": "专业版",
                "unit_price": Decimal("1188.00"),
            },
            {
                "code": "S-ALP-BUS-MGR-P-HKXX-AAC",
                "plan_name": "香港版",
                "region": Region.HONG_KONG,
                "currency": "HKD",
                "unit_price": Decimal("57.75"),
            },
        ],
    )
    migrator = solution_with_skus(
        name="数据迁移专家",
        slug="migrator",
        summary="Office 365 数据迁移",
        categories=[categories["migration"]],
        skus=[{"code": "S-MIG-MIG-EXP-P-PLAN-BBB", "unit_price": Decimal("0.01")}],
    )
    draft = SolutionFactory(
        name="草稿方案Zeta", slug="zeta-draft", categories=[categories["managed"]], with_sku=False
    )
    SkuFactory(solution=draft, code="S-ZET-BUS-DRF-P-PLAN-CCC")
    alpha.related.add(draft, migrator)
    solution_search_document_refresh(solution_ids=[alpha.pk, migrator.pk, draft.pk])
    return {
        **categories,
        "alpha": alpha,
        "migrator": migrator,
        "draft": draft,
    }


def _html(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _main(html: str) -> str:
    """The page body without header (mega-menu) and footer."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _price(html: str) -> str:
    match = re.search(r"data-price[^>]*>([^<]+)<", html)
    assert match, "no price element"
    return match.group(1).strip()


# --------------------------------------------------------------------------
# Home
# --------------------------------------------------------------------------


def test_home_with_data_shows_carousel_hot_tabs_news_and_ads(client, shop):
    BannerFactory(title="春季上云季", link_url="/solutions/alpha/")
    BannerFactory(title="第二张", link_url="javascript:alert(1)")
    BannerFactory(
        title="过期横幅",
        ends_at=timezone.now() - timedelta(days=1),
        starts_at=timezone.now() - timedelta(days=3),
    )
    BannerFactory(title="未来横幅", starts_at=timezone.now() + timedelta(days=1))
    BannerFactory(title="停用横幅", is_active=False)
    BannerFactory(
        title="首页广告", position=BannerPosition.HOME_AD, link_url="https://example.com/x"
    )
    NewsItemFactory(title="蓝云发布新版本", summary="新功能上线")
    NewsItemFactory(title="草稿新闻", is_published=False)

    html = _html(client, "/")

    assert "data-carousel" in html
    assert "春季上云季" in html and "第二张" in html
    assert 'href="/solutions/alpha/"' in html
    assert "javascript:" not in html  # unsafe banner links are dropped
    for hidden in ("过期横幅", "未来横幅", "停用横幅", "草稿新闻"):
        assert hidden not in html
    assert "首页广告" in html and 'href="https://example.com/x"' in html
    assert "热门解决方案" in html
    assert "Alpha Cloud Manager" in html and "数据迁移专家" in html
    assert "¥100.00" in html  # price from the cheapest active SKU
    assert "¥0.01" in html
    assert "全部方案" in html and "商务服务" in html and "备份与迁移" in html
    assert 'href="/solutions/category/business/"' in html  # tabs link to category pages
    assert "新闻动态" in html and "蓝云发布新版本" in html
    assert 'data-empty="hot"' not in html and 'data-empty="news"' not in html
    assert "草稿方案Zeta" not in html


def test_home_empty_catalogue_shows_empty_states(client):
    html = _html(client, "/")
    assert 'data-empty="hot"' in html
    assert 'data-empty="news"' in html
    assert "data-carousel" not in html
    assert "热门解决方案" in html and "全部方案" in html


def test_home_tab_panel_of_a_top_category_holds_its_childrens_solutions(client, shop):
    html = _html(client, "/")
    panel = html.split(f'data-tab-panel="c{shop["backup"].pk}"', 1)[1].split(
        "</div>\n    </div>", 1
    )[0]
    assert "数据迁移专家" in panel
    assert "Alpha Cloud Manager" not in panel


def test_hot_solutions_order_pinned_then_sales_then_rating():
    low = SolutionFactory(name="A low", published=True)
    rated = SolutionFactory(name="B rated", published=True, rating_avg=Decimal("4.5"))
    sold = SolutionFactory(name="C sold", published=True, paid_order_count=20)
    pinned = SolutionFactory(name="D pinned", published=True, pinned_rank=1)
    SolutionFactory(name="E hidden", pinned_rank=0)  # unpublished
    assert [s.name for s in selectors.hot_solutions(10)] == [
        pinned.name,
        sold.name,
        rated.name,
        low.name,
    ]


# --------------------------------------------------------------------------
# Catalogue, category pages and product centre
# --------------------------------------------------------------------------


def test_top_category_page_lists_its_childrens_solutions(client, shop):
    html = _main(_html(client, "/solutions/category/business/"))
    assert "Alpha Cloud Manager" in html
    assert "数据迁移专家" not in html
    assert "托管服务" in html  # sub-category chips
    html = _main(_html(client, "/solutions/category/migration/"))
    assert "数据迁移专家" in html and "Alpha Cloud Manager" not in html


def test_solution_in_two_children_is_listed_once(client, shop):
    other = CategoryFactory(name="运营服务", slug="operations", parent=shop["business"])
    shop["alpha"].categories.add(other)
    page = selectors.category_solutions(shop["business"], 1)
    assert [s.slug for s in page.object_list] == ["alpha"]


def test_unknown_or_inactive_category_is_404(client, shop):
    assert client.get("/solutions/category/nope/").status_code == 404
    shop["backup"].is_active = False
    shop["backup"].save()
    assert client.get("/solutions/category/migration/").status_code == 404


def test_catalogue_page_lists_all_with_left_menu(client, shop):
    html = _html(client, "/solutions/")
    assert "多品类解决方案" in html
    assert "ALL" in html and "全部方案" in html
    assert "Alpha Cloud Manager" in html and "数据迁移专家" in html


def test_products_page_has_search_recommended_and_filters(client, shop):
    html = _html(client, "/products/")
    assert "产品中心" in html and "请输入需要的商品" in html and "推荐" in html
    html = _main(_html(client, "/products/", q="迁移"))
    assert "数据迁移专家" in html and "Alpha Cloud Manager" not in html
    html = _main(_html(client, "/products/", category="business"))
    assert "Alpha Cloud Manager" in html and "数据迁移专家" not in html


def test_unpublished_solutions_never_appear(client, shop):
    name = "草稿方案Zeta"
    for url, params in [
        ("/", {}),
        ("/solutions/", {}),
        ("/solutions/category/business/", {}),
        ("/solutions/category/managed/", {}),
        ("/products/", {}),
        ("/products/", {"q": "zeta"}),
        ("/search/", {"q": "草稿"}),
        ("/search/", {"q": "S-ZET"}),
        ("/solutions/alpha/", {}),  # alpha lists the draft as related
    ]:
        assert name not in _html(client, url, **params), url
    menu = render_to_string(
        "portal/catalog/_mega_menu.html", {"catalog_menu": selectors.menu_tree()}
    )
    assert "Alpha Cloud Manager" in menu and name not in menu
    assert client.get("/solutions/zeta-draft/").status_code == 404
    assert client.get("/solutions/zeta-draft/trial/").status_code == 404


# --------------------------------------------------------------------------
# Mega-menu
# --------------------------------------------------------------------------


def test_menu_tree_shape_and_cache(django_assert_num_queries, settings, shop):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "menu"}
    }
    with django_assert_num_queries(3):
        tree = selectors.menu_tree()
    assert [top.name for top in tree] == ["商务服务", "备份与迁移"]
    assert [c.name for c in tree[0].children] == ["托管服务"]
    assert [s.slug for s in tree[0].children[0].solutions] == ["alpha"]
    with django_assert_num_queries(0):
        selectors.menu_tree()
    cache.clear()
    with django_assert_num_queries(3):
        selectors.menu_tree()


def test_menu_labels_follow_the_language(shop):
    from django.utils import translation

    with translation.override("en"):
        assert selectors.menu_tree()[0].name == "Business services"
    with translation.override("zh-hans"):
        assert selectors.menu_tree()[0].name == "商务服务"


def test_menu_context_processor_is_lazy(django_assert_num_queries, shop):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        context = catalog_menu(request)
    with django_assert_num_queries(3):
        assert len(context["catalog_menu"]) == 2


def test_mega_menu_template_has_view_all_link_and_categories(shop):
    html = render_to_string(
        "portal/catalog/_mega_menu.html", {"catalog_menu": selectors.menu_tree()}
    )
    assert 'href="/products/"' in html and "查看所有产品" in html
    assert 'href="/solutions/category/business/"' in html
    assert 'href="/solutions/category/managed/"' in html
    assert 'href="/solutions/alpha/"' in html


# --------------------------------------------------------------------------
# Solution detail
# --------------------------------------------------------------------------


def test_detail_shows_header_tabs_contact_and_related(client, shop):
    alpha = shop["alpha"]
    alpha.details_html = "<p>产品特点：自动化</p>"
    alpha.trial_enabled = True
    alpha.save()
    company = CompanyFactory(name="测评公司")
    Review.objects.create(solution=alpha, company=company, order_number="O1", rating=4, text="不错")
    Review.objects.create(
        solution=alpha,
        company=company,
        order_number="O2",
        rating=1,
        text="隐藏的评价",
        is_hidden=True,
    )
    html = _html(client, "/solutions/alpha/")
    for label in (
        "售价",
        "描述",
        "星级评分",
        "售卖区域",
        "购买计划",
        "购买数量",
        "立即购买",
        "加入购物车",
        "方案详情",
        "成功案例",
        "资源",
        "技术支持",
        "用户协议",
        "评价",
        "联系我们",
        "在线咨询",
        "提交工单",
        "在线时间",
        "9:00-18:00",
        "bcss-support@oe.21vianet.com",
        "相关推荐",
    ):
        assert label in html, label
    assert "申请试用" in html and 'href="/solutions/alpha/trial/"' in html
    assert "产品特点：自动化" in html
    assert "测评公司" in html and "不错" in html and "隐藏的评价" not in html
    assert "数据迁移专家" in html  # related, published
    assert "中国大陆" in html and "香港" in html
    # Ordering is live (tests/billing/test_portal_cart.py): the buttons post to the cart.
    assert 'action="/cart/add/"' in html and 'formaction="/checkout/buy-now/"' in html
    assert "data-pending" not in html
    assert 'id="sku-data"' in html


def test_detail_query_param_sku_switches_the_price(client, shop):
    html = _html(client, "/solutions/alpha/")
    assert _price(html) == "¥100.00"
    html = _html(client, "/solutions/alpha/", sku="S-ALP-BUS-MGR-P-PROX-AAB")
    assert _price(html) == "¥1,188.00"
    assert 'name="sku" value="S-ALP-BUS-MGR-P-PROX-AAB"' in html
    html = _html(client, "/solutions/alpha/", sku="S-ALP-BUS-MGR-P-HKXX-AAC")
    assert _price(html) == "HK$57.75"
    # An unknown or inactive code falls back to the default plan.
    Sku.objects.filter(code="S-ALP-BUS-MGR-P-PROX-AAB").update(is_active=False)
    html = _html(client, "/solutions/alpha/", sku="S-ALP-BUS-MGR-P-PROX-AAB")
    assert _price(html) == "¥100.00"
    assert "专业版" not in _main(html)


def test_detail_of_unknown_solution_is_404(client):
    assert client.get("/solutions/nothing-here/").status_code == 404


def test_money_filter_formats_per_currency():
    assert money(Decimal("1188"), "CNY") == "¥1,188.00"
    assert money(Decimal("182400"), "USD") == "$182,400.00"
    assert money(Decimal("57.75"), "HKD") == "HK$57.75"
    assert money(Decimal("0.005"), "CNY") == "¥0.01"
    assert money(None, "CNY") == ""
    with pytest.raises(TypeError):
        money(1.5, "CNY")


# --------------------------------------------------------------------------
# Media: only catalogue files are public
# --------------------------------------------------------------------------


def test_catalog_media_is_public_and_private_files_are_not(client):
    public = settings.MEDIA_ROOT / "catalog" / "logos" / "test-logo.png"
    public.parent.mkdir(parents=True, exist_ok=True)
    public.write_bytes(b"\x89PNG\r\n\x1a\n")
    private = settings.MEDIA_ROOT / "private" / "secret.pdf"
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_bytes(b"%PDF-1.4 secret")
    try:
        response = client.get("/media/catalog/logos/test-logo.png")
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert client.get("/media/private/secret.pdf").status_code == 404
        assert client.get("/media/catalog/../private/secret.pdf").status_code == 404
        assert client.get("/media/catalog/%2e%2e/private/secret.pdf").status_code == 404
        assert client.get("/media/catalog/logos/").status_code == 404
    finally:
        public.unlink()
        private.unlink()


# --------------------------------------------------------------------------
# Query counts stay constant as the catalogue grows
# --------------------------------------------------------------------------


def _grow(total: int, category, related_to: Solution, company) -> None:
    """Bulk-insert published solutions (each with a SKU, linked, related and reviewed)."""
    start = Solution.objects.count()
    solutions = Solution.objects.bulk_create(
        [
            Solution(
                name=f"Bulk solution {i:04d}",
                slug=f"bulk-{i:04d}",
                summary="bulk",
                provider="Bulk Vendor",
                is_published=True,
                published_at=timezone.now(),
                search_document=f"bulk solution {i:04d} bulk vendor s-blk-{i:04d}",
            )
            for i in range(start, total)
        ]
    )
    through = Solution.categories.through
    through.objects.bulk_create(
        [through(solution_id=s.pk, category_id=category.pk) for s in solutions]
    )
    Sku.objects.bulk_create(
        [
            Sku(solution=s, code=f"S-BLK-{s.pk:06d}", plan_name="基础版", unit_price=Decimal("10"))
            for s in solutions
        ]
    )
    related_to.related.add(*solutions)
    Review.objects.bulk_create(
        [
            Review(solution=related_to, company=company, order_number=f"BULK{s.pk}", rating=5)
            for s in solutions
        ]
    )


def _queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


PAGES = [
    "/",
    "/solutions/",
    "/solutions/category/business/",
    "/solutions/category/managed/",
    "/products/",
    "/products/?q=bulk",
    "/search/?q=bulk",
    "/search/?q=s-blk",
    "/solutions/alpha/",
]


def test_query_counts_do_not_grow_with_the_catalogue(client, shop):
    BannerFactory()
    NewsItemFactory()
    company = CompanyFactory()
    _grow(10, shop["managed"], shop["alpha"], company)
    small = {url: _queries(client, url) for url in PAGES}
    _grow(1010, shop["managed"], shop["alpha"], company)
    assert Solution.objects.filter(is_published=True).count() > 1000
    large = {url: _queries(client, url) for url in PAGES}
    assert large == small
    # And the budgets themselves stay small (menu cache cold on every request).
    assert max(small.values()) <= 12, small


def test_the_all_badge_is_chinese_only(client, shop):
    """ALL全部方案 in Chinese; English reads "All solutions", not "ALLAll solutions"."""
    client.cookies["django_language"] = "en"
    html = _html(client, "/solutions/")
    assert "All solutions" in html and ">ALL<" not in html
