import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, UserFactory
from tests.otp import authenticator, browser_second_step

pytestmark = pytest.mark.django_db(transaction=True)


def _style(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"el => getComputedStyle(el).getPropertyValue('{prop}')")


def test_portal_home_renders_with_its_css(live_server, page, block_external, screenshot_dir):
    page.goto(f"{live_server.url}/")
    assert page.title().endswith("云睐 AggreSmart")
    assert page.get_by_placeholder("请搜索您需要的云产品").is_visible()
    # Styles come from the project's own stylesheet: brand blue search button, sticky white header.
    assert _style(page, ".search-box button", "background-color") == "rgb(29, 78, 216)"
    assert _style(page, ".site-header", "position") == "sticky"
    page.screenshot(path=screenshot_dir / "portal-home.png", full_page=True)


def test_language_switcher_switches_the_portal_to_english(live_server, page, block_external):
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_placeholder("Search for the cloud product you need")).to_be_visible()


def test_admin_login_renders_styled_and_staff_reach_the_dashboard(
    live_server, page, block_external, screenshot_dir
):
    staff = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    authenticator(staff)  # 超级管理员 log in with two-factor login
    page.goto(f"{live_server.url}/admin/login/")
    assert "云睐 AggreSmart 运营后台" in page.content()
    # unfold's compiled stylesheet is served by the project: the submit button is filled.
    bg = _style(page, "button[type=submit]", "background-color")
    assert bg not in ("", "rgba(0, 0, 0, 0)", "transparent")
    page.screenshot(path=screenshot_dir / "admin-login.png")

    page.fill("input[name=username]", "OPS@example.com")
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    browser_second_step(page, staff)
    page.wait_for_selector("[data-testid=dashboard]")
    assert page.get_by_text("合作伙伴").first.is_visible()
    page.screenshot(path=screenshot_dir / "admin-dashboard.png", full_page=True)
