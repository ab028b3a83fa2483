"""Portal 我的资产: 可抵扣优惠金额 ledger, coupons, credit line, offline repayment, filters, tenancy,
query counts. Everything is set up through the billing services."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
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
    RebateEntry,
    Repayment,
    RepaymentStatus,
)
from billing.services import bills as bill_services
from billing.services import coupons, wallet
from billing.services.credit import local_today
from partners.models import CompanyRole
from tests.billing.factories import CouponCampaignFactory
from tests.billing.helpers import (
    grant_rebate,
    guarantee_limit,
    make_company,
    make_partner_user,
    numbered_charge,
    spend_rebate,
    submit_offline_repayment,
)
from tests.factories import UserFactory
from tests.pages import get_queries, html_of, messages_of, row_ids

pytestmark = pytest.mark.django_db

CNY = "CNY"
SHANGHAI = ZoneInfo("Asia/Shanghai")
REBATE = reverse("portal:assets_rebate")
COUPONS = reverse("portal:assets_coupons")
CREDIT = reverse("portal:assets_credit")
REPAY = reverse("portal:assets_repay_offline")


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, email="finance-test@example.com")


@pytest.fixture
def company():
    return make_company("资产测试公司")


@pytest.fixture
def user(company):
    return make_partner_user(company, email="admin@assets.example.com")


@pytest.fixture
def other():
    return make_company("乙方资产公司")


@pytest.fixture
def other_user(other):
    return make_partner_user(other, email="admin@other.example.com")


def grant(company, staff, amount, *, key=None, currency=CNY):
    return grant_rebate(
        company, staff, amount, reason="测试发放", idempotency_key=key, currency=currency
    )


def backdate(model, pk: int, days: int) -> None:
    """Move a row's timestamp into the past (test setup only; the services stamp 'now')."""
    model.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(days=days))


def bill_of(company, user, amounts, *, days_ago: int) -> Bill:
    """Charges on one past day, then the daily bill job for that day."""
    for amount in amounts:
        numbered_charge(company, user, amount, days_ago=days_ago)
    created = bill_services.bills_generate(until=local_today() - timedelta(days=days_ago))
    assert created == 1
    return Bill.objects.filter(account__company=company).order_by("-pk").first()


# --------------------------------------------------------------------------
# Access and menu
# --------------------------------------------------------------------------


def test_anonymous_goes_to_login_and_staff_without_company_gets_404(client, staff):
    for url in (REBATE, COUPONS, CREDIT, REPAY):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    client.force_login(staff)
    for url in (REBATE, COUPONS, CREDIT, REPAY):
        assert client.get(url).status_code == 404


def test_admin_and_co_admin_see_the_my_assets_menu(client, company, user):
    co_admin = make_partner_user(company, role=CompanyRole.CO_ADMIN)
    for person in (user, co_admin):
        client.force_login(person)
        html = html_of(client.get(REBATE))
        keys = re.findall(r'data-menu="([a-z_]+)"', html)
        assert keys[4:7] == ["assets_rebate", "assets_coupons", "assets_credit"]
        assert 'data-menu="assets_rebate" class="is-active"' in html
        for label in ("可抵扣优惠金额", "优惠券", "账期余额"):
            assert label in html


# --------------------------------------------------------------------------
# 可抵扣优惠金额
# --------------------------------------------------------------------------


