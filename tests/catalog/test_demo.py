"""Demo catalog: idempotent, and carries the manual's solutions, SKUs and prices."""

from decimal import Decimal

import pytest
from PIL import Image

from catalog.models import Banner, Category, IndustryGroup, NewsItem, Sku, Solution
from fixtures.catalog_demo import SOLUTIONS, load_catalog

pytestmark = pytest.mark.django_db

MODELS = (Category, Solution, Sku, Banner, NewsItem, IndustryGroup)


def _counts() -> dict[str, int]:
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts["history"] = Solution.history.count() + Sku.history.count()
    counts["links"] = Solution.categories.through.objects.count()
    return counts


@pytest.fixture
def loaded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    created = load_catalog()
    return created


def test_second_run_creates_and_changes_nothing(loaded):
    assert loaded > 0
    before = _counts()
    assert load_catalog() == 0
    assert _counts() == before


def test_categories_of_the_manual(loaded):
    tops = list(Category.objects.filter(parent__isnull=True).values_list("name", flat=True))
    assert tops == ["商务服务", "云与应用", "备份与迁移", "安全服务", "其他"]
    business = Category.objects.get(name="商务服务")
    assert list(business.children.values_list("name", flat=True)) == [
        "商务与法规",
        "托管服务",
        "运营服务",
    ]
    assert all(Category.objects.get(parent__isnull=True, name=n).children.exists() for n in tops)


def test_solutions_skus_and_prices(loaded):
    assert Solution.objects.count() == len(SOLUTIONS)
    saasame = Solution.objects.get(slug="saasame-transport")
    assert saasame.summary.startswith("SaaSaMe Transport 是一款 P2C（物理机到云）")
    plans = dict(saasame.skus.values_list("plan_name", "unit_price"))
    assert plans["SaaSaMe Transport 迁移至蓝云"] == Decimal("1188.00")
    assert "SaaSaMe Transport DR" in plans
    assert "产品特点" in saasame.details_html and "陕西省国家税务局" in saasame.cases_html
    assert "<script" not in saasame.details_html
    assert {s.slug for s in saasame.related.all()} >= {"cloudatlas-unify-cloud", "skyaudit"}

    office = Sku.objects.get(code="S-ZXX-PLA-OFF-N-OOXX-CRR")
    assert (office.region, office.currency, office.unit_price) == ("hk", "HKD", Decimal("57.75"))
    assert office.solution.name == "Office 365 Business Premium"

    product_x = Sku.objects.get(code="B-BLU-TES-PRO-N-PLAN-XXX")
    assert (product_x.plan_name, product_x.unit_price) == ("基础版", Decimal("0.01"))
    assert product_x.solution.name == "Z_Product X" and product_x.solution.trial_enabled

    assert Sku.objects.get(code="S-WXX-DES-SKY-P-SSSX-BCD").unit_price == Decimal("10.70")
    assert Sku.objects.get(code="S-BLU-HYB-QYG-P-QYGJ-DEC").unit_price == Decimal("188.00")
    service = Sku.objects.get(code="M-JXX-BUS-PLA-P-SXXX-DEC")
    assert service.kind == "service" and service.unit_price == Decimal("1.00")
    assert [p["label"] for p in service.parameters] == ["租户ID", "管理员邮箱"]
    assert set(Sku.objects.values_list("tax_rate", flat=True)) == {
        Decimal("6.00"),
        Decimal("13.00"),
    }
    for name in (
        "BitTitan数据迁移工具",
        "CloudAtlas (Unify Cloud) 一站式上云迁移管理套件",
        "SKYAUDIT",
        "InfoCore Steamer 信核业务快速恢复系统（备份及灾备解决方案）",
        "5Nine Cloud Manager & Security for Azure",
        '"精诚1号"云主机',
        "AgilePoint Cloud",
        "AP Elements Fly-Office 365 数据迁移专家",
        "Quest 邮件归档与搜索",
        "OneSight营销云",
        "蓝云用户连接服务",
    ):
        assert Solution.objects.filter(name=name).exists(), name


def test_all_published_but_the_draft_and_some_pinned(loaded):
    assert list(Solution.objects.filter(is_published=False).values_list("name", flat=True)) == [
        "草稿"
    ]
    assert Solution.objects.filter(pinned_rank__isnull=False, is_published=True).count() >= 3
    for solution in Solution.objects.filter(is_published=True):
        assert solution.skus.filter(is_active=True).exists()
        assert solution.categories.filter(parent__isnull=False).exists()
        assert solution.search_document


def test_generated_images_banners_and_news(loaded, tmp_path):
    for solution in Solution.objects.all():
        assert solution.logo.name.startswith("catalog/logos/")
        with Image.open(solution.logo.path) as image:
            assert image.size == (256, 256)
    banners = Banner.objects.filter(position="home_carousel", is_active=True)
    assert banners.count() == 2
    for banner in banners:
        assert banner.image.name.startswith("catalog/banners/")
        assert (tmp_path / banner.image.name).exists()
        assert banner.link_url.startswith("/solutions/")
    assert NewsItem.objects.filter(is_published=True).count() == 3
