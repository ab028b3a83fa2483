"""Browser walk over the header's 品牌专区 and 帮助中心 and a solution's 产品手册, on the demo
data (``loaddemo``), at 1366 px and at 390 px."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from partners.models import CompanyRole, User
from tests.e2e.test_checkout_flow import shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def header_link(page, name: str):
    return page.locator("#primary-nav").get_by_role("link", name=name, exact=True)


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def test_brand_zone_help_center_and_manual_from_the_header(
    live_server,
    page,
    block_external,
    screenshot_dir,
    demo,  # noqa: F811
):
    partner = User.objects.filter(company_role=CompanyRole.ADMIN, is_active=True).first()
    sign_in(page, live_server, partner)
    page.goto(f"{live_server.url}/")

    # 品牌专区 from the header → a brand → its solution.
    header_link(page, "品牌专区").click()
    page.wait_for_url(re.compile(r"/brands/$"))
    expect(page.locator("h1")).to_have_text("品牌专区")
    expect(page.locator("[data-brands] .brand-card")).not_to_have_count(0)
    shot(page, screenshot_dir / "brands.png")
    page.locator("[data-brand=saasame]").click()
    page.wait_for_url(re.compile(r"/brands/saasame/$"))
    expect(page.locator("[data-brand-intro]")).to_contain_text("SaaSaMe")
    page.locator(".sol-card[data-solution=saasame-transport]").click()
    page.wait_for_url(re.compile(r"/solutions/saasame-transport/"))

    # 产品手册 on the solution page: the tab, then a real PDF download.
    page.get_by_role("tab", name=re.compile("产品手册")).click()
    manuals = page.locator("[data-manuals] a")
    expect(manuals.first).to_be_visible()
    with page.expect_download() as download_info:
        manuals.first.click()
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert download_info.value.suggested_filename.endswith(".pdf")

    # 帮助中心 from the header → search → an article.
    header_link(page, "帮助中心").click()
    page.wait_for_url(re.compile(r"/help/$"))
    expect(page.locator("[data-help-articles] li")).not_to_have_count(0)
    page.fill("#help-q", "发票")
    with page.expect_navigation():
        page.locator(".help-search button[type=submit]").click()
    results = page.locator("[data-help-articles] a")
    expect(results).to_have_count(1)
    results.first.click()
    page.wait_for_url(re.compile(r"/help/\d+/$"))
    expect(page.locator("[data-article-body]")).to_contain_text("申请开票")
    shot(page, screenshot_dir / "help-article.png")


def test_brand_zone_and_help_center_fit_390px(
    live_server,
    page,
    block_external,
    screenshot_dir,
    demo,  # noqa: F811
):
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/brands/", "/brands/saasame/", "/help/", "/solutions/saasame-transport/"):
        page.goto(f"{live_server.url}{path}")
        no_horizontal_overflow(page)
    page.goto(f"{live_server.url}/")
    page.locator("[data-nav-toggle]").click()
    header_link(page, "帮助中心").click()
    page.wait_for_url(re.compile(r"/help/$"))
    no_horizontal_overflow(page)
    shot(page, screenshot_dir / "help-390.png")