def test_rebate_page_shows_balance_ledger_and_top_ups(client, company, user, staff):
    wallet.wallet_reward(
        company_id=company.pk,
        currency=CNY,
        amount="56.15",
        reason="2019H2",
        idempotency_key="reward:1",
    )
    grant(company, staff, "50")
    spend = spend_rebate(
        company, "19.9", order_number="202001020826512140", key="spend:1", actor=user
    )
    client.force_login(user)
    html = html_of(client.get(REBATE))
    assert re.search(r"data-balance>¥86\.25<", html)
    assert "查看奖励规则" in html and "如何获得可抵扣优惠金额" in html
    assert "bcss-support@oe.21vianet.com" in html
    for text in ("账户收支明细", "历史充值明细", "交易编号", "交易金额", "对应订单号"):
        assert text in html
    assert "+¥56.15" in html and "+¥50.00" in html and "-¥19.90" in html
    assert "蓝云激励奖励" in html and "购买支出" in html
    assert "202001020826512140" in html
    local = timezone.localtime(spend.created_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert local in html
    assert len(row_ids(html)) == 3

    topups = html_of(client.get(REBATE, {"tab": "topups"}))
    assert len(row_ids(topups)) == 2
    assert spend.pk not in row_ids(topups)
    assert "支付方式" in topups and topups.count("<td>线上</td>") == 2


def test_rebate_time_filters_hide_and_show_old_entries(client, company, user, staff):
    old = grant(company, staff, "10")
    recent = grant(company, staff, "5")
    backdate(RebateEntry, old.pk, 40)
    client.force_login(user)

    default = row_ids(html_of(client.get(REBATE)))
    assert default == [recent.pk]  # 近一个月 is the default
    assert row_ids(html_of(client.get(REBATE, {"period": "1m"}))) == [recent.pk]
    assert row_ids(html_of(client.get(REBATE, {"period": "3m"}))) == [recent.pk, old.pk]
    assert set(row_ids(html_of(client.get(REBATE, {"period": "6m"})))) == {recent.pk, old.pk}

    day = (timezone.now() - timedelta(days=40)).astimezone(SHANGHAI).date()
    custom = {"period": "custom", "start": day.isoformat(), "end": day.isoformat()}
    assert row_ids(html_of(client.get(REBATE, custom))) == [old.pk]
    # The balance card does not depend on the filter.
    assert "¥15.00" in html_of(client.get(REBATE, custom))


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "开始日期不能晚于结束日期"),
        ({"start": "2024-01-01", "end": "2025-06-01"}, "366"),
        ({"start": "2026-03-01"}, "请同时选择开始日期和结束日期"),
        ({"start": "2026-13-45", "end": "2026-02-01"}, "有效的日期"),
    ],
    ids=["reversed", "too-long", "missing-end", "bad-date"],
)
def test_custom_range_validation(client, company, user, staff, params, error):
    grant(company, staff, "10")
    client.force_login(user)
    html = html_of(client.get(REBATE, {"period": "custom", **params}))
    errors = re.search(r"data-filter-errors>(.*?)</div>", html, re.S)
    assert errors and error in errors.group(1)
    assert row_ids(html) == []  # no rows of another period instead


def test_a_366_day_custom_range_is_accepted(client, company, user, staff):
    grant(company, staff, "10")
    client.force_login(user)
    today = local_today()
    params = {
        "period": "custom",
        "start": (today - timedelta(days=365)).isoformat(),
        "end": today.isoformat(),
    }
    html = html_of(client.get(REBATE, params))
    assert "data-filter-errors" not in html
    assert len(row_ids(html)) == 1


def test_currency_selector(client, company, user, staff):
    grant(company, staff, "10")
    usd = grant(company, staff, "7", currency="USD")
    client.force_login(user)
    html = html_of(client.get(REBATE, {"currency": "USD"}))
    assert row_ids(html) == [usd.pk]
    assert "$7.00" in html
    assert '<option value="USD" selected>' in html
    bad = html_of(client.get(REBATE, {"currency": "EUR"}))
    assert "data-filter-errors" in bad and row_ids(bad) == []


def test_rebate_pages_paginate_fifteen_per_page(client, company, user, staff):
    for n in range(17):
        grant(company, staff, f"{n + 1}")
    client.force_login(user)
    assert len(row_ids(html_of(client.get(REBATE)))) == 15
    assert len(row_ids(html_of(client.get(REBATE, {"page": 2})))) == 2


# --------------------------------------------------------------------------
# 优惠券
# --------------------------------------------------------------------------


def _campaign(staff, name, value, **kwargs) -> CouponCampaign:
    return CouponCampaignFactory(
        name=name,
        face_value=value,
        threshold_amount=kwargs.pop("threshold", "0"),
        quantity=kwargs.pop("quantity", 10),
        created_by=staff,
        **kwargs,
    )


