"""Two clicks from the dashboard (issue 16, part 6): act on a work queue straight from it.

How the clicks are counted: every click on the page counts (``Clicks.click``); the
browser's own confirmation dialog that a row's 确认 opens is counted apart
(``Clicks.dialogs``), as the OK of that second click. From the dashboard:
click 1 opens the queue's filtered list, click 2 is the row's 确认 (+ its dialog's OK).

(A) 运营 approves the demo's pending registration with the default tier.
(B) 财务 confirms the demo's offline repayment; its bills become settled.
"""

import re

import pytest

from billing.models import BillStatus, Repayment, RepaymentStatus
from fixtures.demo import DEMO_PASSWORD
from partners.models import ApplicationStatus, RegistrationApplication, User
from tests.otp import browser_second_step

pytestmark = pytest.mark.django_db(transaction=True)


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
    """Counts the clicks on the page, and apart the browser dialogs accepted."""

    def __init__(self, page):
        self.page, self.count, self.dialogs = page, 0, []
        page.on("dialog", self._accept)

    def _accept(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.accept()

    def click(self, locator) -> None:
        locator.click()
        self.count += 1


def test_operations_approves_a_registration_from_the_dashboard_in_two_clicks(
    live_server, page, block_external, screenshot_dir, demo
):
    from partners.services import default_tier

    application = RegistrationApplication.objects.get(status=ApplicationStatus.PENDING)
    console_login(page, live_server, "ops@example.com")
    page.screenshot(path=screenshot_dir / "console-dashboard-ops.png", full_page=True)
    clicks = Clicks(page)

    clicks.click(page.locator("[data-queue='待审核注册申请'] a"))
    page.wait_for_url(re.compile(r"/registrationapplication/\?status=pending"))
    row = page.locator("#result_list tr", has_text=application.company_name)
    page.screenshot(path=screenshot_dir / "console-registration-queue.png", full_page=True)
    with page.expect_navigation():
        clicks.click(row.get_by_role("link", name="确认"))
    page.wait_for_url(re.compile(r"/registrationapplication/"))
    page.screenshot(path=screenshot_dir / "console-registration-approved.png", full_page=True)

    assert clicks.count == 2
    assert len(clicks.dialogs) == 1 and application.company_name in clicks.dialogs[0]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.company is not None and application.company.tier == default_tier()


def test_finance_confirms_an_offline_repayment_from_the_dashboard_in_two_clicks(
    live_server, page, block_external, screenshot_dir, demo
):
    repayment = Repayment.objects.get(status=RepaymentStatus.SUBMITTED)
    bill_ids = list(repayment.bills.values_list("pk", flat=True))
    assert bill_ids
    console_login(page, live_server, "finance@example.com")
    clicks = Clicks(page)

    clicks.click(page.locator("[data-queue='待确认线下还款'] a"))
    page.wait_for_url(re.compile(r"/repayment/\?status=submitted"))
    confirm = page.locator(f"#result_list a[href$='/repayment/{repayment.pk}/row-confirm/']")
    with page.expect_navigation():
        clicks.click(confirm)
    page.wait_for_url(re.compile(r"/repayment/\?status=submitted"))  # back on the queue
    page.screenshot(path=screenshot_dir / "console-repayment-confirmed.png", full_page=True)

    assert clicks.count == 2 and len(clicks.dialogs) == 1
    repayment.refresh_from_db()
    assert repayment.status == RepaymentStatus.CONFIRMED
    assert set(repayment.bills.values_list("status", flat=True)) == {BillStatus.SETTLED}
