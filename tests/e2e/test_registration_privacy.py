"""Issue 14 acceptance: registering an existing e-mail shows the same page as a new one.

The visitor fills the real form in Chromium twice with the same e-mail: once while it
is free, once while an account uses it. Both end on the same URL with the same visible
text; the second stores nothing and mails the account's owner instead.
"""

import re
from pathlib import Path

import pytest

from partners.models import RegistrationApplication
from tests.e2e.test_registration_flow import licence_pdf  # noqa: F401 (fixture)
from tests.factories import sales_staff
from tests.partners.factories import CompanyFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "privacy.e2e@example.com"


def register(page, base_url: str, owner, licence: Path, company_name: str) -> tuple[str, int, str]:
    """Fill and submit the two-step form; the final URL, status and visible text."""
    page.goto(f"{base_url}/register/")
    page.fill("input[name=company_name]", company_name)
    page.select_option("select[name=business_owner]", str(owner.pk))
    page.set_input_files("input[name=files]", str(licence))
    next_button = page.locator("[data-step-next]")
    if next_button.is_visible():
        next_button.click()
    page.fill("input[name=contact_name]", "隐私测试")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=phone]", "13700000006")
    page.fill("input[name=address]", "上海市徐汇区")
    page.check("input[name=agree]")
    with page.expect_navigation(url=re.compile(r"/register/done/")) as navigation:
        page.get_by_role("button", name="提交注册").click()
    response = navigation.value
    return page.url, response.status, page.locator("body").inner_text()


def test_an_existing_email_gets_the_same_page_as_a_new_one(
    live_server,
    page,
    block_external,
    screenshot_dir,
    licence_pdf,  # noqa: F811
):
    owner = sales_staff(name="王销售")

    new = register(page, live_server.url, owner, licence_pdf, "隐私测试新公司")
    assert RegistrationApplication.objects.filter(email=EMAIL).count() == 1
    page.screenshot(path=screenshot_dir / "register-done-new.png", full_page=True)

    # The same e-mail now belongs to an account (the application was approved meanwhile).
    RegistrationApplication.objects.all().delete()
    PartnerUserFactory(email=EMAIL, company=CompanyFactory(name="老客户公司"))
    page.context.clear_cookies()

    existing = register(page, live_server.url, owner, licence_pdf, "隐私测试另一家公司")
    page.screenshot(path=screenshot_dir / "register-done-existing.png", full_page=True)

    assert existing == new
    url, status, text = new
    assert url.endswith("/register/done/") and status == 200
    assert "注册完成" in text and EMAIL in text
    assert not RegistrationApplication.objects.exists()  # nothing stored the second time