def test_coupon_tabs(client, company, user, other, staff):
    forever = _campaign(staff, "双十一促销", "10")
    national = _campaign(
        staff,
        "10.1促销",
        "20",
        valid_from=datetime(2019, 10, 1, 8, 0, tzinfo=SHANGHAI),
        valid_until=datetime(2019, 10, 7, 8, 0, tzinfo=SHANGHAI),
        region="cn",
    )
    scoped = _campaign(staff, "草稿", "1", threshold="100", min_quantity=2)
    unused = coupons.campaign_issue(campaign=forever, company_ids=[company.pk])[0]
    expired = coupons.campaign_issue(campaign=national, company_ids=[company.pk])[0]
    used = coupons.campaign_issue(campaign=scoped, company_ids=[company.pk])[0]
    foreign = coupons.campaign_issue(campaign=forever, company_ids=[other.pk])[0]
    coupons.coupons_expire()
    line = coupons.CartLine(
        solution_id=1, region="cn", currency=CNY, amount=Decimal("200"), quantity=2
    )
    coupons.coupon_redeem(
        coupon_id=used.pk, company_id=company.pk, order_number="202002050845362237", lines=[line]
    )

    # Coupons have no time filter: one issued long ago is still listed.
    Coupon.objects.filter(pk=unused.pk).update(issued_at=timezone.now() - timedelta(days=400))

    client.force_login(user)
    html = html_of(client.get(COUPONS))
    assert row_ids(html) == [unused.pk]
    assert "data-period" not in html
    for text in (
        "未使用",
        "已使用",
        "已过期",
        "明细",
        "使用范围",
        "有效期",
        "优惠券编号",
        "使用区域",
    ):
        assert text in html
    assert "双十一促销" in html and "¥10.00" in html
    assert "满¥0.00金额使用，0数量起用" in html
    assert "全部方案" in html and "永久有效" in html and "全部区域" in html
    assert unused.code in html and foreign.code not in html

    html = html_of(client.get(COUPONS, {"tab": "expired"}))
    assert row_ids(html) == [expired.pk]
    assert "2019-10-01 08:00 至 2019-10-07 08:00" in html
    assert "中国大陆" in html and expired.code in html

    html = html_of(client.get(COUPONS, {"tab": "used"}))
    assert row_ids(html) == [used.pk]
    assert "满¥100.00金额使用，2数量起用" in html
    assert "202002050845362237" in html and "订单编号" in html


# --------------------------------------------------------------------------
# 账期余额
# --------------------------------------------------------------------------


def manual_example(company, user, staff) -> list[Bill]:
    """Spec 10.3: limit ¥1,500 / 365 days, pending bills 95.5 + 200 + 250 + 200 = 745.5."""
    guarantee_limit(company, staff)
    return [
        bill_of(company, user, ["200"], days_ago=12),
        bill_of(company, user, ["250"], days_ago=8),
        bill_of(company, user, ["200"], days_ago=3),
        bill_of(company, user, ["29", "16", "30.5", "20"], days_ago=1),
    ]


def test_credit_cards_match_the_manual_example(client, company, user, staff):
    manual_example(company, user, staff)
    client.force_login(user)
    html = html_of(client.get(CREDIT))
    cards = dict(re.findall(r'data-card="(\w+)">([^<]+)<', html))
    assert cards == {
        "limit": "¥1,500.00",
        "term_days": "365",
        "available": "¥754.50",
        "pending": "¥745.50",
    }
    for text in ("保函总额", "账期天数", "可用余额", "待还款", "全部明细", "已出账单", "还款记录"):
        assert text in html
    assert "根据您提供的银行保函信息，享有1:1的账期额度，以及15~30天不等的还款账期。" in html
    # 全部明细: charges shown from the customer's side (-) with the available balance after.
    assert "-¥29.00" in html and "-¥200.00" in html
    assert "¥754.50" in html and "支出" in html
    assert len(row_ids(html)) == 7  # all seven charges are within the last month


def test_credit_entries_show_repayments_as_positive(client, company, user, staff):
    guarantee_limit(company, staff)
    bill = bill_of(company, user, ["100"], days_ago=2)
    repayment = submit_offline_repayment(company, [bill], user)
    bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
    client.force_login(user)
    html = html_of(client.get(CREDIT))
    assert "+¥100.00" in html and "-¥100.00" in html and "还款" in html


