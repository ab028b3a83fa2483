"""Staff console for the partners domain: review queue, companies, users, exports, dashboard."""

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from billing.models import CreditAccount, Currency, RebateWallet
from partners import services
from partners.models import (
    ApplicationStatus,
    Company,
    CompanyRole,
    CompanyStatus,
    RegistrationApplication,
    Tier,
    User,
)
from tests.exports import export_form, export_sheet
from tests.factories import TEST_PASSWORD, UserFactory, sales_staff
from tests.files import pdf_bytes
from tests.partners.factories import (
    CompanyFactory,
    DistributorFactory,
    EndCustomerFactory,
    PartnerUserFactory,
    admin_of,
)

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()
APPLICATIONS = "admin:partners_registrationapplication_changelist"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def submit(n: int, owner: User, *, with_image: bool = False) -> RegistrationApplication:
    sales_staff(owner)  # registrants pick their business owner among the 销售 staff
    files = [SimpleUploadedFile("licence.pdf", PDF)]
    if with_image:
        files.append(SimpleUploadedFile("photo.png", png_bytes()))
    return services.registration_submit(
        company_name=f"申请公司{n:03d}",
        business_owner=owner,
        contact_name=f"联系人{n}",
        email=f"applicant{n}@example.com",
        phone="13800001111",
        address="上海市",
        files=files,
    )


def rejected(n: int, owner: User) -> RegistrationApplication:
    application = submit(n, owner)
    services.registration_reject(application=application, reviewer=owner, reason="资料不全")
    return application


def app_url(name: str, pk: int) -> str:
    return reverse(f"admin:partners_registrationapplication_{name}", args=[pk])


def message_texts(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


# --------------------------------------------------------------------------
# 1. Review queue
# --------------------------------------------------------------------------


def test_queue_shows_only_pending_applications_by_default(staff_client, superuser):
    two_files = submit(1, superuser, with_image=True)
    one_file = submit(2, superuser)
    refused = rejected(3, superuser)

    response = staff_client.get(reverse(APPLICATIONS))
    assert response.status_code == 200
    rows = {app.pk: app.file_count for app in response.context["cl"].result_list}
    assert rows == {two_files.pk: 2, one_file.pk: 1}
    html = response.content.decode()
    assert "申请公司001" in html and "申请公司003" not in html
    assert "待审核" in html

    everything = staff_client.get(reverse(APPLICATIONS), {"status": "all"})
    assert {a.pk for a in everything.context["cl"].result_list} == {
        two_files.pk,
        one_file.pk,
        refused.pk,
    }
    only_rejected = staff_client.get(reverse(APPLICATIONS), {"status": "rejected"})
    assert [a.pk for a in only_rejected.context["cl"].result_list] == [refused.pk]


def test_queue_search_and_no_add(staff_client, superuser):
    submit(1, superuser)
    submit(2, superuser)
    response = staff_client.get(reverse(APPLICATIONS), {"q": "applicant2@"})
    assert [a.email for a in response.context["cl"].result_list] == ["applicant2@example.com"]
    add = reverse("admin:partners_registrationapplication_add")
    assert staff_client.get(add).status_code == 403


# --------------------------------------------------------------------------
# 2. Approve from the detail page
# --------------------------------------------------------------------------


def test_approve_from_the_detail_action(
    staff_client, superuser, django_capture_on_commit_callbacks, mailoutbox
):
    owner = UserFactory(is_staff=True, name="业务负责人甲")
    application = submit(1, owner, with_image=True)
    registered = Tier.objects.get(code="registered")

    detail = staff_client.get(app_url("change", application.pk))
    assert app_url("approve_detail", application.pk) in detail.content.decode()
    assert app_url("reject_detail", application.pk) in detail.content.decode()

    page = staff_client.get(app_url("approve_detail", application.pk))
    assert page.status_code == 200
    assert 'name="tier"' in page.content.decode()
    assert RegistrationApplication.objects.get().status == ApplicationStatus.PENDING  # GET is safe

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            app_url("approve_detail", application.pk), {"tier": registered.pk}
        )
    assert response.status_code == 302
    assert response.url == reverse(APPLICATIONS)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.reviewed_by == superuser
    company = application.company
    assert company.tier.code == "registered"
    assert company.business_owner == owner
    first_user = company.users.get()
    assert first_user.company_role == CompanyRole.ADMIN
    assert first_user.activated_at is None
    assert set(
        RebateWallet.objects.filter(company=company).values_list("currency", flat=True)
    ) == set(Currency.values)
    assert set(
        CreditAccount.objects.filter(company=company).values_list("currency", flat=True)
    ) == set(Currency.values)
    assert [m.to for m in mailoutbox] == [[application.email]]
    assert "/activate/" in mailoutbox[0].body

    # Reviewed: the actions are gone and their URLs refuse.
    detail = staff_client.get(app_url("change", application.pk))
    assert app_url("approve_detail", application.pk) not in detail.content.decode()
    assert staff_client.post(app_url("approve_detail", application.pk)).status_code == 403


