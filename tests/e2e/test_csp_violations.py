"""Content-Security-Policy in the browser: zero violations while clicking through the main
portal and console pages in Chinese, on the demo data.

Every document (and popup / iframe) reports its ``securitypolicyviolation`` events to the
test; every top-level page must be served with a policy that has no 'unsafe-inline' for
scripts. Each walk ends with a control: an injected inline <script> must be blocked and
reported, so a walk that sees nothing really had a policy in force.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from catalog.models import Solution
from partners.models import ApplicationStatus, Company, RegistrationApplication, User

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: `${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`,
    sample: event.sample,
    page: location.pathname + location.search,
  });
}, true);
"""


class Walk:
    """The browser context's violations, and the policies of the pages it loaded."""

    def __init__(self, context, page, base: str):
        self.page, self.base = page, base
        self.violations: list[dict] = []
        self.unprotected: list[str] = []
        context.expose_function(
            "__cspViolation", lambda violation: self.violations.append(violation)
        )
        context.add_init_script(REPORT_VIOLATIONS)
        page.on("response", self._check_policy)

    def _check_policy(self, response) -> None:
        if response.request.resource_type != "document" or response.frame != self.page.main_frame:
            return
        if response.status in (301, 302, 303):
            return
        header = response.headers.get("content-security-policy", "")
        script_src = re.search(r"script-src ([^;]*)", header)
        if not script_src or "'unsafe-inline'" in script_src.group(1):
            self.unprotected.append(f"{response.url}: {header!r}")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def navigate(self, action) -> None:
        with self.page.expect_navigation():
            action()
        self.page.wait_for_load_state("networkidle")

    def finish(self) -> None:
        """Let queued reports arrive, check them, then prove the policy is enforced."""
        self.page.wait_for_timeout(500)
        assert self.unprotected == []
        assert self.violations == [], "\n".join(map(str, self.violations))
        executed = self.page.evaluate(
            """() => { window.__inline = false; const s = document.createElement("script");
            s.textContent = "window.__inline = true"; document.body.append(s);
            return window.__inline; }"""
        )
        self.page.wait_for_timeout(300)
        assert executed is False
        assert [v["directive"] for v in self.violations] == ["script-src-elem"]


def sign_in(context, live_server, email: str) -> None:
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


@pytest.mark.usefixtures("demo")
def test_portal_pages_run_without_csp_violations(live_server, context, page):
    walk = Walk(context, page, live_server.url)

    # Signed out: the login slider and the registration wizard (both scripted).
    walk.go("/login/")
    slider = page.locator("[data-slider]")
    page.locator("#id_slider").fill(slider.get_attribute("data-target"))
    expect(slider).to_have_class(re.compile("is-on-target"))
    walk.go("/register/")
    expect(page.locator("[data-step-next]")).to_be_visible()

    sign_in(context, live_server, "distributor@example.com")
    # Home: mega menu and carousel.
    walk.go("/")
    page.locator("a[data-nav=solutions]").hover()
    page.locator("[data-mega-top]").nth(1).hover()
    page.mouse.move(600, 850)
    carousel_next = page.locator("[data-carousel-next]")
    if carousel_next.count():
        carousel_next.first.click()
    # Catalogue, search, a solution's tabs and its consultation dialog.
    walk.go("/solutions/")
    walk.go("/search/?q=云")
    solution = Solution.objects.filter(is_published=True, skus__is_active=True).first()
    walk.go(f"/solutions/{solution.slug}/")
    for tab in page.locator("[data-tab]:visible").all():
        tab.click()
    page.locator("[data-modal]:visible").first.click()
    expect(page.locator("[data-dialog-body] form")).to_be_visible()
    page.locator("[data-modal-close]").first.click()
    # Cart (the selection is saved by fetch), checkout, the e-order dialog, payment.
    walk.navigate(lambda: page.locator("[data-add-to-cart]").click())
    walk.go("/cart/")
    box = page.locator("[data-line-check]").first
    box.uncheck()
    box.check()
    expect(page.locator("[data-checkout]")).to_be_enabled()
    walk.navigate(lambda: page.locator("[data-checkout]").click())
    page.locator("input[id^=customer-]").first.check()
    walk.navigate(lambda: page.locator("[data-submit-order]").click())
    # The contract preview is styled by its linked stylesheet, not by a <style> element.
    expect(page.locator(".contract-doc__header")).to_have_css("display", "flex")
    walk.navigate(lambda: page.locator("[data-eorder-agree]").click())
    expect(page.locator("[data-countdown]")).to_be_visible()
    walk.navigate(lambda: page.locator("[data-pay-now]").click())
    expect(page.locator("[data-payment-status]")).to_have_text("已付款")
    # Orders, assets, statements and the personal center.
    walk.go("/account/orders/")
    walk.navigate(lambda: page.locator("[data-order] a[href*='/account/orders/']").first.click())
    for path in (
        "/account/assets/rebate/",
        "/account/assets/coupons/",
        "/account/assets/credit/",
        "/account/assets/credit/repay/offline/",
        "/account/statements/",
        "/account/",
        "/account/messages/",
        "/account/users/",
        "/account/customers/",
    ):
        walk.go(path)
    check_all = page.locator("[data-check-all]")
    if check_all.count():
        check_all.first.check()
    walk.finish()