def test_bills_tab(client, company, user, staff):
    bills = manual_example(company, user, staff)
    client.force_login(user)
    html = html_of(client.get(CREDIT, {"tab": "bills"}))
    assert row_ids(html) == [b.pk for b in reversed(bills)]
    latest = bills[-1]
    day = local_today() - timedelta(days=1)
    assert f"{day.year}/{day.month}/{day.day}~{day.year}/{day.month}/{day.day}" in html
    assert f"<td>{(latest.due_date - local_today()).days}</td>" in html
    assert f"<td>{365 - 1}</td>" in html
    for text in ("账单编号", "出账日期", "订单金额", "账期", "剩余天数", "账期状态", "批量还款"):
        assert text in html
    assert html.count("data-online-repay") == 4 and "data-batch-online" in html
    assert html.count(reverse("portal:assets_repay_online")) >= 5  # per bill + batch
    assert html.count('name="bills"') == 4
    assert f'href="{REPAY}?bills={latest.pk}"' in html


def test_overdue_bill_shows_negative_days_in_red(client, company, user, staff):
    guarantee_limit(company, staff, term_days=1)
    bill = bill_of(company, user, ["30"], days_ago=5)
    bill_services.bills_mark_overdue_and_remind()
    bill.refresh_from_db()
    assert bill.status == BillStatus.OVERDUE
    client.force_login(user)
    html = html_of(client.get(CREDIT, {"tab": "bills"}))
    assert re.search(r'class="is-overdue" data-overdue>-4 <span class="tag tag-danger">逾期', html)
    assert 'data-status="overdue"' in html


def test_settled_bills_have_no_repay_buttons(client, company, user, staff):
    guarantee_limit(company, staff)
    bill = bill_of(company, user, ["100"], days_ago=2)
    repayment = submit_offline_repayment(company, [bill], user)
    client.force_login(user)
    under_review = html_of(client.get(CREDIT, {"tab": "bills"}))
    assert "data-under-review" in under_review and "还款审核中" not in under_review
    assert "审核中" in under_review and "data-offline-repay" not in under_review
    bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
    html = html_of(client.get(CREDIT, {"tab": "bills"}))
    assert "已完成" in html
    assert "data-offline-repay" not in html and 'name="bills"' not in html


def test_repayment_records_tab(client, company, user, staff):
    guarantee_limit(company, staff)
    bill = bill_of(company, user, ["100"], days_ago=2)
    submit = {
        "company_id": company.pk,
        "currency": CNY,
        "bill_ids": [bill.pk],
        "payer_account": "6222 0000 1111",
        "paid_on": local_today(),
        "actor": user,
    }
    rejected = bill_services.repayment_submit_offline(**submit)
    bill_services.repayment_reject(repayment_id=rejected.pk, actor=staff, reason="未收到款项")
    pending = bill_services.repayment_submit_offline(**submit)
    client.force_login(user)
    html = html_of(client.get(CREDIT, {"tab": "repayments"}))
    assert row_ids(html) == [pending.pk, rejected.pk]
    assert "审核中" in html and "待审核" not in html and "已驳回" in html and "未收到款项" in html
    assert bill.number in html and "6222 0000 1111" in html


def test_no_credit_line_in_a_currency_row_is_not_an_error(client, company, user):
    CreditAccount.objects.filter(company=company, currency="HKD").delete()
    client.force_login(user)
    html = html_of(client.get(CREDIT, {"currency": "HKD"}))
    assert "data-no-credit" in html


# --------------------------------------------------------------------------
# 线下还款
# --------------------------------------------------------------------------