def test_approve_refused_by_the_domain_is_an_error_not_a_success(staff_client, superuser):
    application = submit(1, superuser)
    UserFactory(email=application.email)  # the e-mail got taken meanwhile
    registered = Tier.objects.get(code="registered")
    response = staff_client.post(app_url("approve_detail", application.pk), {"tier": registered.pk})
    assert response.status_code == 200
    assert application.email in response.content.decode()
    assert response.context["form"].non_field_errors()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert not Company.objects.exists()


def test_reviewing_needs_the_change_permission(client, superuser):
    application = submit(1, superuser)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_registrationapplication"))
    client.force_login(viewer)
    assert client.get(app_url("change", application.pk)).status_code == 200
    assert client.get(app_url("approve_detail", application.pk)).status_code == 403
    assert client.post(app_url("reject_detail", application.pk), {"reason": "x"}).status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


# --------------------------------------------------------------------------
# 3. Bulk approve
# --------------------------------------------------------------------------


def test_bulk_approve_reports_successes_and_failures_separately(
    staff_client, superuser, django_capture_on_commit_callbacks, mailoutbox
):
    pending = [submit(n, superuser) for n in (1, 2, 3)]
    refused = rejected(4, superuser)
    ids = [a.pk for a in [*pending, refused]]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(APPLICATIONS) + "?status=all",
            {"action": "approve_selected", ACTION_CHECKBOX_NAME: ids},
            follow=True,
        )
    assert response.status_code == 200
    statuses = dict(RegistrationApplication.objects.values_list("pk", "status"))
    assert [statuses[a.pk] for a in pending] == [ApplicationStatus.APPROVED] * 3
    assert statuses[refused.pk] == ApplicationStatus.REJECTED
    assert Company.objects.count() == 3
    assert len(mailoutbox) == 3

    texts = message_texts(response)
    successes = [t for level, t in texts if level == "success"]
    errors = [t for level, t in texts if level == "error"]
    assert len(successes) == 1 and "3 个申请" in successes[0]
    assert len(errors) == 1 and "1 个申请" in errors[0]
    assert "申请公司004" in errors[0] and "申请公司004" not in successes[0]


# --------------------------------------------------------------------------
# 4. Reject with a required reason
# --------------------------------------------------------------------------


def test_reject_requires_a_reason_and_mails_it(
    staff_client, superuser, django_capture_on_commit_callbacks, mailoutbox
):
    application = submit(1, superuser)
    url = app_url("reject_detail", application.pk)

    page = staff_client.get(url)
    assert page.status_code == 200
    assert "<textarea" in page.content.decode()

    for blank in ("", "   "):
        response = staff_client.post(url, {"reason": blank})
        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"reason": "营业执照已过期，请更新后重新申请"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.rejection_reason == "营业执照已过期，请更新后重新申请"
    assert [m.to for m in mailoutbox] == [[application.email]]
    assert "营业执照已过期，请更新后重新申请" in mailoutbox[0].body


