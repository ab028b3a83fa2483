"""Portal 分账管理: list with header totals and filters, the AggreSmart账单 detail, confirm,
dispute, downloads, tenancy and query counts."""

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from billing.models import Statement, StatementStatus
from billing.statements.services import generate_statements
from partners.models import Company, CompanyRole, User
from tests.partners.factories import CompanyFactory, DistributorFactory, PartnerUserFactory

from .helpers import Seller, local, make_statement

pytestmark = pytest.mark.django_db

S = StatementStatus


@dataclass
class World:
    distributor: Company
    admin: User
    co_admin: User
    sub: Company
    sub_admin: User
    other: Company
    other_admin: User
    own: Statement
    sub_statement: Statement
    other_statement: Statement


@pytest.fixture
def world() -> World:
    distributor = DistributorFactory(name="BlueCloud_D")
    sub = CompanyFactory(name="下属经销商", parent=distributor)
    other = CompanyFactory(name="别家公司")
    sellers = {company.pk: Seller(company) for company in (distributor, sub, other)}
    for seller in sellers.values():
        seller.orders(2, at=local(2026, 10, 5, 9), total="100.00")
        seller.order(at=local(2026, 10, 6, 9), currency="USD", total="182400.00")
    generate_statements(period="2026-10")
    cny = Statement.objects.filter(currency="CNY")
    return World(
        distributor=distributor,
        admin=sellers[distributor.pk].admin,
        co_admin=PartnerUserFactory(company=distributor, company_role=CompanyRole.CO_ADMIN),
        sub=sub,
        sub_admin=sellers[sub.pk].admin,
        other=other,
        other_admin=sellers[other.pk].admin,
        own=cny.get(company=distributor),
        sub_statement=cny.get(company=sub),
        other_statement=cny.get(company=other),
    )


def url(name: str, statement: Statement | None = None) -> str:
    if statement is None:
        return reverse(f"portal:{name}")
    return reverse(f"portal:{name}", args=[statement.pk])


def html(response) -> str:
    return response.content.decode()


def row_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-row="(\d+)"', page)}


def test_list_shows_own_and_sub_reseller_statements_with_totals_per_currency(client, world):
    client.force_login(world.admin)
    page = html(client.get(url("account_statements")))
    mine = Statement.objects.filter(company__in=[world.distributor, world.sub])
    assert row_ids(page) == set(mine.values_list("pk", flat=True))
    assert world.other.name not in page
    assert "分账管理" in page and "账单ID" in page and "展开筛选" in page
    assert 'data-total="orders">6 单<' in page  # 4 statements: 2 + 1 + 2 + 1 orders
    assert 'data-total="sales-CNY">¥400.00<' in page
    assert 'data-total="sales-USD">$364,800.00<' in page
    assert "¥365,200" not in page  # currencies are never added up
    assert f'href="{url("account_statement_detail", world.own)}"' in page
    assert "下载账单" in page and "无" in page  # no voucher yet


def test_co_admin_sees_own_company_only_and_the_sidebar_entry(client, world):
    client.force_login(world.co_admin)
    response = client.get(url("account_statements"))
    assert response.status_code == 200
    assert row_ids(html(response)) == set(
        Statement.objects.filter(company=world.distributor).values_list("pk", flat=True)
    )
    assert 'data-menu="revenue_statements" class="is-active"' in html(response)
    assert client.get(url("account_statement_detail", world.sub_statement)).status_code == 404


def test_filters_by_period_and_status_and_refuses_a_bad_period(client, world):
    client.force_login(world.admin)
    make_statement(world.distributor, month=9)
    sep = html(client.get(url("account_statements"), {"period": "2026-09"}))
    assert len(row_ids(sep)) == 1
    assert 'data-total="orders">17 单<' in sep
    statement_ids = set(
        Statement.objects.filter(company=world.sub, period_start=date(2026, 10, 1)).values_list(
            "pk", flat=True
        )
    )
    Statement.objects.filter(pk__in=statement_ids).update(status=S.DISPUTED, dispute_reason="x")
    disputed = html(client.get(url("account_statements"), {"status": S.DISPUTED}))
    assert row_ids(disputed) == statement_ids
    bad = client.get(url("account_statements"), {"period": "2026-13"})
    assert bad.status_code == 200
    assert row_ids(html(bad)) == set()
    assert "data-filter-errors" in html(bad)
    assert "YYYY-MM" in html(bad)


def test_detail_is_the_aggresmart_statement_layout(client, world):
    client.force_login(world.admin)
    page = html(client.get(url("account_statement_detail", world.own)))
    for text in (
        "AggreSmart账单",
        "账单打印时间",
        world.own.number,
        "收款方",
        "BlueCloud_D",
        "付款方",
        "上海蓝云网络科技有限公司",
        "contactus@oe.21vianet.com",
        "账单统计",
        "方案提供商",
        "实体负责人",
        "等级",
        "业务负责人",
        "地址",
        "账单周期",
        "2026/10/1-2026/10/31",
        "账单金额",
        "订单总数",
        "产品总数",
        "销售额",
        "¥200.00",
        "账单明细",
        "订单编号",
        "订单总金额",
        "关联商品",
        "订单状态",
        "交易时间",
        "处理中",
    ):
        assert text in page, text
    for number in world.own.lines.values_list("order_number", flat=True):
        assert f'data-line="{number}"' in page
    assert 'data-action="confirm"' in page and 'data-action="dispute"' in page


