"""Personal center (个人中心, /account/): menus by role, profile, benefits, company users,
sub-resellers, end customers, company files and the list query counts."""

import re

import pytest
from django.urls import reverse

from partners import services
from partners.auth import PartnerAwareBackend
from partners.models import (
    Company,
    CompanyRole,
    CompanyStatus,
    CompanyType,
    EndCustomer,
    Tier,
    User,
)
from tests.factories import UserFactory
from tests.pages import get_queries, html_of, messages_of, row_ids, zh
from tests.partners.factories import (
    CompanyFactory,
    DistributorFactory,
    EndCustomerFactory,
    PartnerUserFactory,
    QualificationFileFactory,
    admin_of,
)

pytestmark = pytest.mark.django_db

PROFILE = reverse("portal:account_profile")
BENEFITS = reverse("portal:account_benefits")
USERS = reverse("portal:account_users")
INVITE = reverse("portal:account_user_invite")
RESELLERS = reverse("portal:account_resellers")
RESELLER_ADD = reverse("portal:account_reseller_add")
CUSTOMERS = reverse("portal:account_customers")
CUSTOMER_ADD = reverse("portal:account_customer_add")


COMMON_MENU = [
    "profile",
    "messages",
    "benefits",
    "customers",
    "assets_rebate",
    "assets_coupons",
    "assets_credit",
    "customer_orders",
]


def menu_keys(html: str) -> list[str]:
    return re.findall(r'data-menu="([a-z_]+)"', html)


@pytest.fixture
def reseller():
    return CompanyFactory(name="经销商甲", address="上海市宝山区纪蕴路588号")


@pytest.fixture
def reseller_admin(reseller):
    return admin_of(reseller, name="管理员甲", email="admin@reseller.example.com")


@pytest.fixture
def co_admin(reseller):
    return PartnerUserFactory(company=reseller, name="协同甲", email="co@reseller.example.com")


@pytest.fixture
def distributor():
    return DistributorFactory(name="分销商甲")


@pytest.fixture
def distributor_admin(distributor):
    return admin_of(distributor, email="admin@distributor.example.com")


# --------------------------------------------------------------------------
# Access and menus
# --------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(client):
    for url in (PROFILE, BENEFITS, USERS, RESELLERS, CUSTOMERS, CUSTOMER_ADD):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


def test_users_without_a_company_get_404(client):
    client.force_login(UserFactory(is_staff=True))
    for url in (PROFILE, BENEFITS, USERS, RESELLERS, CUSTOMERS):
        assert client.get(url).status_code == 404


def test_co_admin_sees_no_user_or_reseller_management(client, co_admin, reseller_admin):
    client.force_login(co_admin)
    html = html_of(client.get(PROFILE))
    assert menu_keys(html) == [*COMMON_MENU, "revenue_statements"]
    for label in ("个人中心", "个人资料", "会员权益", "我的客户"):
        assert label in html
    assert "用户管理" not in html and "经销商管理" not in html
    for url in (USERS, INVITE, RESELLERS, RESELLER_ADD):
        assert client.get(url).status_code == 404
    assert client.post(USERS, {"action": "disable", "ids": [reseller_admin.pk]}).status_code == 404
    assert User.objects.get(pk=reseller_admin.pk).is_active


def test_reseller_admin_manages_users_but_not_resellers(client, reseller_admin):
    client.force_login(reseller_admin)
    html = html_of(client.get(PROFILE))
    assert menu_keys(html) == [
        *COMMON_MENU,
        "users",
        "revenue_statements",
        "api_keys",
        "webhooks",
    ]
    assert "用户管理" in html and "分销商用户" not in html and "经销商管理" not in html
    assert client.get(USERS).status_code == 200
    assert client.get(RESELLERS).status_code == 404
    assert client.get(RESELLER_ADD).status_code == 404


