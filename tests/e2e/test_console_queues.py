"""Staff-console issue acceptance: act on work queues straight from the dashboard.

(A) 运营 approves the demo's pending registration in at most 3 clicks after login:
    queue link → 通过 → confirm. (B) 财务 confirms the demo's offline repayment from
    the 待确认线下还款 queue; its bills become settled.
"""

import io
import re

import pytest
from django.core.management import call_command

from billing.models import BillStatus, Repayment, RepaymentStatus
from fixtures.demo import DEMO_PASSWORD
from partners.models import ApplicationStatus, RegistrationApplication, User
from tests.otp import browser_second_step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "mail")},
        }
    }
    call_command("loaddemo", stdout=io.StringIO())


def console_login(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    # Demo staff have an authenticator (two-factor login): the code comes next.
    browser_second_step(page, User.objects.get(email=email))
    page.wait_for_selector("[data-testid=dashboard]")


class Clicks:
    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, locator) -> None:
        locator.click()
        self.count += 1


def test_operations_approves_a_registration_from_the_dashboard(
    live_server, page, block_external, screenshot_dir, demo
):
    application = RegistrationApplication.objects.get(status=ApplicationStatus.PENDING)
    console_login(page, live_server, "ops@example.com")
    page.screenshot(path=screenshot_dir / "console-dashboard-ops.png", full_page=True)
    clicks = Clicks(page)

    clicks.click(page.locator("[data-queue='待审核注册申请'] a"))
    page.wait_for_url(re.compile(rf"/registrationapplication/{application.pk}/change/"))
    clicks.click(page.get_by_role("link", name="通过").first)
    page.wait_for_url(re.compile(r"/approve/"))
    clicks.click(page.locator("form button[type=submit]").last)
    page.wait_for_url(re.compile(r"/registrationapplication/(\?.*)?$"))

    assert clicks.count <= 3
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.company is not None


def test_finance_confirms_an_offline_repayment_from_the_queue(
    live_server, page, block_external, screenshot_dir, demo
):
    repayment = Repayment.objects.get(status=RepaymentStatus.SUBMITTED)
    bill_ids = list(repayment.bills.values_list("pk", flat=True))
    assert bill_ids
    console_login(page, live_server, "finance@example.com")

    page.locator("[data-queue='待确认线下还款'] a").click()
    page.wait_for_url(re.compile(r"/repayment/\?status=submitted"))
    page.locator(f"#result_list a[href*='/repayment/{repayment.pk}/change/']").first.click()
    page.wait_for_url(re.compile(rf"/repayment/{repayment.pk}/change/"))
    page.get_by_role("link", name="确认").first.click()
    page.wait_for_url(re.compile(r"/confirm/"))
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/repayment/(\?.*)?$"))
    page.screenshot(path=screenshot_dir / "console-repayment-confirmed.png", full_page=True)

    repayment.refresh_from_db()
    assert repayment.status == RepaymentStatus.CONFIRMED
    assert set(repayment.bills.values_list("status", flat=True)) == {BillStatus.SETTLED}
