"""Issue acceptance: register with a PDF → staff approves in the console → activation mail
from the mail folder → set password → log in → home page with the company menu."""

import email
import email.policy
import re
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from partners.models import ApplicationStatus, RegistrationApplication
from tests.factories import TEST_PASSWORD, UserFactory, sales_staff
from tests.otp import authenticator, browser_second_step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_folder(settings, tmp_path) -> Path:
    folder = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    return folder


@pytest.fixture
def licence_pdf(tmp_path) -> Path:
    path = tmp_path / "营业执照.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Business licence")
    pdf.save()
    return path


def read_mail_bodies(folder: Path) -> list[str]:
    """The file backend writes each message, separated by a dashed line, into .log files."""
    bodies = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_text(encoding="utf-8").split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip(), policy=email.policy.default)
                # A mail is text + HTML (multipart/alternative): read its text part.
                bodies.append(message.get_body(preferencelist=("plain",)).get_content())
    return bodies


def drag_slider_onto_target(page) -> None:
    target = page.get_attribute("[data-slider]", "data-target")
    page.wait_for_timeout(1100)  # a human takes longer than the server's minimum age
    page.eval_on_selector(
        "#id_slider",
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); "
        "el.dispatchEvent(new Event('change', {bubbles: true})); }",
        target,
    )


def test_register_approve_activate_login(
    live_server, page, block_external, screenshot_dir, mail_folder, licence_pdf, settings
):
    settings.SITE_URL = live_server.url
    reviewer = UserFactory(
        email="reviewer@example.com", name="审核员", is_staff=True, is_superuser=True
    )
    authenticator(reviewer)  # 超级管理员 log in with two-factor login

    owner = sales_staff(name="王销售")  # the page offers the 销售 staff only

    # 1. Registration, two steps.
    page.goto(f"{live_server.url}/register/")
    page.fill("input[name=company_name]", "云途科技 E2E")
    page.select_option("select[name=business_owner]", str(owner.pk))
    page.set_input_files("input[name=files]", str(licence_pdf))
    page.screenshot(path=screenshot_dir / "register-step1.png", full_page=True)
    next_button = page.locator("[data-step-next]")
    if next_button.is_visible():
        next_button.click()
    page.fill("input[name=contact_name]", "赵申请")
    page.fill("input[name=email]", "Applicant.E2E@example.com")
    page.fill("input[name=phone]", "13700000005")
    page.fill("input[name=address]", "上海市徐汇区漕溪北路88号")
    page.check("input[name=agree]")
    page.get_by_role("button", name="提交注册").click()
    page.wait_for_url(re.compile(r"/register/done/"))
    assert "待审核" in page.content() or "审核" in page.content()
    application = RegistrationApplication.objects.get()
    assert application.status == ApplicationStatus.PENDING and application.files.count() == 1

    # 2. Staff approve in the console.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "reviewer@example.com")
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    browser_second_step(page, reviewer)  # two-factor login
    page.wait_for_selector("[data-testid=dashboard]")
    page.goto(f"{live_server.url}/admin/partners/registrationapplication/{application.pk}/change/")
    assert page.locator("iframe, embed, object").count() >= 1  # inline PDF preview
    page.screenshot(path=screenshot_dir / "console-application.png", full_page=True)
    page.goto(f"{live_server.url}/admin/partners/registrationapplication/{application.pk}/approve/")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/admin/partners/registrationapplication/"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    page.context.clear_cookies()

    # 3. The activation mail, read from the mail folder.
    bodies = "\n".join(read_mail_bodies(mail_folder))
    links = re.findall(r"https?://\S+/activate/\S+/", bodies)
    assert links, bodies[-2000:]

    # 4. Set the password from the link; land on the login page.
    page.goto(links[-1])
    page.fill("input[name=password1]", "Yun-Tu-2026-secure")
    page.fill("input[name=password2]", "Yun-Tu-2026-secure")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/login/"))

    # 5. Log in with the slider; land on home with the company menu.
    page.fill("input[name=username]", "applicant.e2e@example.com")
    page.fill("input[name=password]", "Yun-Tu-2026-secure")
    drag_slider_onto_target(page)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    header = page.locator(".site-header").inner_text()
    assert "云途科技 E2E" in header
    page.screenshot(path=screenshot_dir / "home-logged-in.png", full_page=True)