# --------------------------------------------------------------------------
# 5. File preview and download
# --------------------------------------------------------------------------


def _body(response) -> bytes:
    # The test client closes the response when its content is consumed (with the
    # connection-closing signal disconnected); calling close() again here would fire
    # request_finished and drop PostgreSQL's connection inside the test transaction.
    return b"".join(response.streaming_content)


def test_file_preview_is_staff_only_and_rendered_on_the_detail_page(
    staff_client, client, superuser
):
    application = submit(1, superuser, with_image=True)
    pdf = application.files.get(content_type="application/pdf")
    png = application.files.get(content_type="image/png")
    pdf_url = reverse(
        "admin:partners_registrationapplication_file_preview", args=[application.pk, pdf.pk]
    )
    png_url = reverse(
        "admin:partners_registrationapplication_file_preview", args=[application.pk, png.pk]
    )

    response = staff_client.get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # A sandboxed document even for the PDF viewer (Chromium renders it), framed by us only.
    assert "sandbox" in response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert _body(response) == PDF

    response = staff_client.get(png_url)
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    _body(response)

    download = staff_client.get(
        reverse(
            "admin:partners_registrationapplication_file_download", args=[application.pk, pdf.pk]
        )
    )
    assert download["Content-Disposition"].startswith("attachment")
    _body(download)

    html = staff_client.get(app_url("change", application.pk)).content.decode()
    assert f'<iframe src="{pdf_url}"' in html
    assert f'<img src="{png_url}"' in html

    partner = PartnerUserFactory()
    client.force_login(partner)
    response = client.get(pdf_url)
    assert response.status_code == 302
    assert "/admin/login/" in response.url

    staff_without_permission = UserFactory(is_staff=True)
    client.force_login(staff_without_permission)
    assert client.get(pdf_url).status_code == 403

    client.force_login(superuser)  # (staff_client is the same client)
    assert (
        staff_client.get(
            reverse(
                "admin:partners_registrationapplication_file_preview",
                args=[application.pk, 999999],
            )
        ).status_code
        == 404
    )


# --------------------------------------------------------------------------
# 6. Companies: enable / disable, create with balance rows
# --------------------------------------------------------------------------