def test_offline_repayment_is_submitted_for_review_and_posts_nothing(client, company, user, staff):
    bills = manual_example(company, user, staff)
    chosen = bills[:2]
    client.force_login(user)
    query = "?" + "&".join(f"bills={b.pk}" for b in chosen)
    html = html_of(client.get(REPAY + query))
    assert "请输入您的付款信息" in html
    assert re.search(r'value="¥450\.00" readonly data-total', html)
    for text in ("上海蓝云网络科技有限公司", "0200227919200053244", "工商银行北京朝阳国航大厦支行"):
        assert text in html
    for text in ("付款账号", "付款金额", "付款日期", "账户名称", "开户行账号", "开户行名称"):
        assert text in html
    used_before = CreditAccount.objects.get(company=company, currency=CNY).used
    entries_before = CreditEntry.objects.count()

    data = {"bills": [b.pk for b in chosen], "payer_account": "6222 0000 1234", "paid_on": ""}
    data["paid_on"] = local_today().isoformat()
    response = client.post(REPAY, data)
    assert response.status_code == 302
    assert response["Location"] == f"{CREDIT}?tab=repayments&currency=CNY"
    repayment = Repayment.objects.get()
    assert repayment.status == RepaymentStatus.SUBMITTED
    assert repayment.amount == Decimal("450.00")
    assert repayment.submitted_by == user
    assert set(repayment.bills.values_list("pk", flat=True)) == {b.pk for b in chosen}
    # Nothing is posted until finance confirms.
    assert CreditEntry.objects.count() == entries_before
    assert not CreditEntry.objects.filter(entry_type=CreditEntryType.REPAYMENT).exists()
    assert CreditAccount.objects.get(company=company, currency=CNY).used == used_before
    assert set(
        Bill.objects.filter(pk__in=[b.pk for b in chosen]).values_list("status", flat=True)
    ) == {BillStatus.PENDING}

    # A replayed submission is refused with the service's message; nothing more is stored.
    replay = client.post(REPAY, data)
    assert replay.status_code == 200
    assert "已有一笔还款在审核中" in replay.content.decode()  # names the bill
    assert Repayment.objects.count() == 1


def test_offline_repayment_refuses_another_companys_bill(client, company, user, other, staff):
    guarantee_limit(company, staff)
    guarantee_limit(other, staff)
    other_user = make_partner_user(other)
    own = bill_of(company, user, ["10"], days_ago=3)
    foreign = bill_of(other, other_user, ["20"], days_ago=2)
    client.force_login(user)
    valid = {"payer_account": "6222", "paid_on": local_today().isoformat()}
    assert client.get(f"{REPAY}?bills={foreign.pk}").status_code == 404
    assert client.get(f"{REPAY}?bills={own.pk}&bills={foreign.pk}").status_code == 404
    assert client.post(REPAY, {**valid, "bills": [foreign.pk]}).status_code == 404
    assert client.post(REPAY, {**valid, "bills": [own.pk, foreign.pk]}).status_code == 404
    assert client.get(f"{REPAY}?bills=abc").status_code == 404
    assert not Repayment.objects.exists()


def test_offline_repayment_input_errors(client, company, user, staff):
    guarantee_limit(company, staff)
    bill = bill_of(company, user, ["10"], days_ago=3)
    client.force_login(user)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    cases = [
        ({"payer_account": "6222", "paid_on": tomorrow}, "付款日期不能晚于今天"),
        ({"payer_account": "", "paid_on": local_today().isoformat()}, "请输入付款账号"),
        ({"payer_account": "6" * 51, "paid_on": local_today().isoformat()}, "51"),
        ({"payer_account": "6222", "paid_on": ""}, "请选择付款日期"),
    ]
    for data, error in cases:
        response = client.post(REPAY, {**data, "bills": [bill.pk]})
        assert response.status_code == 200
        assert error in response.content.decode(), error
    assert not Repayment.objects.exists()


def test_offline_repayment_without_bills_or_of_settled_bills(client, company, user, staff):
    guarantee_limit(company, staff)
    bill = bill_of(company, user, ["10"], days_ago=3)
    client.force_login(user)
    response = client.get(REPAY, follow=True)
    assert messages_of(response, "error") == ["请先选择至少一张账单。"]
    repayment = submit_offline_repayment(company, [bill], user)
    bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
    response = client.get(f"{REPAY}?bills={bill.pk}", follow=True)
    assert messages_of(response, "error") == ["请选择本公司待还款的账单。"]