@pytest.mark.usefixtures("demo")
def test_console_pages_run_without_csp_violations(live_server, context, page):
    walk = Walk(context, page, live_server.url)
    sign_in(context, live_server, "admin@example.com")

    # Dashboard (charts, work queues) and the command search (htmx).
    walk.go("/admin/")
    expect(page.locator("[data-testid=dashboard]")).to_be_visible()
    page.keyboard.press("Control+k")
    page.keyboard.type("方案")
    page.wait_for_timeout(800)
    page.keyboard.press("Escape")

    # A changelist: the filter panel, a filter, a selected row and an action.
    walk.go("/admin/catalog/solution/")
    page.locator("a.filter-open-button").click()
    page.wait_for_timeout(300)
    page.keyboard.press("Escape")
    walk.go("/admin/catalog/solution/?is_published__exact=1")
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("publish_selected")

    # A change form: autocomplete (select2) and inlines.
    company = Company.objects.filter(parent__isnull=False).first()
    walk.go(f"/admin/partners/company/{company.pk}/change/")
    page.locator(".field-business_owner .select2-selection").click()
    page.keyboard.type("sales")
    expect(page.locator(".select2-results__option").first).to_contain_text("sales@example.com")
    page.keyboard.press("Enter")
    solution = Solution.objects.first()
    walk.go(f"/admin/catalog/solution/{solution.pk}/change/")
    for tab in ("SKU", "方案图片", "资源"):
        # A click before Alpine has started switches nothing (seen on a loaded machine):
        # click again until the tab's "add another" link shows.
        for _attempt in range(5):
            page.locator("a[x-on\\:click^=activeTab]").filter(has_text=tab).first.click()
            add_row = page.locator("a.add-row:visible").first
            try:
                add_row.wait_for(state="visible", timeout=3000)
                break
            except PlaywrightTimeoutError:
                continue
        add_row.click()
    walk.go(f"/admin/catalog/solution/{solution.pk}/history/")

    # Add form: prepopulated slug, the rich-text editor, then a related object added in
    # unfold's popup frame (popup_response.html hands the new id back).
    walk.go("/admin/catalog/solution/add/")
    page.locator("input[name=name]").type("CSP check")
    expect(page.locator("input[name=slug]")).to_have_value("csp-check")
    walk.go("/admin/catalog/sku/add/")
    page.locator("[x-on\\:click^=openRelatedWidgetWrapper]").first.click()
    page.locator("nav[id^=related-widget-wrapper] a:visible").filter(has_text="增加另一个").click()
    popup = page.frame_locator("iframe[src*='_popup=1']")
    popup.locator("input[name=name]").fill("弹窗方案")
    popup.locator("input[name=slug]").fill("popup-solution")
    popup.locator("button[name=_save]").click()
    expect(page.locator("#id_solution option:checked")).to_have_text("弹窗方案")

    # An action page (approve a registration), submitted.
    application = RegistrationApplication.objects.get(status=ApplicationStatus.PENDING)
    walk.go(f"/admin/partners/registrationapplication/{application.pk}/change/")
    walk.go(f"/admin/partners/registrationapplication/{application.pk}/approve/")
    walk.navigate(lambda: page.locator("form button[type=submit]").last.click())
    expect(page).to_have_url(re.compile(r"/registrationapplication/"))
    walk.finish()
