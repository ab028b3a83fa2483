"""Staff console, finance: wallets, credit lines, bills, repayments, coupons, exports,
permissions, dashboard queues and changelist query counts."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    Bill,
    BillStatus,
    Coupon,
    CouponCampaign,
    CreditAccount,
    CreditEntry,
    CreditEntryType,
    CreditLimitChange,
    RebateEntry,
    RebateEntryType,
    RebateWallet,
    Repayment,
    RepaymentStatus,
)
from billing.services import bills as bill_services
from billing.services import coupons, credit
from billing.services.credit import local_today
from tests.billing.factories import CouponCampaignFactory
from tests.billing.helpers import (
    grant_rebate,
    guarantee_limit,
    make_company,
    make_partner_user,
    numbered_charge,
    submit_offline_repayment,
)
from tests.exports import export_format_index, export_sheet
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CNY = "CNY"


def url(name: str, *args) -> str:
    return reverse(f"admin:billing_{name}", args=args)


def token_of(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f-]{36})"', response.content.decode())
    assert match, "the form page carries a one-time token"
    return match.group(1)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def wallet_of(company) -> RebateWallet:
    return RebateWallet.objects.get(company=company, currency=CNY)


def account_of(company) -> CreditAccount:
    return CreditAccount.objects.get(company=company, currency=CNY)


def billed(company, user, amount="100", *, days_ago=2) -> Bill:
    numbered_charge(company, user, amount, days_ago=days_ago)
    bill_services.bills_generate(until=local_today() - timedelta(days=days_ago))
    return Bill.objects.filter(account__company=company).order_by("-pk").first()


def submitted_repayment(company, user, superuser) -> Repayment:
    guarantee_limit(company, superuser)
    bill = billed(company, user)
    return submit_offline_repayment(company, [bill], user, payer_account="6222 0000 1234")


@pytest.fixture
def company():
    return make_company("财务测试公司")


@pytest.fixture
def partner(company):
    return make_partner_user(company, email="partner-admin@finance.example.com")


@pytest.fixture
def finance(db):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    return User.objects.get(email="finance@example.com")


@pytest.fixture
def sales(finance):
    """A staff member who may view billing but change nothing (the old demo sales role)."""
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True, email="viewer@example.com")
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="billing", codename__startswith="view_")
    )
    return viewer


# --------------------------------------------------------------------------
# Rebate wallet: 发放 / 扣回
# --------------------------------------------------------------------------


def test_grant_posts_once_even_when_the_same_form_is_posted_twice(staff_client, company):
    target = wallet_of(company)
    detail = staff_client.get(url("rebatewallet_change", target.pk))
    assert url("rebatewallet_grant_detail", target.pk) in detail.content.decode()
    assert url("rebatewallet_clawback_detail", target.pk) in detail.content.decode()

    page = staff_client.get(url("rebatewallet_grant_detail", target.pk))
    assert page.status_code == 200
    token = token_of(page)
    assert not RebateEntry.objects.exists()  # GET is safe

    data = {"amount": "56.15", "reason": "2019H2 返点", "token": token}
    first = staff_client.post(url("rebatewallet_grant_detail", target.pk), data, follow=True)
    second = staff_client.post(url("rebatewallet_grant_detail", target.pk), data, follow=True)
    entry = RebateEntry.objects.get()
    assert entry.entry_type == RebateEntryType.GRANT
    assert entry.amount == Decimal("56.15") and entry.reason == "2019H2 返点"
    assert wallet_of(company).balance == Decimal("56.15")
    assert messages_of(first)[0][0] == "success"
    assert "+¥56.15" in messages_of(first)[0][1]
    assert messages_of(second) == [
        ("info", f"该表单已提交过（交易编号 {entry.number}），未重复记账。")
    ]

    # A fresh page (new token) posts a second grant.
    again = {
        **data,
        "token": token_of(staff_client.get(url("rebatewallet_grant_detail", target.pk))),
    }
    staff_client.post(url("rebatewallet_grant_detail", target.pk), again)
    assert RebateEntry.objects.count() == 2
    assert wallet_of(company).balance == Decimal("112.30")


def test_grant_without_reason_is_a_form_error_and_posts_nothing(staff_client, company):
    target = wallet_of(company)
    token = token_of(staff_client.get(url("rebatewallet_grant_detail", target.pk)))
    for reason in ("", "   "):
        response = staff_client.post(
            url("rebatewallet_grant_detail", target.pk),
            {"amount": "10", "reason": reason, "token": token},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
    no_token = staff_client.post(
        url("rebatewallet_grant_detail", target.pk), {"amount": "10", "reason": "x"}
    )
    assert no_token.context["form"].non_field_errors()
    assert not RebateEntry.objects.exists()
    assert wallet_of(company).balance == 0


def test_clawback_beyond_the_balance_is_refused_by_the_service(staff_client, company, superuser):
    grant_rebate(company, superuser, "5", reason="x")
    target = wallet_of(company)
    token = token_of(staff_client.get(url("rebatewallet_clawback_detail", target.pk)))
    response = staff_client.post(
        url("rebatewallet_clawback_detail", target.pk),
        {"amount": "6", "reason": "多发", "token": token},
    )
    assert response.status_code == 200
    assert "可抵扣优惠金额余额为 ¥5.00，无法抵扣 ¥6.00" in str(
        response.context["form"].non_field_errors()
    )
    assert wallet_of(company).balance == Decimal("5.00")
    ok = staff_client.post(
        url("rebatewallet_clawback_detail", target.pk),
        {"amount": "2", "reason": "多发", "token": token},
        follow=True,
    )
    assert messages_of(ok)[0][0] == "success"
    assert wallet_of(company).balance == Decimal("3.00")
    assert RebateEntry.objects.filter(entry_type=RebateEntryType.CLAWBACK).count() == 1


def test_wallet_actions_need_the_change_permission(client, company, finance, sales):
    target = wallet_of(company)
    client.force_login(sales)
    detail = client.get(url("rebatewallet_change", target.pk))
    assert detail.status_code == 200
    assert url("rebatewallet_grant_detail", target.pk) not in detail.content.decode()
    assert client.get(url("rebatewallet_grant_detail", target.pk)).status_code == 403
    client.force_login(finance)
    assert client.get(url("rebatewallet_grant_detail", target.pk)).status_code == 200


# --------------------------------------------------------------------------
# Credit lines: 设置额度, 线下使用, 解除逾期限制
# --------------------------------------------------------------------------


def test_set_limit_and_the_change_history(
    staff_client, company, partner, django_capture_on_commit_callbacks, mailoutbox
):
    account = account_of(company)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("creditaccount_set_limit_detail", account.pk),
            {"credit_limit": "1500", "term_days": "365", "reason": "银行保函 ¥1,500"},
            follow=True,
        )
    assert messages_of(response)[0][0] == "success"
    account.refresh_from_db()
    assert (account.credit_limit, account.term_days) == (Decimal("1500.00"), 365)
    change = CreditLimitChange.objects.get()
    assert change.reason == "银行保函 ¥1,500" and change.new_limit == Decimal("1500.00")
    assert [m.to for m in mailoutbox] == [[partner.email]]
    detail = staff_client.get(url("creditaccount_change", account.pk)).content.decode()
    assert "银行保函 ¥1,500" in detail  # the read-only inline of limit changes
    assert "¥1,500.00" in detail  # amounts on the detail page go through format_money


def test_set_limit_below_used_is_an_error(staff_client, company, partner, superuser):
    guarantee_limit(company, superuser, limit="1000")
    numbered_charge(company, partner, "300")
    account = account_of(company)
    response = staff_client.post(
        url("creditaccount_set_limit_detail", account.pk),
        {"credit_limit": "200", "term_days": "30", "reason": "下调"},
    )
    assert response.status_code == 200
    assert "额度不能低于已使用的金额（¥300.00）" in response.content.decode()
    account.refresh_from_db()
    assert account.credit_limit == Decimal("1000.00")
    assert CreditLimitChange.objects.count() == 1


def test_offline_charge_mails_the_company_and_posts_once(
    staff_client, company, partner, superuser, django_capture_on_commit_callbacks, mailoutbox
):
    guarantee_limit(company, superuser, limit="1000")
    account = account_of(company)
    token = token_of(staff_client.get(url("creditaccount_offline_charge_detail", account.pk)))
    data = {"amount": "120.5", "reason": "线下合同 A-1", "token": token}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("creditaccount_offline_charge_detail", account.pk), data, follow=True
        )
    assert messages_of(response)[0][0] == "success"
    entry = CreditEntry.objects.get(entry_type=CreditEntryType.OFFLINE_CHARGE)
    assert entry.amount == Decimal("120.50") and entry.actor == superuser
    assert account_of(company).used == Decimal("120.50")
    offline_mails = [m for m in mailoutbox if "线下使用" in m.subject]
    assert len(offline_mails) == 1
    assert offline_mails[0].to == [partner.email]
    assert "¥879.50" in offline_mails[0].body

    with django_capture_on_commit_callbacks(execute=True):
        replay = staff_client.post(
            url("creditaccount_offline_charge_detail", account.pk), data, follow=True
        )
    assert messages_of(replay)[0][0] == "info"
    assert CreditEntry.objects.filter(entry_type=CreditEntryType.OFFLINE_CHARGE).count() == 1
    assert len([m for m in mailoutbox if "线下使用" in m.subject]) == 1


def test_offline_charge_beyond_the_limit_is_refused(staff_client, company, superuser):
    guarantee_limit(company, superuser, limit="100")
    account = account_of(company)
    token = token_of(staff_client.get(url("creditaccount_offline_charge_detail", account.pk)))
    response = staff_client.post(
        url("creditaccount_offline_charge_detail", account.pk),
        {"amount": "100.01", "reason": "x", "token": token},
    )
    assert response.status_code == 200
    assert "可用额度为 ¥100.00" in response.content.decode()
    assert not CreditEntry.objects.exists()


def test_lift_overdue_block(staff_client, company, partner, superuser, sales):
    guarantee_limit(company, superuser, term_days=1)
    billed(company, partner, "50", days_ago=5)
    bill_services.bills_mark_overdue_and_remind()
    account = account_of(company)
    assert credit.is_blocked_by_overdue(account)
    changelist = staff_client.get(url("creditaccount_changelist"), {"q": company.name})
    overdue_flags = {a.pk: a.overdue for a in changelist.context["cl"].result_list}
    assert overdue_flags[account.pk] is True

    other_client = Client()
    other_client.force_login(sales)
    assert other_client.get(url("creditaccount_lift_block_detail", account.pk)).status_code == 403

    until = local_today() + timedelta(days=2)
    past = staff_client.post(
        url("creditaccount_lift_block_detail", account.pk),
        {"until": (local_today() - timedelta(days=1)).isoformat(), "reason": "客户已承诺还款"},
    )
    assert past.context["form"].errors["until"]
    response = staff_client.post(
        url("creditaccount_lift_block_detail", account.pk),
        {"until": until.isoformat(), "reason": "客户已承诺还款"},
        follow=True,
    )
    assert messages_of(response)[0][0] == "success"
    account.refresh_from_db()
    assert account.overdue_block_lift_reason == "客户已承诺还款"
    assert timezone.localtime(account.overdue_block_lifted_until).date() == until + timedelta(1)
    assert not credit.is_blocked_by_overdue(account)


# --------------------------------------------------------------------------
# Repayments: the work queue, 确认 / 驳回
# --------------------------------------------------------------------------


def test_repayment_queue_defaults_to_submitted(staff_client, company, partner, superuser):
    pending = submitted_repayment(company, partner, superuser)
    other = make_company("另一家公司")
    refused = submitted_repayment(other, make_partner_user(other), superuser)
    bill_services.repayment_reject(repayment_id=refused.pk, actor=superuser, reason="未到账")
    response = staff_client.get(url("repayment_changelist"))
    assert [r.pk for r in response.context["cl"].result_list] == [pending.pk]
    html = response.content.decode()
    assert pending.bills.get().number in html and "6222 0000 1234" in html
    everything = staff_client.get(url("repayment_changelist"), {"status": "all"})
    assert {r.pk for r in everything.context["cl"].result_list} == {pending.pk, refused.pk}


def test_confirm_clicked_twice_posts_one_repayment_entry(staff_client, company, partner, superuser):
    repayment = submitted_repayment(company, partner, superuser)
    detail = staff_client.get(url("repayment_change", repayment.pk)).content.decode()
    assert url("repayment_confirm_detail", repayment.pk) in detail
    assert staff_client.get(url("repayment_confirm_detail", repayment.pk)).status_code == 200
    assert Repayment.objects.get().status == RepaymentStatus.SUBMITTED  # GET is safe

    first = staff_client.post(url("repayment_confirm_detail", repayment.pk), follow=True)
    second = staff_client.post(url("repayment_confirm_detail", repayment.pk), follow=True)
    assert messages_of(first)[0][0] == "success"
    assert messages_of(second) == [("info", "该还款已确认，未重复记账。")]
    assert CreditEntry.objects.filter(entry_type=CreditEntryType.REPAYMENT).count() == 1
    repayment.refresh_from_db()
    assert repayment.status == RepaymentStatus.CONFIRMED and repayment.reviewed_by == superuser
    assert Bill.objects.get().status == BillStatus.SETTLED
    assert account_of(company).used == 0
    detail = staff_client.get(url("repayment_change", repayment.pk)).content.decode()
    assert url("repayment_confirm_detail", repayment.pk) not in detail


def test_reject_needs_a_reason(staff_client, company, partner, superuser):
    repayment = submitted_repayment(company, partner, superuser)
    response = staff_client.post(url("repayment_reject_detail", repayment.pk), {"reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert Repayment.objects.get().status == RepaymentStatus.SUBMITTED
    response = staff_client.post(
        url("repayment_reject_detail", repayment.pk), {"reason": "未收到款项"}, follow=True
    )
    assert messages_of(response)[0][0] == "success"
    repayment.refresh_from_db()
    assert repayment.status == RepaymentStatus.REJECTED
    assert repayment.rejection_reason == "未收到款项"
    assert not CreditEntry.objects.filter(entry_type=CreditEntryType.REPAYMENT).exists()
    # Rejected: confirming it later is refused, not a success.
    confirm = staff_client.post(url("repayment_confirm_detail", repayment.pk), follow=True)
    assert messages_of(confirm)[0][0] == "warning"
    assert Repayment.objects.get().status == RepaymentStatus.REJECTED


def test_bulk_confirm(staff_client, company, partner, superuser):
    first = submitted_repayment(company, partner, superuser)
    other = make_company("批量公司")
    second = submitted_repayment(other, make_partner_user(other), superuser)
    bill_services.repayment_confirm(repayment_id=second.pk, actor=superuser)
    response = staff_client.post(
        url("repayment_changelist") + "?status=all",
        {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
        follow=True,
    )
    levels = [level for level, _text in messages_of(response)]
    assert levels == ["success", "info"]
    assert CreditEntry.objects.filter(entry_type=CreditEntryType.REPAYMENT).count() == 2
    assert set(Repayment.objects.values_list("status", flat=True)) == {RepaymentStatus.CONFIRMED}


def test_repayment_review_needs_the_change_permission(client, company, partner, superuser, sales):
    repayment = submitted_repayment(company, partner, superuser)
    client.force_login(sales)
    assert client.get(url("repayment_change", repayment.pk)).status_code == 200
    assert client.post(url("repayment_confirm_detail", repayment.pk)).status_code == 403
    assert (
        client.post(url("repayment_reject_detail", repayment.pk), {"reason": "x"}).status_code
        == 403
    )
    assert Repayment.objects.get().status == RepaymentStatus.SUBMITTED


# --------------------------------------------------------------------------
# Coupons
# --------------------------------------------------------------------------


def _campaign_form(**overrides) -> dict:
    data = {
        "name": "双十一促销",
        "currency": "CNY",
        "face_value": "10",
        "quantity": "3",
        "threshold_amount": "0",
        "min_quantity": "0",
        "region": "",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
    }
    data.update(overrides)
    return data


def test_campaign_add_sets_created_by(staff_client, superuser):
    response = staff_client.post(url("couponcampaign_add"), _campaign_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = CouponCampaign.objects.get()
    assert campaign.created_by == superuser and campaign.region == ""
    bad = staff_client.post(
        url("couponcampaign_add"),
        _campaign_form(
            valid_from_0="2019-10-07",
            valid_from_1="08:00:00",
            valid_until_0="2019-10-01",
            valid_until_1="08:00:00",
        ),
    )
    assert bad.status_code == 200
    assert bad.context["adminform"].form.errors["valid_until"]


def test_issue_to_three_companies_and_beyond_the_quantity(staff_client, superuser):
    campaign = CouponCampaignFactory(
        name="双十一促销", face_value="10", quantity=3, created_by=superuser
    )
    companies = [make_company(f"发券公司{n}") for n in range(4)]
    page = staff_client.get(url("couponcampaign_issue_companies_detail", campaign.pk))
    assert page.status_code == 200 and "发券公司0" in page.content.decode()
    response = staff_client.post(
        url("couponcampaign_issue_companies_detail", campaign.pk),
        {"companies": [c.pk for c in companies[:3]]},
        follow=True,
    )
    assert messages_of(response)[0][0] == "success"
    codes = list(Coupon.objects.values_list("code", flat=True))
    assert len(codes) == 3 and len(set(codes)) == 3
    assert all(re.fullmatch(r"[A-Z0-9]{8}", code) for code in codes)
    assert set(Coupon.objects.values_list("company_id", flat=True)) == {c.pk for c in companies[:3]}

    beyond = staff_client.post(
        url("couponcampaign_issue_companies_detail", campaign.pk),
        {"companies": [companies[3].pk]},
    )
    assert beyond.status_code == 200
    assert "仅剩 0 张" in str(beyond.context["form"].non_field_errors())
    assert Coupon.objects.count() == 3

    listed = staff_client.get(url("couponcampaign_changelist"))
    assert [c.issued_count for c in listed.context["cl"].result_list] == [3]
    # Issued: the terms are locked, only name and quantity stay editable.
    change = staff_client.get(url("couponcampaign_change", campaign.pk))
    fields = change.context["adminform"].form.fields
    assert "face_value" not in fields and "quantity" in fields


def test_issue_to_a_tier(staff_client, superuser):
    from partners.models import Tier

    campaign = CouponCampaignFactory(
        name="金牌专享", face_value="20", quantity=10, created_by=superuser
    )
    gold = [make_company(f"金牌公司{n}", tier_code="gold") for n in range(2)]
    make_company("注册级公司")
    response = staff_client.post(
        url("couponcampaign_issue_tier_detail", campaign.pk),
        {"tier": Tier.objects.get(code="gold").pk},
        follow=True,
    )
    assert messages_of(response)[0][0] == "success"
    assert set(Coupon.objects.values_list("company_id", flat=True)) == {c.pk for c in gold}


# --------------------------------------------------------------------------
# Excel exports with Chinese headers
# --------------------------------------------------------------------------


def _xlsx_rows(client, model, name: str) -> list[tuple]:
    export_url = url(f"{name}_export")
    assert client.get(export_url).status_code == 200
    response = client.post(export_url, {"format": export_format_index(model), "resource": 0})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = export_sheet(response)
    return list(sheet.iter_rows(values_only=True))


def test_ledger_exports_open_in_excel_with_chinese_headers(
    staff_client, company, partner, superuser
):
    grant_rebate(company, superuser, "56.15", reason="=1+1")
    guarantee_limit(company, superuser)
    numbered_charge(company, partner, "29")

    rows = _xlsx_rows(staff_client, RebateEntry, "rebateentry")
    headers = rows[0]
    for header in (
        "交易编号",
        "公司",
        "币种",
        "类型",
        "交易金额",
        "余额",
        "订单编号",
        "原因",
        "日期",
    ):
        assert header in headers
    row = dict(zip(headers, rows[1], strict=True))
    assert row["公司"] == "财务测试公司" and row["交易金额"] == 56.15
    assert row["类型"] == "人工发放"
    assert not str(row["原因"]).startswith("=")  # formula escaping

    rows = _xlsx_rows(staff_client, CreditEntry, "creditentry")
    assert "剩余金额" in rows[0] and "交易编号" in rows[0]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["类型"] == "支出" and row["剩余金额"] == 1471

    campaign = CouponCampaignFactory(
        name="双十一促销", face_value="10", quantity=3, created_by=superuser
    )
    coupons.campaign_issue(campaign=campaign, company_ids=[company.pk])
    rows = _xlsx_rows(staff_client, Coupon, "coupon")
    assert {"优惠券编号", "活动", "公司", "面额", "状态"} <= set(rows[0])


# --------------------------------------------------------------------------
# Dashboard work queues
# --------------------------------------------------------------------------


def test_dashboard_queues_for_repayments_and_overdue_bills(
    staff_client, client, company, partner, superuser
):
    submitted_repayment(company, partner, superuser)
    late = make_company("逾期公司")
    late_user = make_partner_user(late)
    guarantee_limit(late, superuser, term_days=1)
    billed(late, late_user, "30", days_ago=5)
    bill_services.bills_mark_overdue_and_remind()

    response = staff_client.get("/admin/")
    queues = {str(t): (count, link) for t, count, link in response.context["work_queues"]}
    assert queues["待确认线下还款"] == (1, url("repayment_changelist") + "?status=submitted")
    assert queues["逾期账单"] == (1, url("bill_changelist") + "?status__exact=overdue")
    assert staff_client.get(queues["逾期账单"][1]).context["cl"].result_count == 1

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_bill"))
    client.force_login(viewer)
    titles = [str(t) for t, _c, _l in client.get("/admin/").context["work_queues"]]
    assert titles == ["逾期账单"]


# --------------------------------------------------------------------------
# Changelists: query counts do not grow with rows
# --------------------------------------------------------------------------


def _queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(address)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _companies(n, superuser):
    return [make_company() for _ in range(n)]


def _rebate_entries(n, superuser):
    company = make_company()
    for _ in range(n):
        grant_rebate(company, superuser, "1", reason="x")


def _credit_entries(n, superuser):
    company = make_company()
    user = make_partner_user(company)
    guarantee_limit(company, superuser, limit="100000")
    for _ in range(n):
        numbered_charge(company, user, "1")


def _bills(n, superuser):
    for _ in range(n):
        company = make_company()
        guarantee_limit(company, superuser)
        numbered_charge(company, make_partner_user(company), "1", days_ago=1)
    bill_services.bills_generate(until=local_today() - timedelta(days=1))


def _repayments(n, superuser):
    for _ in range(n):
        company = make_company()
        submitted_repayment(company, make_partner_user(company), superuser)


def _campaigns(n, superuser):
    for i in range(n):
        campaign = CouponCampaignFactory(
            name=f"活动{i}", face_value="1", quantity=5, created_by=superuser
        )
        coupons.campaign_issue(campaign=campaign, company_ids=[make_company().pk])


def _coupons(n, superuser):
    campaign = CouponCampaignFactory(
        name=f"券{Coupon.objects.count()}", face_value="1", quantity=n, created_by=superuser
    )
    company = make_company()
    for _ in range(n):
        coupons.campaign_issue(campaign=campaign, company_ids=[company.pk])


@pytest.mark.parametrize(
    ("address", "make"),
    [
        (url("rebatewallet_changelist") + "?currency__exact=CNY", _companies),
        (url("rebateentry_changelist"), _rebate_entries),
        (url("creditaccount_changelist") + "?currency__exact=CNY", _companies),
        (url("creditentry_changelist"), _credit_entries),
        (url("bill_changelist"), _bills),
        (url("repayment_changelist"), _repayments),
        (url("couponcampaign_changelist"), _campaigns),
        (url("coupon_changelist"), _coupons),
    ],
    ids=[
        "wallets",
        "rebate-entries",
        "credit-accounts",
        "credit-entries",
        "bills",
        "repayments",
        "campaigns",
        "coupons",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(staff_client, superuser, address, make):
    make(3, superuser)
    staff_client.get(address)  # warm caches (content types, permissions)
    with_three = _queries(staff_client, address)
    make(27, superuser)
    assert staff_client.get(address).context["cl"].result_count >= 30
    assert _queries(staff_client, address) == with_three


def test_every_finance_admin_opens_for_the_finance_role(client, finance, company, partner):
    guarantee_limit(company, finance)
    bill = billed(company, partner)
    client.force_login(finance)
    for name in (
        "rebatewallet",
        "rebateentry",
        "creditaccount",
        "creditentry",
        "bill",
        "repayment",
        "couponcampaign",
        "coupon",
    ):
        assert client.get(url(f"{name}_changelist")).status_code == 200, name
    assert client.get(url("bill_change", bill.pk)).status_code == 200
    assert client.get(url("couponcampaign_add")).status_code == 200