def test_partner_confirms_with_post(client, world):
    client.force_login(world.co_admin)
    confirm = url("account_statement_confirm", world.own)
    assert client.get(confirm).status_code == 200
    assert Statement.objects.get(pk=world.own.pk).status == S.DRAFT  # GET changes nothing
    response = client.post(confirm, follow=True)
    assert response.status_code == 200
    own = Statement.objects.get(pk=world.own.pk)
    assert (own.status, own.confirmed_by) == (S.CONFIRMED, world.co_admin)
    assert 'data-action="confirm"' not in html(response)
    again = client.post(confirm, follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["error"]


def test_dispute_needs_a_reason(client, world):
    client.force_login(world.admin)
    dispute = url("account_statement_dispute", world.own)
    response = client.post(dispute, {"reason": "   "})
    assert response.status_code == 200
    assert "field-error" in html(response)
    assert Statement.objects.get(pk=world.own.pk).status == S.DRAFT
    too_long = client.post(dispute, {"reason": "长" * 501})
    assert too_long.status_code == 200
    assert Statement.objects.get(pk=world.own.pk).status == S.DRAFT
    response = client.post(dispute, {"reason": "订单 123 金额不对"}, follow=True)
    own = Statement.objects.get(pk=world.own.pk)
    assert (own.status, own.dispute_reason) == (S.DISPUTED, "订单 123 金额不对")
    assert "订单 123 金额不对" in html(response)


def test_downloads_pdf_excel_and_voucher(client, world):
    client.force_login(world.admin)
    pdf = client.get(url("account_statement_pdf", world.own))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    excel = client.get(url("account_statement_excel", world.own))
    assert excel.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(excel.streaming_content)))
    assert workbook.sheetnames[:2] == ["汇总", "明细"]
    assert client.get(url("account_statement_voucher", world.own)).status_code == 404
    own = Statement.objects.get(pk=world.own.pk)
    own.voucher.save("v.pdf", ContentFile(b"%PDF-1.4 voucher"), save=False)
    own.status = S.PAID
    own.confirmed_at = own.generated_at
    own.paid_on = date(2026, 11, 20)
    own.voucher_reference = "999999"
    own.voucher_name = "凭证.pdf"
    own.voucher_content_type = "application/pdf"
    own.save()
    voucher = client.get(url("account_statement_voucher", own))
    assert voucher.status_code == 200
    assert b"".join(voucher.streaming_content) == b"%PDF-1.4 voucher"
    assert "999999" in html(client.get(url("account_statements")))


def test_distributor_admin_sees_sub_reseller_statement_read_only(client, world):
    client.force_login(world.admin)
    detail = client.get(url("account_statement_detail", world.sub_statement))
    assert detail.status_code == 200
    page = html(detail)
    assert "data-read-only" in page
    assert 'data-action="confirm"' not in page and 'data-action="dispute"' not in page
    assert client.get(url("account_statement_pdf", world.sub_statement)).status_code == 200
    for name in ("account_statement_confirm", "account_statement_dispute"):
        assert client.get(url(name, world.sub_statement)).status_code == 404
        assert client.post(url(name, world.sub_statement), {"reason": "x"}).status_code == 404
    assert Statement.objects.get(pk=world.sub_statement.pk).status == S.DRAFT


def test_another_company_statement_answers_404_for_every_url_and_method(client, world):
    client.force_login(world.admin)
    names = [
        "account_statement_detail",
        "account_statement_confirm",
        "account_statement_dispute",
        "account_statement_pdf",
        "account_statement_excel",
        "account_statement_voucher",
    ]
    for name in names:
        target = url(name, world.other_statement)
        assert client.get(target).status_code == 404, name
        assert client.post(target, {"reason": "hostile"}).status_code in (404, 405), name
    other = Statement.objects.get(pk=world.other_statement.pk)
    assert (other.status, other.dispute_reason) == (S.DRAFT, "")
    # And the sub-reseller's admin does not see its parent's statements.
    client.force_login(world.sub_admin)
    assert client.get(url("account_statement_detail", world.own)).status_code == 404
    assert row_ids(html(client.get(url("account_statements")))) == set(
        Statement.objects.filter(company=world.sub).values_list("pk", flat=True)
    )


def test_anonymous_and_staff_without_company_are_kept_out(client, world):
    response = client.get(url("account_statements"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))
    assert client.get(url("account_statements")).status_code == 404


def _many(company: Company, count: int) -> None:
    for index in range(count):
        make_statement(
            company,
            year=2020 + index // 12,
            month=index % 12 + 1,
            currency=["CNY", "USD", "HKD"][index % 3],
        )


def _queries(client, target: str) -> int:
    client.get(target)  # warm the per-process caches (menus, session)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(target).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_statements(client):
    small, large = CompanyFactory(), CompanyFactory()
    small_user = PartnerUserFactory(company=small, company_role=CompanyRole.ADMIN)
    large_user = PartnerUserFactory(company=large, company_role=CompanyRole.ADMIN)
    _many(small, 3)
    _many(large, 30)
    client.force_login(small_user)
    few = _queries(client, url("account_statements") + "?page=1")
    client.force_login(large_user)
    many = _queries(client, url("account_statements") + "?page=2")
    assert few == many, (few, many)


def test_detail_query_count_does_not_grow_with_lines(client):
    a, b = Seller(), Seller()
    a.orders(3, at=local(2026, 10, 2))
    b.orders(30, at=local(2026, 10, 2))
    generate_statements(period="2026-10")
    for seller in (a, b):
        statement = Statement.objects.get(company=seller.company)
        client.force_login(seller.admin)
        seller.queries = _queries(client, url("account_statement_detail", statement))
    assert a.queries == b.queries, (a.queries, b.queries)


def test_amounts_in_lines_and_summary(client, world):
    client.force_login(world.admin)
    usd = Statement.objects.get(company=world.distributor, currency="USD")
    page = html(client.get(url("account_statement_detail", usd)))
    assert "$182,400.00" in page
    assert usd.sales_amount == Decimal("182400.00")