def test_company_disable_and_enable_are_recorded_in_history(staff_client, superuser):
    company = CompanyFactory()
    changelist = reverse("admin:partners_company_changelist")

    response = staff_client.post(
        changelist, {"action": "disable_selected", ACTION_CHECKBOX_NAME: [company.pk]}
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.status == CompanyStatus.DISABLED
    record = company.history.latest()
    assert record.status == CompanyStatus.DISABLED
    assert record.history_user == superuser

    disable_url = reverse("admin:partners_company_disable_detail", args=[company.pk])
    enable_url = reverse("admin:partners_company_enable_detail", args=[company.pk])
    assert staff_client.get(disable_url).status_code == 403  # already disabled
    assert staff_client.get(enable_url).status_code == 200
    company.refresh_from_db()
    assert company.status == CompanyStatus.DISABLED  # GET changes nothing

    response = staff_client.post(enable_url)
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.status == CompanyStatus.ENABLED
    record = company.history.latest()
    assert (record.status, record.history_user) == (CompanyStatus.ENABLED, superuser)


def test_company_added_in_the_console_gets_its_balance_rows(staff_client, superuser):
    manager = UserFactory(is_staff=True)
    gold = Tier.objects.get(code="gold")
    response = staff_client.post(
        reverse("admin:partners_company_add"),
        {
            "name": "控制台新建公司",
            "company_type": "reseller",
            "tier": gold.pk,
            "business_owner": manager.pk,
            "customer_manager": manager.pk,
            "address": "北京市",
            "revenue_share_rate": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    company = Company.objects.get(name="控制台新建公司")
    assert (company.tier, company.customer_manager) == (gold, manager)
    assert RebateWallet.objects.filter(company=company).count() == len(Currency.values)
    assert CreditAccount.objects.filter(company=company).count() == len(Currency.values)
    assert company.history.latest().history_user == superuser

    duplicate = staff_client.post(
        reverse("admin:partners_company_add"),
        {"name": "控制台新建公司".upper(), "company_type": "reseller", "tier": gold.pk},
    )
    assert duplicate.status_code == 200
    assert duplicate.context["adminform"].form.errors["name"]
    assert Company.objects.count() == 1


def test_company_search_by_user_email_keeps_user_count_right(staff_client):
    company = CompanyFactory()
    PartnerUserFactory(company=company, email="one@acme.example.com")
    PartnerUserFactory(company=company, email="two@acme.example.com")
    response = staff_client.get(
        reverse("admin:partners_company_changelist"), {"q": "acme.example.com"}
    )
    assert [(c.pk, c.user_count) for c in response.context["cl"].result_list] == [(company.pk, 2)]


# --------------------------------------------------------------------------
# 7. Users: one 管理员 per company
# --------------------------------------------------------------------------


def test_second_administrator_is_a_form_error_not_a_crash(staff_client):
    company = CompanyFactory()
    admin_of(company)
    add_url = reverse("admin:partners_user_add")
    data = {
        "email": "second@example.com",
        "name": "第二个管理员",
        "company": company.pk,
        "company_role": CompanyRole.ADMIN,
        "password1": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
    }
    response = staff_client.post(add_url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert f"{company.name} 已有管理员" in str(errors["company_role"])
    assert "violated" not in response.content.decode()
    assert not User.objects.filter(email="second@example.com").exists()

    response = staff_client.post(add_url, {**data, "company_role": CompanyRole.CO_ADMIN})
    assert response.status_code == 302
    helper = User.objects.get(email="second@example.com")
    assert helper.company_role == CompanyRole.CO_ADMIN

    # Promoting the co-administrator on the change form is refused the same way.
    change = staff_client.post(
        reverse("admin:partners_user_change", args=[helper.pk]),
        {
            "email": helper.email,
            "name": helper.name,
            "phone": "",
            "position": "",
            "company": company.pk,
            "company_role": CompanyRole.ADMIN,
            "is_active": "on",
        },
    )
    assert change.status_code == 200
    assert change.context["adminform"].form.errors["company_role"]
    helper.refresh_from_db()
    assert helper.company_role == CompanyRole.CO_ADMIN


def test_user_list_shows_company_and_searches_by_company_name(staff_client):
    company = CompanyFactory(name="搜索用公司")
    user = PartnerUserFactory(company=company)
    PartnerUserFactory()
    response = staff_client.get(reverse("admin:partners_user_changelist"), {"q": "搜索用"})
    assert [u.pk for u in response.context["cl"].result_list] == [user.pk]
    assert "搜索用公司" in response.content.decode()


# --------------------------------------------------------------------------
# 8. Changelists do not grow queries with rows
# --------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _applications(start: int, count: int, owner: User) -> None:
    for n in range(start, start + count):
        submit(n, owner)


def _companies(start: int, count: int, owner: User) -> None:
    distributor = DistributorFactory(business_owner=owner, customer_manager=owner)
    for _ in range(count):
        company = CompanyFactory(parent=distributor, business_owner=owner, customer_manager=owner)
        PartnerUserFactory(company=company)


def _users(start: int, count: int, owner: User) -> None:
    PartnerUserFactory.create_batch(count)


def _customers(start: int, count: int, owner: User) -> None:
    EndCustomerFactory.create_batch(count)


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        (APPLICATIONS, _applications),
        ("admin:partners_company_changelist", _companies),
        ("admin:partners_user_changelist", _users),
        ("admin:partners_endcustomer_changelist", _customers),
    ],
    ids=["applications", "companies", "users", "end-customers"],
)
def test_changelist_queries_do_not_grow_with_rows(staff_client, superuser, url_name, make):
    url = reverse(url_name)
    make(1, 3, superuser)
    staff_client.get(url)  # warm caches (content types, permissions)
    with_three = _queries(staff_client, url)
    make(100, 27, superuser)
    with_thirty = _queries(staff_client, url)
    assert with_three == with_thirty


# --------------------------------------------------------------------------
# 9. Dashboard work queue
# --------------------------------------------------------------------------


def test_dashboard_shows_pending_registrations(staff_client, superuser):
    submit(1, superuser)
    submit(2, superuser)
    rejected(3, superuser)
    response = staff_client.get("/admin/")
    queues = {str(title): (count, link) for title, count, link in response.context["work_queues"]}
    count, link = queues["待审核注册申请"]
    assert count == 2
    assert link == reverse(APPLICATIONS) + "?status=pending"
    assert link in response.content.decode()
    assert "data-empty-state" not in response.content.decode()


def test_dashboard_hides_the_queue_without_permission(client, superuser):
    submit(1, superuser)
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.context["work_queues"] == []


# --------------------------------------------------------------------------
# 10. Excel export
# --------------------------------------------------------------------------


def test_company_export_to_excel_has_chinese_headers_and_escapes_formulas(staff_client):
    from backoffice.admin.partners import CompanyResource

    distributor = DistributorFactory(name="上级分销商甲")
    CompanyFactory(name='=HYPERLINK("http://evil.example")', parent=distributor)
    export_url = reverse("admin:partners_company_export")
    assert staff_client.get(export_url).status_code == 200

    data = export_form(Company, CompanyResource, CompanyResource.Meta.fields)
    response = staff_client.post(export_url, data)
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]

    sheet = export_sheet(response)
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    for header in ("公司名称", "类型", "上级分销商", "等级", "业务负责人", "状态", "创建日期"):
        assert header in headers
    names = [row[headers.index("公司名称")] for row in rows[1:]]
    assert "上级分销商甲" in names
    evil = next(row for row in rows[1:] if "HYPERLINK" in str(row[headers.index("公司名称")]))
    assert not str(evil[headers.index("公司名称")]).startswith("=")
    assert evil[headers.index("上级分销商")] == "上级分销商甲"
    assert evil[headers.index("类型")] == "经销商"


# --------------------------------------------------------------------------
# Odds and ends: history pages, user export without secrets, one default tier
# --------------------------------------------------------------------------


def test_history_pages_open(staff_client, superuser):
    application = submit(1, superuser)
    company = CompanyFactory()
    for url in (
        app_url("history", application.pk),
        reverse("admin:partners_company_history", args=[company.pk]),
    ):
        assert staff_client.get(url).status_code == 200


def test_user_export_has_no_password_hashes(staff_client):
    PartnerUserFactory(email="exported@example.com")
    export_url = reverse("admin:partners_user_export")
    from backoffice.admin.partners import UserResource

    data = export_form(User, UserResource, UserResource.Meta.fields, title="csv")
    response = staff_client.post(export_url, data)
    assert response.status_code == 200
    content = response.content.decode("utf-8-sig")
    assert "exported@example.com" in content
    assert "md5$" not in content and "password" not in content.lower()


def test_only_one_default_tier(staff_client):
    silver = Tier.objects.get(code="silver")
    response = staff_client.post(
        reverse("admin:partners_tier_change", args=[silver.pk]),
        {
            "code": silver.code,
            "name": silver.name,
            "name_en": silver.name_en,
            "rank": silver.rank,
            "is_default": "on",
            "rebate_rate": silver.rebate_rate,
            "revenue_share_rate": silver.revenue_share_rate,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_default"]
    assert Tier.objects.get(is_default=True).code == "registered"