# --------------------------------------------------------------------------
# Tenancy: another company's rows never show
# --------------------------------------------------------------------------


def test_company_b_rows_never_show_on_company_a_pages(client, company, user, other, staff):
    other_user = make_partner_user(other)
    guarantee_limit(company, staff)
    guarantee_limit(other, staff)
    own_bill = bill_of(company, user, ["10"], days_ago=3)
    foreign_bill = bill_of(other, other_user, ["20"], days_ago=2)
    foreign_entry = grant(other, staff, "99")
    campaign = _campaign(staff, "双十一促销", "10")
    foreign_coupon = coupons.campaign_issue(campaign=campaign, company_ids=[other.pk])[0]
    foreign_repayment = submit_offline_repayment(
        other, [foreign_bill], other_user, payer_account="乙方账号9999"
    )
    client.force_login(user)
    pages = [
        (REBATE, {}),
        (REBATE, {"tab": "topups"}),
        (COUPONS, {}),
        (CREDIT, {}),
        (CREDIT, {"tab": "bills"}),
        (CREDIT, {"tab": "repayments"}),
    ]
    secrets = [foreign_bill.number, foreign_entry.number, foreign_coupon.code, "乙方账号9999"]
    for url, params in pages:
        for period in ("1m", "6m"):
            html = html_of(client.get(url, {**params, "period": period}))
            leaked = [text for text in secrets if text in html]
            assert not leaked, f"{url} {params} shows company B's {leaked}"
    # A has no repayment of its own: B's (under review) is not listed.
    assert foreign_repayment.status == RepaymentStatus.SUBMITTED
    assert row_ids(html_of(client.get(CREDIT, {"tab": "repayments"}))) == []
    assert row_ids(html_of(client.get(COUPONS))) == []
    bills_html = html_of(client.get(CREDIT, {"tab": "bills"}))
    assert re.findall(r'name="bills" value="(\d+)"', bills_html) == [str(own_bill.pk)]


# --------------------------------------------------------------------------
# Query counts do not grow with rows
# --------------------------------------------------------------------------


def _add_rebate(company, user, staff, n):
    for _ in range(n):
        grant(company, staff, "1")


def _add_coupons(company, user, staff, n):
    campaign = _campaign(staff, f"活动{CouponCampaign.objects.count()}", "1", quantity=n)
    for _ in range(n):
        coupons.campaign_issue(campaign=campaign, company_ids=[company.pk])


def _add_entries(company, user, staff, n):
    for _ in range(n):
        numbered_charge(company, user, "1")


def _add_bills(company, user, staff, n):
    start = Bill.objects.filter(account__company=company).count()
    for day in range(n):
        bill_of(company, user, ["1"], days_ago=60 - start - day)


def _add_repayments(company, user, staff, n):
    bill = Bill.objects.filter(account__company=company).first() or bill_of(
        company, user, ["1"], days_ago=2
    )
    for _ in range(n):
        repayment = submit_offline_repayment(company, [bill], user)
        bill_services.repayment_reject(repayment_id=repayment.pk, actor=staff, reason="重复")


@pytest.mark.parametrize(
    ("url", "params", "add"),
    [
        (REBATE, {}, _add_rebate),
        (REBATE, {"tab": "topups"}, _add_rebate),
        (COUPONS, {}, _add_coupons),
        (CREDIT, {}, _add_entries),
        (CREDIT, {"tab": "bills", "period": "6m"}, _add_bills),
        (CREDIT, {"tab": "repayments"}, _add_repayments),
    ],
    ids=["rebate-ledger", "rebate-topups", "coupons", "credit-entries", "bills", "repayments"],
)
def test_list_queries_do_not_grow_with_rows(client, company, user, staff, url, params, add):
    guarantee_limit(company, staff, limit="100000")
    client.force_login(user)
    add(company, user, staff, 3)
    assert len(row_ids(html_of(client.get(url, params)))) == 3
    with_three = get_queries(client, url, params)
    add(company, user, staff, 27)
    assert len(row_ids(html_of(client.get(url, params)))) == 15
    assert get_queries(client, url, params) == with_three