def test_distributor_admin_sees_both_management_menus(client, distributor_admin):
    client.force_login(distributor_admin)
    html = html_of(client.get(USERS))
    assert menu_keys(html) == [
        *COMMON_MENU,
        "users",
        "revenue_statements",
        "resellers",
        "tiers",
        "reseller_coupons",
        "api_keys",
        "webhooks",
    ]
    assert 'data-menu="users" class="is-active"' in html
    assert client.get(RESELLERS).status_code == 200


def test_header_shows_the_company_menu_for_partners_only(client, co_admin):
    client.force_login(co_admin)
    html = html_of(client.get("/"))
    assert f"<summary data-company-name>{co_admin.company.name}</summary>" in html
    assert f'href="{PROFILE}">个人中心</a>' in html
    assert "退出登录" in html
    assert 'placeholder="请搜索您需要的云产品"' in html

    client.force_login(UserFactory(is_staff=True, name="员工"))
    html = html_of(client.get("/"))
    assert "data-company-name" not in html and "个人中心" not in html


# --------------------------------------------------------------------------
# 个人资料, company files, 会员权益
# --------------------------------------------------------------------------


def test_profile_shows_personal_and_registration_info(client, reseller, co_admin):
    manager = UserFactory(is_staff=True, email="p_an.keju@oe.21vianet.com")
    reseller.customer_manager = manager
    reseller.tier = Tier.objects.get(code="gold")
    reseller.save()
    admin_of(reseller, email="66666@bccto.me", phone="13653812334", position="test")
    co_admin.phone = "13712347896"
    co_admin.save()
    licence = QualificationFileFactory(company=reseller, original_name="营业执照.pdf")
    QualificationFileFactory(original_name="别家执照.pdf")  # another company's file
    client.force_login(co_admin)
    html = html_of(client.get(PROFILE))

    def field(name: str) -> str:
        match = re.search(rf'<dd data-field="{name}">(.*?)</dd>', html, re.S)
        assert match, name
        return re.sub(r"<[^>]+>", "", match.group(1)).strip()

    for label in (
        "个人信息",
        "注册信息",
        "姓名",
        "邮件",
        "电话",
        "角色",
        "账号状态",
        "公司",
        "地址",
    ):
        assert label in html
    for label in ("蓝云客户经理", "用户等级", "注册人", "职位"):
        assert label in html
    assert field("name") == "协同甲"
    assert field("email") == "co@reseller.example.com"
    assert field("phone") == "13712347896"
    assert field("role") == "协同管理员"
    assert field("status") == "激活"
    assert field("company") == "经销商甲"
    assert field("address") == "上海市宝山区纪蕴路588号"
    assert field("customer_manager") == "p_an.keju@oe.21vianet.com"
    assert field("tier") == "金牌级"
    assert field("registrant_role") == "管理员"
    assert field("registrant_email") == "66666@bccto.me"
    assert field("registrant_phone") == "13653812334"
    assert field("registrant_position") == "test"
    assert "营业执照.pdf" in html and "别家执照.pdf" not in html
    assert reverse("portal:account_file", args=[licence.pk]) in html


