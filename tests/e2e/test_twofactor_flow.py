"""Staff two-factor login in the browser: enrol from the user menu, log out, log in again."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def app_code(secret: str, at: float) -> str:
    """What an authenticator app shows for the key typed from the enrolment page."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = at
    return f"{totp.token():06d}"


def password_step(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def staff(role: StaffRole, email: str):
    user = UserFactory(is_staff=True, email=email, name="两步 验证")
    user.groups.add(staff_roles_sync()[role])
    return user


def test_enrol_from_the_user_menu_log_out_and_log_in_with_a_code(
    live_server, page, block_external, screenshot_dir
):
    base = live_server.url
    staff(StaffRole.OPERATIONS, "ops.2fa@example.com")
    # 运营: two-factor login is optional, the password alone opens the console.
    password_step(page, base, "ops.2fa@example.com")
    page.wait_for_selector("[data-testid=dashboard]")

    page.get_by_text("ops.2fa@example.com").first.click()  # unfold's user menu
    page.get_by_role("link", name="两步验证").click()
    page.wait_for_selector("[data-testid=twofactor-overview]")
    page.get_by_role("link", name="开启两步验证").click()
    page.wait_for_selector("[data-testid=twofactor-enrol]")
    qr = page.locator("[data-testid=twofactor-qr]")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # drawn by the server, not a CDN
    page.screenshot(path=screenshot_dir / "console-2fa-enrol.png", full_page=True)

    secret = page.locator("[data-testid=twofactor-secret]").inner_text()
    enrolled_at = time.time()
    page.fill("input[name=code]", app_code(secret, enrolled_at))
    with page.expect_navigation():
        page.get_by_role("button", name="确认").click()
    codes = page.locator("[data-testid=recovery-codes] li")
    expect(codes).to_have_count(10)
    page.screenshot(path=screenshot_dir / "console-2fa-recovery-codes.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_selector("[data-testid=dashboard]")

    page.get_by_text("ops.2fa@example.com").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()

    password_step(page, base, "ops.2fa@example.com")
    page.wait_for_selector("[data-testid=twofactor-verify]")
    page.screenshot(path=screenshot_dir / "console-2fa-verify.png", full_page=True)
    # The enrolment's code was used: log in with the app's code of a later 30 s step,
    # read off the clock as the app would (however slow the machine ran until here).
    while int(time.time() // 30) <= int(enrolled_at // 30):
        time.sleep(0.5)
    current = app_code(secret, time.time())
    page.fill("input[name=code]", "000000" if current != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_role("button", name="验证").click()
    expect(page.locator("[data-testid=twofactor-verify]")).to_contain_text("验证码无效")
    # django-otp makes a device wait after a wrong code (1 s, then doubling), as a person
    # would anyway before typing again.
    page.wait_for_timeout(2500)
    page.fill("input[name=code]", app_code(secret, time.time()))
    with page.expect_navigation():
        page.get_by_role("button", name="验证").click()
    page.wait_for_selector("[data-testid=dashboard]")
    assert re.search(r"/admin/$", page.url)


def test_finance_must_enrol_before_the_dashboard(live_server, page, block_external):
    base = live_server.url
    staff(StaffRole.FINANCE, "finance.2fa@example.com")
    password_step(page, base, "finance.2fa@example.com")
    page.wait_for_selector("[data-testid=twofactor-enrol]")
    expect(page.locator("[data-testid=twofactor-enrol]")).to_contain_text("您的角色要求两步验证")
    page.goto(f"{base}/admin/billing/payment/")
    page.wait_for_selector("[data-testid=twofactor-enrol]")  # sent back: no console page yet

    secret = page.locator("[data-testid=twofactor-secret]").inner_text()
    page.fill("input[name=code]", app_code(secret, time.time()))
    with page.expect_navigation():
        page.get_by_role("button", name="确认").click()
    expect(page.locator("[data-testid=recovery-codes] li")).to_have_count(10)
    with page.expect_navigation():
        page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url(re.compile(r"/admin/billing/payment/$"))  # where they were going
    page.goto(f"{base}/admin/")
    page.wait_for_selector("[data-testid=dashboard]")
