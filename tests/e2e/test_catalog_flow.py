"""Browser walk through the storefront: home → 解决方案 mega-menu → category → search → detail.

The mega-menu part needs ``{% include "portal/catalog/_mega_menu.html" %}`` inside the
header's ``<li class="has-mega">`` in portal/base.html.
"""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from catalog.models import Region
from catalog.services import solution_search_document_refresh
from tests.catalog.factories import (
    BannerFactory,
    SolutionFactory,
    solution_with_skus,
    storefront_categories,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    cache.clear()
    categories = storefront_categories(
        managed="managed-services", backup="backup-migration", migration="migration-tools"
    )
    managed, migration = categories["managed"], categories["migration"]

    saasame = solution_with_skus(
        name="SaaSaMe Transport",
        slug="saasame-transport",
        summary="P2C、V2C、C2C 线上及线下工作负载双向迁移的轻软件工具",
        provider="SaaSaMe",
        trial_enabled=True,
        categories=[migration],
        details_html="<h3>产品特点</h3><p>自动化、因地制宜、无干扰</p>",
        skus=[
            {
                "code": "S-BLU-BUS-PLA-P-PLAN-ABD",
                "plan_name": "迁移至蓝云",
                "unit_price": Decimal("1188.00"),
            },
            {
                "code": "S-BLU-BUS-PLA-P-PLAN-ABE",
                "plan_name": "SaaSaMe Transport DR",
                "unit_price": Decimal("2388.50"),
            },
            {
                "code": "S-BLU-BUS-PLA-P-PLAN-HKX",
                "plan_name": "香港计划",
                "region": Region.HONG_KONG,
                "currency": "HKD",
                "unit_price": Decimal("57.75"),
            },
        ],
    )
    expert = solution_with_skus(
        name="数据迁移专家",
        slug="migration-expert",
        summary="Office 365 数据迁移",
        categories=[migration],
        skus=[{"code": "S-WXX-DES-SKY-P-SSSX-BCD", "unit_price": Decimal("0.01")}],
    )
    cloud = solution_with_skus(
        name="蓝云用户连接服务",
        slug="bluecloud-connect",
        summary="Managed connectivity",
        categories=[managed],
        skus=[{"code": "M-BLU-BUS-CON-N-CONN-AAA", "unit_price": Decimal("99.00")}],
    )
    draft = SolutionFactory(name="草稿方案", slug="draft", categories=[managed], with_sku=False)
    saasame.related.add(expert, draft)
    solution_search_document_refresh(solution_ids=[saasame.pk, expert.pk, cloud.pk, draft.pk])
    BannerFactory(title="上云迁移季", link_url="/solutions/saasame-transport/")
    BannerFactory(title="合作伙伴招募")
    return {"saasame": saasame}


def test_storefront_flow(live_server, page, block_external, screenshot_dir, shop):
    page.goto(f"{live_server.url}/")
    expect(page.locator("[data-hot]")).to_contain_text("SaaSaMe Transport")
    expect(page.locator(".carousel.is-ready")).to_be_visible()  # JS carousel is on
    expect(page.locator("body")).not_to_contain_text("草稿方案")
    # Category tabs switch in place.
    page.locator(".cat-tabs [role=tab]", has_text="备份与迁移").click()
    expect(page.locator(".cat-tabs [role=tabpanel]:visible")).to_contain_text("数据迁移专家")
    assert page.url.rstrip("/") == live_server.url.rstrip("/")
    page.screenshot(path=screenshot_dir / "storefront-home.png", full_page=True)

    # 解决方案 mega-menu: hover opens the panel, hovering a top category shows its children.
    page.locator(".has-mega > a").first.hover()
    menu = page.locator("[data-mega-menu]")
    expect(menu).to_be_visible()
    expect(menu.get_by_text("查看所有产品")).to_be_visible()
    menu.locator("[data-mega-top]", has_text="备份与迁移").hover()
    expect(menu.locator(".mega-panel.is-active")).to_contain_text("迁移工具")
    expect(menu.locator(".mega-panel.is-active")).to_contain_text("SaaSaMe Transport")
    page.screenshot(path=screenshot_dir / "storefront-mega-menu.png")
    menu.locator("[data-mega-top]", has_text="备份与迁移").click()

    # Category page lists the children's solutions.
    page.wait_for_url(re.compile(r"/solutions/category/backup-migration/$"))
    expect(page.locator(".sol-grid")).to_contain_text("SaaSaMe Transport")
    expect(page.locator(".sol-grid")).to_contain_text("数据迁移专家")
    expect(page.locator(".sol-grid")).not_to_contain_text("蓝云用户连接服务")
    page.screenshot(path=screenshot_dir / "storefront-category.png", full_page=True)

    # Search for a Chinese term, then for a SKU code (partial, lower case).
    page.get_by_placeholder("请搜索您需要的云产品").fill("迁移")
    page.get_by_placeholder("请搜索您需要的云产品").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    results = page.locator(".sol-grid")
    expect(results).to_contain_text("数据迁移专家")
    expect(results).to_contain_text("SaaSaMe Transport")
    expect(page.locator("body")).not_to_contain_text("草稿方案")
    page.get_by_placeholder("请搜索您需要的云产品").fill("s-blu-bus-pla")
    page.get_by_placeholder("请搜索您需要的云产品").press("Enter")
    page.wait_for_url(re.compile(r"q=s-blu-bus-pla"))
    # SQLite finds exactly the SKU's solution; PostgreSQL's trigram match may add near
    # misses, but the exact SKU match ranks first either way.
    expect(page.locator(".sol-card").first).to_contain_text("SaaSaMe Transport")
    page.screenshot(path=screenshot_dir / "storefront-search.png", full_page=True)
    page.locator(".sol-card", has_text="SaaSaMe Transport").click()

    # Detail: switch plan and region, the price follows without a reload.
    page.wait_for_url(re.compile(r"/solutions/saasame-transport/"))
    price = page.locator("[data-price]")
    expect(price).to_have_text("¥1,188.00")
    marker = page.evaluate("() => (window.__noReload = 1)")
    assert marker == 1
    page.locator("[data-sku]", has_text="SaaSaMe Transport DR").click()
    expect(price).to_have_text("¥2,388.50")
    assert page.evaluate("() => window.__noReload") == 1  # same document, no navigation
    assert page.locator("input[data-sku-input]").input_value() == "S-BLU-BUS-PLA-P-PLAN-ABE"
    assert "sku=S-BLU-BUS-PLA-P-PLAN-ABE" in page.url
    page.locator("[data-region]", has_text="中国香港").click()
    expect(price).to_have_text("HK$57.75")
    expect(page.locator("[data-sku]", has_text="迁移至蓝云")).to_be_hidden()
    page.locator("[data-region]", has_text="中国大陆").click()
    expect(price).to_have_text("¥1,188.00")

    # Quantity stepper and the order buttons (live: tests/e2e/test_checkout_flow.py).
    page.locator("[data-step='1']").click()
    assert page.locator("#quantity").input_value() == "2"
    expect(page.locator("[data-buy-now]")).to_be_enabled()

    # Tabs switch in place.
    page.locator("[role=tab]", has_text="评价").click()
    expect(page.locator("#panel-reviews")).to_be_visible()
    expect(page.locator("#panel-details")).to_be_hidden()
    page.locator("[role=tab]", has_text="方案详情").click()
    expect(page.locator("#panel-details")).to_contain_text("产品特点")
    expect(page.locator(".detail-side")).to_contain_text("数据迁移专家")
    expect(page.locator(".detail-side")).not_to_contain_text("草稿方案")
    page.screenshot(path=screenshot_dir / "storefront-detail.png", full_page=True)

    # 提交工单 opens the ticket dialog.
    page.locator("[data-ticket-link]").click()
    dialog = page.locator("dialog.catalog-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("在线创建工单")
    page.screenshot(path=screenshot_dir / "storefront-ticket-dialog.png")
    dialog.get_by_role("link", name="取消").click()
    expect(dialog).to_be_hidden()


BANNER_PARTS = """() => {
  const box = e => e.getBoundingClientRect();
  const img = document.querySelector('.carousel-slide.is-active img');
  const b = box(img);
  const scale = Math.min(b.width / img.naturalWidth, b.height / img.naturalHeight);
  return {
    image: {left: b.left, top: b.top, right: b.right, bottom: b.bottom},
    painted: [img.naturalWidth * scale, img.naturalHeight * scale, b.width, b.height],
    fit: getComputedStyle(img).objectFit,
    controls: [...document.querySelectorAll('.carousel-btn, .carousel-dots')].map(e => {
      const r = box(e); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
    }),
  };
}"""


def test_phone_banner_is_whole_and_its_controls_cover_none_of_it(
    live_server, page, block_external, screenshot_dir, shop
):
    """At 390 px the headline (drawn in the banner picture) is neither cropped nor under
    the arrows: the picture is shown whole and the arrows and dots sit in a bar below."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    expect(page.locator(".carousel.is-ready")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.carousel-slide.is-active img').naturalWidth > 0"
    )
    parts = page.evaluate(BANNER_PARTS)
    painted_w, painted_h, box_w, box_h = parts["painted"]
    assert parts["fit"] == "contain" and painted_w <= box_w + 0.5 and painted_h <= box_h + 0.5
    image = parts["image"]
    assert len(parts["controls"]) == 3  # ‹ › and the dots
    for control in parts["controls"]:
        assert control["top"] >= image["bottom"] - 0.5, (control, image)
    page.screenshot(path=screenshot_dir / "home-banner-390.png")


def test_detail_without_javascript_uses_sku_links(live_server, browser, shop):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/solutions/saasame-transport/")
        expect(page.locator("[data-price]")).to_have_text("¥1,188.00")
        page.locator("[data-sku]", has_text="SaaSaMe Transport DR").click()
        page.wait_for_url(re.compile(r"sku=S-BLU-BUS-PLA-P-PLAN-ABE"))
        expect(page.locator("[data-price]")).to_have_text("¥2,388.50")
        # Without JS the carousel is a stacked list: every banner is visible.
        page.goto(f"{live_server.url}/")
        expect(page.get_by_alt_text("上云迁移季")).to_be_visible()
        expect(page.get_by_alt_text("合作伙伴招募")).to_be_visible()
    finally:
        context.close()