def test_company_file_downloads_as_an_attachment(client, co_admin):
    record = QualificationFileFactory(company=co_admin.company, original_name="执照.pdf")
    other = QualificationFileFactory()
    client.force_login(co_admin)
    response = client.get(reverse("portal:account_file", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("portal:account_file", args=[other.pk])).status_code == 404
    assert client.post(reverse("portal:account_file", args=[record.pk])).status_code == 405


def test_benefits_table_has_every_row_and_highlights_the_current_tier(client, co_admin):
    company = co_admin.company
    company.tier = Tier.objects.get(code="silver")
    company.save()
    client.force_login(co_admin)
    html = html_of(client.get(BENEFITS))
    assert html.count("data-benefit-row") == 8
    columns = re.findall(r'<th scope="col" data-tier="([a-z]+)"([^>]*)>', html)
    assert [code for code, _ in columns] == ["registered", "silver", "gold"]
    assert [("is-current" in attrs) for _, attrs in columns] == [False, True, False]
    assert "注册级" in html and "银牌级" in html and "金牌级" in html
    assert 'rowspan="5" class="category">一、合作权益' in html
    assert 'rowspan="3" class="category">二、技术赋能' in html
    assert "年度蓝云合作伙伴生态大会邀请" in html and "每月6个项目,单项目2个小时" in html
    # Each row has exactly one highlighted cell, in the silver column.
    body = html.split("<tbody>", 1)[1]
    assert body.count("benefit-cell is-current") == 8
    assert "—" in body and "✓" in body


# --------------------------------------------------------------------------
# 用户管理: invite, edit, enable/disable/delete, transfer
# --------------------------------------------------------------------------


def test_users_list_has_spec_columns_and_search(client, reseller_admin, co_admin):
    PartnerUserFactory(
        company=reseller_admin.company,
        name="红尘刀客",
        email="enjain@qq.com",
        phone="18521509558",
        activated_at=None,
    )
    PartnerUserFactory(name="别家用户", email="other@elsewhere.example.com")
    client.force_login(reseller_admin)
    html = html_of(client.get(USERS))
    for label in (
        "姓名",
        "邮箱",
        "手机号码",
        "角色",
        "创建日期",
        "最后登录日期",
        "是否激活",
        "操作",
        "启用",
        "禁用",
        "删除",
        "添加",
        "编辑",
        "请输入姓名/邮箱/手机号码进行搜索",
    ):
        assert label in html
    assert "红尘刀客" in html and "✗" in html and "✓" in html
    assert "other@elsewhere.example.com" not in html
    for term in ("红尘", "ENJAIN@qq", "18521509558"):
        found = html_of(client.get(USERS, {"q": term}))
        assert "enjain@qq.com" in found and co_admin.email not in found, term


def test_users_list_is_paginated_by_15(client, reseller_admin):
    PartnerUserFactory.create_batch(15, company=reseller_admin.company)
    client.force_login(reseller_admin)
    first = html_of(client.get(USERS))
    assert len(row_ids(first)) == 15
    assert "15 条/页" in first and "共 16 条" in first
    assert len(row_ids(html_of(client.get(USERS, {"page": 2})))) == 1


def test_invite_sends_an_activation_mail(
    client, reseller_admin, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(reseller_admin)
    html = html_of(client.get(INVITE))
    assert "添加分销商用户" in html and "发送邀请邮件" in html and "返回列表" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE, {"email": " New.User@Example.com "})
    assert response.status_code == 302 and response["Location"] == USERS
    invited = User.objects.get(email="new.user@example.com")
    assert invited.company == reseller_admin.company
    assert invited.company_role == CompanyRole.CO_ADMIN
    assert not invited.is_activated
    assert [m.to for m in mailoutbox] == [["new.user@example.com"]]
    assert "/activate/" in mailoutbox[0].body
    listed = html_of(client.get(USERS))
    assert "new.user@example.com" in listed


def test_invite_rejects_a_duplicate_or_malformed_email(
    client, reseller_admin, co_admin, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(reseller_admin)
    count = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        duplicate = client.post(INVITE, {"email": co_admin.email.upper()})
        malformed = client.post(INVITE, {"email": "not-an-email"})
        too_long = client.post(INVITE, {"email": "a" * 250 + "@example.com"})
    assert duplicate.status_code == 200
    assert zh("A user with this e-mail already exists.") in duplicate.content.decode()
    assert "该邮箱的用户已存在" in duplicate.content.decode()
    assert malformed.status_code == 200 and malformed.context["form"].errors["email"]
    assert too_long.status_code == 200 and too_long.context["form"].errors["email"]
    assert User.objects.count() == count
    assert mailoutbox == []


def test_edit_user_changes_name_and_phone_only(client, reseller_admin, co_admin):
    url = reverse("portal:account_user_edit", args=[co_admin.pk])
    client.force_login(reseller_admin)
    html = html_of(client.get(url))
    assert "编辑分销商用户" in html and "保存" in html and "转移管理员" in html
    assert f'value="{co_admin.email}" readonly' in html
    response = client.post(url, {"name": "新名字", "phone": "13900001111", "email": "x@y.com"})
    assert response.status_code == 302
    co_admin.refresh_from_db()
    assert (co_admin.name, co_admin.phone) == ("新名字", "13900001111")
    assert co_admin.email == "co@reseller.example.com"


@pytest.mark.parametrize(
    "data",
    [
        {"name": "名" * 101, "phone": "13900001111"},
        {"name": "", "phone": "13900001111"},
        {"name": "好名字", "phone": "call me maybe"},
        {"name": "好名字", "phone": "1" * 21},
    ],
)
def test_edit_user_rejects_bad_input_and_stores_nothing(client, reseller_admin, co_admin, data):
    client.force_login(reseller_admin)
    response = client.post(reverse("portal:account_user_edit", args=[co_admin.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    stored = User.objects.get(pk=co_admin.pk)
    assert (stored.name, stored.phone) == (co_admin.name, co_admin.phone)


def test_admin_cannot_disable_or_delete_self(client, reseller_admin, co_admin):
    client.force_login(reseller_admin)
    for action in ("disable", "delete"):
        response = client.post(
            USERS, {"action": action, "ids": [reseller_admin.pk, co_admin.pk]}, follow=True
        )
        errors = messages_of(response, "error")
        assert errors and "自己" in errors[0], errors
    for user in (reseller_admin, co_admin):
        stored = User.objects.get(pk=user.pk)
        assert stored.is_active and stored.deleted_at is None


def test_disable_enable_and_delete_users(client, reseller_admin, co_admin):
    client.force_login(reseller_admin)
    response = client.post(USERS, {"action": "disable", "ids": [co_admin.pk]}, follow=True)
    assert messages_of(response, "success") == ["已禁用 1 个用户。"]
    assert not User.objects.get(pk=co_admin.pk).is_active
    assert PartnerAwareBackend().get_user(co_admin.pk) is None
    assert "已禁用" in html_of(client.get(USERS))

    response = client.post(USERS, {"action": "enable", "ids": [co_admin.pk]}, follow=True)
    assert messages_of(response, "success") == ["已启用 1 个用户。"]
    assert PartnerAwareBackend().get_user(co_admin.pk) is not None

    response = client.post(USERS, {"action": "delete", "ids": [co_admin.pk]}, follow=True)
    assert messages_of(response, "success") == ["已删除 1 个用户。"]
    stored = User.objects.get(pk=co_admin.pk)  # soft delete: the row stays for past orders
    assert stored.deleted_at is not None and not stored.is_active
    assert PartnerAwareBackend().get_user(co_admin.pk) is None
    assert co_admin.email not in html_of(client.get(USERS))
    assert client.get(reverse("portal:account_user_edit", args=[co_admin.pk])).status_code == 404


def test_bulk_action_without_rows_or_with_a_bad_action_changes_nothing(
    client, reseller_admin, co_admin
):
    client.force_login(reseller_admin)
    response = client.post(USERS, {"action": "disable"}, follow=True)
    assert messages_of(response, "error") == ["请先勾选至少一行。"]
    response = client.post(USERS, {"action": "promote", "ids": [co_admin.pk]}, follow=True)
    assert messages_of(response, "error")
    response = client.post(USERS, {"action": "disable", "ids": ["x"]}, follow=True)
    assert messages_of(response, "error")
    assert User.objects.get(pk=co_admin.pk).is_active


def test_transfer_admin_needs_confirmation_and_demotes_the_old_admin(
    client, reseller_admin, co_admin
):
    url = reverse("portal:account_user_transfer_admin", args=[co_admin.pk])
    client.force_login(reseller_admin)
    html = html_of(client.get(url))
    assert "转移管理员" in html and 'name="confirm"' in html

    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 200 and unconfirmed.context["form"].errors["confirm"]
    assert User.objects.get(pk=reseller_admin.pk).company_role == CompanyRole.ADMIN

    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == PROFILE
    admins = User.objects.filter(company=reseller_admin.company, company_role=CompanyRole.ADMIN)
    assert list(admins) == [co_admin]
    assert User.objects.get(pk=reseller_admin.pk).company_role == CompanyRole.CO_ADMIN
    assert client.get(USERS).status_code == 404
    assert client.get(url).status_code == 404
    assert "users" not in menu_keys(html_of(client.get(PROFILE)))

    client.force_login(co_admin)
    assert client.get(USERS).status_code == 200


def test_transfer_admin_to_an_unactivated_user_is_refused(client, reseller_admin):
    pending = PartnerUserFactory(company=reseller_admin.company, activated_at=None)
    client.force_login(reseller_admin)
    url = reverse("portal:account_user_transfer_admin", args=[pending.pk])
    edit = html_of(client.get(reverse("portal:account_user_edit", args=[pending.pk])))
    assert 'data-action="transfer-admin"' not in edit
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 200
    assert (
        zh("The new administrator must be an enabled, activated user.") in response.content.decode()
    )
    assert User.objects.get(pk=reseller_admin.pk).company_role == CompanyRole.ADMIN
    self_url = reverse("portal:account_user_transfer_admin", args=[reseller_admin.pk])
    assert client.post(self_url, {"confirm": "on"}).status_code == 200
    assert User.objects.get(pk=reseller_admin.pk).company_role == CompanyRole.ADMIN


# --------------------------------------------------------------------------
# 经销商管理
# --------------------------------------------------------------------------


def test_resellers_add_edit_enable_disable(client, distributor, distributor_admin):
    client.force_login(distributor_admin)
    html = html_of(client.get(RESELLER_ADD))
    assert "添加经销商" in html and "公司" in html and "地址" in html and "保存" in html
    response = client.post(
        RESELLER_ADD, {"name": " 纪蕴经销 ", "address": "上海宝山区纪蕴路 588 号"}
    )
    reseller = Company.objects.get(name="纪蕴经销")
    assert response["Location"] == reverse("portal:account_reseller_users", args=[reseller.pk])
    assert reseller.parent == distributor and reseller.company_type == CompanyType.RESELLER
    assert reseller.tier.code == "registered"
    assert reseller.rebate_wallets.exists() and reseller.credit_accounts.exists()

    listed = html_of(client.get(RESELLERS))
    for label in ("公司名称", "地址", "状态", "创建日期", "操作", "请输入公司名称进行搜索"):
        assert label in listed
    assert "纪蕴经销" in listed and "启用" in listed
    assert "纪蕴经销" not in html_of(client.get(RESELLERS, {"q": "不存在"}))

    edit_url = reverse("portal:account_reseller_edit", args=[reseller.pk])
    html = html_of(client.get(edit_url))
    assert "编辑经销商" in html and "基本信息" in html and "用户" in html
    response = client.post(edit_url, {"name": "纪蕴经销二号", "address": "新地址"}, follow=True)
    assert messages_of(response, "success") == ["已保存。"]
    reseller.refresh_from_db()
    assert (reseller.name, reseller.address) == ("纪蕴经销二号", "新地址")

    response = client.post(RESELLERS, {"action": "disable", "ids": [reseller.pk]}, follow=True)
    assert messages_of(response, "success") == ["已禁用 1 个经销商。"]
    assert Company.objects.get(pk=reseller.pk).status == CompanyStatus.DISABLED
    client.post(RESELLERS, {"action": "enable", "ids": [reseller.pk]})
    assert Company.objects.get(pk=reseller.pk).status == CompanyStatus.ENABLED


def test_disabling_a_reseller_blocks_its_users(client, distributor, distributor_admin):
    sub = CompanyFactory(parent=distributor)
    sub_admin = admin_of(sub)
    client.force_login(distributor_admin)
    client.post(RESELLERS, {"action": "disable", "ids": [sub.pk]})
    assert PartnerAwareBackend().get_user(sub_admin.pk) is None


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "address": "地址"},
        {"name": "公" * 101, "address": "地址"},
        {"name": "好公司", "address": "址" * 201},
        {"name": "好公司", "address": ""},
    ],
)
def test_reseller_add_rejects_bad_input(client, distributor_admin, data):
    client.force_login(distributor_admin)
    count = Company.objects.count()
    response = client.post(RESELLER_ADD, data)
    assert response.status_code == 200 and response.context["form"].errors
    assert Company.objects.count() == count


def test_reseller_names_are_unique(client, distributor_admin):
    CompanyFactory(name="已有公司")
    client.force_login(distributor_admin)
    response = client.post(RESELLER_ADD, {"name": "已有公司", "address": "地址"})
    assert response.context["form"].errors["name"] == ["该公司名称已存在。"]
    assert Company.objects.filter(name="已有公司").count() == 1


def test_reseller_users_tab_invites_the_first_user_as_admin(
    client, distributor, distributor_admin, django_capture_on_commit_callbacks, mailoutbox
):
    sub = CompanyFactory(parent=distributor, name="新经销商")
    client.force_login(distributor_admin)
    tab_url = reverse("portal:account_reseller_users", args=[sub.pk])
    invite_url = reverse("portal:account_reseller_user_invite", args=[sub.pk])
    html = html_of(client.get(invite_url))
    assert "添加经销商用户" in html and "返回经销商" in html and "发送邀请邮件" in html
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(invite_url, {"email": "first@sub.example.com"})
        client.post(invite_url, {"email": "second@sub.example.com"})
    assert first["Location"] == tab_url
    assert User.objects.get(email="first@sub.example.com").company_role == CompanyRole.ADMIN
    second = User.objects.get(email="second@sub.example.com")
    assert second.company_role == CompanyRole.CO_ADMIN and second.company == sub
    assert sorted(m.to[0] for m in mailoutbox) == [
        "first@sub.example.com",
        "second@sub.example.com",
    ]
    assert all("/activate/" in m.body for m in mailoutbox)

    html = html_of(client.get(tab_url))
    assert "first@sub.example.com" in html and "second@sub.example.com" in html
    for label in ("姓名", "邮箱", "手机号码", "角色", "创建日期", "最后登录日期", "是否激活"):
        assert label in html

    response = client.post(tab_url, {"action": "disable", "ids": [second.pk]}, follow=True)
    assert messages_of(response, "success") == ["已禁用 1 个用户。"]
    assert not User.objects.get(pk=second.pk).is_active
    client.post(tab_url, {"action": "enable", "ids": [second.pk]})
    assert User.objects.get(pk=second.pk).is_active
    # The distributor's own users are not the reseller's.
    response = client.post(
        tab_url, {"action": "disable", "ids": [distributor_admin.pk]}, follow=True
    )
    assert messages_of(response, "error")
    assert User.objects.get(pk=distributor_admin.pk).is_active


# --------------------------------------------------------------------------
# 我的客户
# --------------------------------------------------------------------------

CUSTOMER = {
    "name": "Akisi test",
    "email": "akisi@example.com",
    "company_name": "世纪互联",
    "phone": "13712347896",
    "address": "test",
}


def test_customers_crud_with_search(client, co_admin):
    client.force_login(co_admin)
    html = html_of(client.get(CUSTOMER_ADD))
    assert "添加客户" in html and "返回列表" in html and "<textarea" in html
    response = client.post(CUSTOMER_ADD, CUSTOMER)
    assert response.status_code == 302 and response["Location"] == CUSTOMERS
    customer = EndCustomer.objects.get(email="akisi@example.com")
    assert customer.company == co_admin.company and customer.created_by == co_admin
    EndCustomerFactory(
        company=co_admin.company,
        name="别的客户",
        company_name="别的公司",
        email="other@example.com",
        phone="13800000000",
    )

    html = html_of(client.get(CUSTOMERS))
    for label in ("姓名", "公司", "地址", "邮箱", "电话", "操作", "添加客户"):
        assert label in html
    for term in ("Akisi", "世纪", "akisi@", "1371234"):
        found = html_of(client.get(CUSTOMERS, {"q": term}))
        assert row_ids(found) == [customer.pk], term

    edit_url = reverse("portal:account_customer_edit", args=[customer.pk])
    html = html_of(client.get(edit_url))
    assert "编辑客户 - Akisi test" in html and "保存" in html and "删除" in html
    client.post(edit_url, {**CUSTOMER, "phone": "13700000000", "address": "新地址"})
    customer.refresh_from_db()
    assert (customer.phone, customer.address) == ("13700000000", "新地址")

    delete_url = reverse("portal:account_customer_delete", args=[customer.pk])
    confirm = html_of(client.get(delete_url))
    assert "取消" in confirm and "删除" in confirm and "Akisi test" in confirm
    assert EndCustomer.objects.filter(pk=customer.pk).exists()  # GET only asks
    response = client.post(delete_url, follow=True)
    assert messages_of(response, "success") == ["已删除客户 Akisi test。"]
    assert not EndCustomer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize(
    "override",
    [
        {"name": ""},
        {"email": ""},
        {"company_name": ""},
        {"email": "not-an-email"},
        {"name": "名" * 51},
        {"company_name": "公" * 101},
        {"address": "址" * 201},
        {"phone": "1" * 21},
        {"phone": "phone"},
    ],
)
def test_customer_bad_input_stores_nothing(client, co_admin, override):
    existing = EndCustomerFactory(company=co_admin.company)
    client.force_login(co_admin)
    response = client.post(CUSTOMER_ADD, {**CUSTOMER, **override})
    assert response.status_code == 200 and response.context["form"].errors
    assert EndCustomer.objects.count() == 1
    edit_url = reverse("portal:account_customer_edit", args=[existing.pk])
    response = client.post(edit_url, {**CUSTOMER, **override})
    assert response.status_code == 200 and response.context["form"].errors
    stored = EndCustomer.objects.get(pk=existing.pk)
    assert (stored.name, stored.email, stored.address) == (
        existing.name,
        existing.email,
        existing.address,
    )


def test_customer_delete_refused_by_the_service_shows_an_error(client, co_admin, monkeypatch):
    customer = EndCustomerFactory(company=co_admin.company, name="在用客户")

    def refuse(*, customer):
        raise services.PartnerError("“在用客户”已被订单使用,不能删除。", code="in_use")

    monkeypatch.setattr(services, "end_customer_delete", refuse)
    client.force_login(co_admin)
    url = reverse("portal:account_customer_delete", args=[customer.pk])
    response = client.post(url, follow=True)
    assert messages_of(response, "error") == ["“在用客户”已被订单使用,不能删除。"]
    assert response.redirect_chain[-1][0] == reverse(
        "portal:account_customer_edit", args=[customer.pk]
    )
    assert EndCustomer.objects.filter(pk=customer.pk).exists()


def test_customers_are_paginated_by_15(client, co_admin):
    EndCustomerFactory.create_batch(16, company=co_admin.company)
    client.force_login(co_admin)
    assert len(row_ids(html_of(client.get(CUSTOMERS)))) == 15
    page_two = html_of(client.get(CUSTOMERS, {"page": 2}))
    assert len(row_ids(page_two)) == 1
    assert "?page=1" in page_two


# --------------------------------------------------------------------------
# Query counts: the lists do not grow with their rows
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["users", "resellers", "customers"])
def test_list_query_count_does_not_grow_with_rows(
    client, distributor, distributor_admin, kind, django_assert_max_num_queries
):
    def add(n: int) -> None:
        if kind == "users":
            PartnerUserFactory.create_batch(n, company=distributor)
        elif kind == "resellers":
            for company in CompanyFactory.create_batch(n, parent=distributor):
                admin_of(company)
        else:
            EndCustomerFactory.create_batch(n, company=distributor)

    url = {"users": USERS, "resellers": RESELLERS, "customers": CUSTOMERS}[kind]
    client.force_login(distributor_admin)
    add(3 - (1 if kind == "users" else 0))  # the admin is the users list's first row
    assert len(row_ids(html_of(client.get(url)))) == 3
    with_3 = get_queries(client, url)
    add(27)
    with django_assert_max_num_queries(with_3):
        html = html_of(client.get(url))
    assert len(row_ids(html)) == 15
    assert get_queries(client, url) == with_3
