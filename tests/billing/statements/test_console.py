"""Console 分账管理: list with header totals and filters, read-only once confirmed, the
actions (generate, confirm on behalf, resolve, adjust, voucher, complete, downloads) and
the Excel export, inline or as a task for large selections."""

import io
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from billing.models import (
    Statement,
    StatementAdjustment,
    StatementExport,
    StatementExportStatus,
    StatementStatus,
)
from billing.statements.services import generate_statements
from billing.statements.workflow import statement_confirm
from partners.models import Tier
from tests.factories import UserFactory
from tests.partners.factories import CompanyFactory

from .files import disguised_upload, pdf_upload
from .helpers import Seller, local, make_statement

pytestmark = pytest.mark.django_db

S = StatementStatus
CHANGELIST = "admin:billing_statement_changelist"


def action_url(name: str, statement: Statement) -> str:
    return reverse(f"admin:billing_statement_{name}", args=[statement.pk])


def change_url(statement: Statement) -> str:
    return reverse("admin:billing_statement_change", args=[statement.pk])


@pytest.fixture
def sellers():
    gold = Tier.objects.get(code="gold")
    a = Seller(CompanyFactory(name="BlueCloud_D", tier=gold))
    b = Seller(CompanyFactory(name="TestCompany-A"))
    a.orders(2, at=local(2026, 10, 3), total="100.00")
    a.order(at=local(2026, 10, 4), total="182400.00", currency="USD")
    b.orders(3, at=local(2026, 10, 5), total="10.00")
    generate_statements(period="2026-10")
    return a, b


def page(response) -> str:
    return response.content.decode()


def test_changelist_header_totals_per_currency_and_filters(staff_client, sellers):
    a, b = sellers
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = page(response)
    assert 'data-testid="statement-totals"' in html
    assert 'data-total="orders">6 单<' in html
    assert 'data-total="sales-CNY">¥230.00<' in html
    assert 'data-total="sales-USD">$182,400.00<' in html

    by_company = staff_client.get(reverse(CHANGELIST), {"company__id__exact": b.company.pk})
    assert 'data-total="sales-CNY">¥30.00<' in page(by_company)
    assert "sales-USD" not in page(by_company)
    by_tier = staff_client.get(reverse(CHANGELIST), {"company__tier__id__exact": a.company.tier_id})
    assert 'data-total="orders">3 单<' in page(by_tier)
    by_status = staff_client.get(reverse(CHANGELIST), {"status__exact": S.DISPUTED})
    assert 'data-total="orders">0 单<' in page(by_status)
    by_period = staff_client.get(reverse(CHANGELIST), {"period": "2026-09"})
    assert 'data-total="orders">0 单<' in page(by_period)
    by_period = staff_client.get(reverse(CHANGELIST), {"period": "2026-10"})
    assert 'data-total="orders">6 单<' in page(by_period)
    number = Statement.objects.get(company=b.company).number
    search = staff_client.get(reverse(CHANGELIST), {"q": number})
    assert 'data-total="orders">3 单<' in page(search)
    search = staff_client.get(reverse(CHANGELIST), {"q": "BlueCloud"})
    assert 'data-total="orders">3 单<' in page(search)


def test_changelist_query_count_does_not_grow(staff_client):
    def queries() -> int:
        staff_client.get(reverse(CHANGELIST))
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(reverse(CHANGELIST)).status_code == 200
        return len(ctx.captured_queries)

    company = CompanyFactory()
    for month in range(1, 4):
        make_statement(company, month=month, currency="USD" if month == 2 else "CNY")
    few = queries()
    other = CompanyFactory()
    for index in range(27):
        make_statement(other, year=2000 + index, month=5, currency=["CNY", "HKD"][index % 2])
    many = queries()
    assert few == many, (few, many)


def test_statements_are_generated_not_added_and_read_only_once_confirmed(
    staff_client, superuser, sellers
):
    a, _b = sellers
    statement = Statement.objects.get(company=a.company, currency="CNY")
    model_admin = admin.site._registry[Statement]
    request = RequestFactory().get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request, statement)
    assert model_admin.has_change_permission(request, statement)
    statement_confirm(statement_id=statement.pk, actor=a.admin)
    statement.refresh_from_db()
    assert not model_admin.has_change_permission(request, statement)
    html = page(staff_client.get(change_url(statement)))
    assert statement.number in html
    assert 'name="_save"' not in html
    # Actions that do not apply to the status are refused.
    assert staff_client.get(action_url("adjust_detail", statement)).status_code == 403
    assert staff_client.get(action_url("confirm_detail", statement)).status_code == 403
    assert staff_client.get(action_url("voucher_detail", statement)).status_code == 200


def test_change_page_shows_lines_adjustments_and_history(staff_client, sellers):
    a, _b = sellers
    statement = Statement.objects.get(company=a.company, currency="CNY")
    html = page(staff_client.get(change_url(statement)))
    for number in statement.lines.values_list("order_number", flat=True):
        assert number in html
    assert "账单明细" in html and "变更记录" in html


def test_generate_action_page(staff_client, sellers):
    a, _b = sellers
    generate = reverse("admin:billing_statement_generate")
    response = staff_client.get(generate)
    assert response.status_code == 200 and 'data-testid="statements-action-form"' in page(response)
    bad = staff_client.post(generate, {"period": "2026/10"})
    assert bad.status_code == 200 and "YYYY-MM" in page(bad)
    a.order(at=local(2026, 11, 2), total="7.00")
    response = staff_client.post(
        generate, {"period": "2026-11", "company": a.company.pk}, follow=True
    )
    assert response.status_code == 200
    assert Statement.objects.filter(period_start__month=11, company=a.company).count() == 1
    assert any("2026-11" in str(m) for m in response.context["messages"])


def test_confirm_on_behalf_and_resolve_a_dispute(staff_client, superuser, sellers):
    a, b = sellers
    first = Statement.objects.get(company=a.company, currency="CNY")
    assert staff_client.get(action_url("confirm_detail", first)).status_code == 200
    staff_client.post(action_url("confirm_detail", first))
    first.refresh_from_db()
    assert (first.status, first.confirmed_by) == (S.CONFIRMED, superuser)

    from billing.statements.workflow import statement_dispute

    second = Statement.objects.get(company=b.company)
    statement_dispute(statement_id=second.pk, actor=b.admin, reason="漏了一单")
    assert staff_client.get(action_url("adjust_detail", second)).status_code == 403
    resolve = action_url("resolve_detail", second)
    assert "漏了一单" in page(staff_client.get(resolve))
    assert staff_client.post(resolve, {"resolution": "bogus"}).status_code == 200
    second.refresh_from_db()
    assert second.status == S.DISPUTED
    staff_client.post(resolve, {"resolution": "regenerate", "note": "已核对"})
    second.refresh_from_db()
    assert second.status == S.DRAFT
    assert second.events.last().note == "已核对"


def test_adjust_upload_voucher_and_complete(staff_client, superuser, sellers, statement_storage):
    a, _b = sellers
    statement = Statement.objects.get(company=a.company, currency="CNY")
    adjust = action_url("adjust_detail", statement)
    missing_reason = staff_client.post(adjust, {"amount": "5.00", "reason": ""})
    assert missing_reason.status_code == 200
    assert not StatementAdjustment.objects.exists()
    staff_client.post(adjust, {"amount": "5.00", "reason": "季度奖励"})
    statement.refresh_from_db()
    assert statement.adjustment_total == Decimal("5.00")

    statement_confirm(statement_id=statement.pk, actor=a.admin)
    voucher = action_url("voucher_detail", statement)
    today = timezone.localdate().isoformat()
    refused = staff_client.post(
        voucher, {"voucher": disguised_upload(), "paid_on": today, "reference": "999999"}
    )
    assert refused.status_code == 200
    assert "PDF" in page(refused)
    statement.refresh_from_db()
    assert statement.status == S.CONFIRMED and not statement.voucher
    assert not [p for p in statement_storage.rglob("*") if p.is_file()]

    staff_client.post(voucher, {"voucher": pdf_upload(), "paid_on": today, "reference": "999999"})
    statement.refresh_from_db()
    assert (statement.status, statement.voucher_reference) == (S.PAID, "999999")
    download = staff_client.get(reverse("admin:billing_statement_voucher", args=[statement.pk]))
    assert download.status_code == 200

    staff_client.post(action_url("complete_detail", statement))
    statement.refresh_from_db()
    assert statement.status == S.COMPLETED and statement.completed_at


def test_pdf_and_excel_downloads(staff_client, sellers):
    a, _b = sellers
    statement = Statement.objects.get(company=a.company, currency="CNY")
    pdf = staff_client.get(action_url("pdf_detail", statement))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    excel = staff_client.get(action_url("excel_detail", statement))
    assert excel.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(excel.streaming_content)))
    # The lines, then a totals row per currency (tests/billing/statements/test_documents.py).
    assert workbook["明细"].max_row == 1 + statement.order_count + 1


def test_export_selected_streams_a_workbook(staff_client, sellers):
    ids = list(Statement.objects.values_list("pk", flat=True))
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "export_excel", "_selected_action": ids}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    currencies = Statement.objects.values("currency").distinct().count()
    assert workbook["汇总"].max_row == 1 + len(ids) + currencies
    assert workbook["明细"].max_row == 1 + 6 + currencies


def test_large_export_runs_as_a_task(
    staff_client, superuser, sellers, monkeypatch, django_capture_on_commit_callbacks
):
    import backoffice.admin.statements.files as console

    monkeypatch.setattr(console, "EXPORT_INLINE_MAX_LINES", 2)
    ids = list(Statement.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(CHANGELIST), {"action": "export_excel", "_selected_action": ids}, follow=True
        )
    assert response.status_code == 200
    export = StatementExport.objects.get()
    assert export.status == StatementExportStatus.DONE
    assert (export.requested_by, export.statement_count, export.row_count) == (superuser, 3, 6)
    assert export.finished_at is not None
    messages = [str(m) for m in response.context["messages"]]
    link = reverse("admin:billing_statementexport_change", args=[export.pk])
    assert any(link in m for m in messages), messages

    detail = page(staff_client.get(link))
    download_url = reverse("admin:billing_statementexport_download_detail", args=[export.pk])
    assert download_url in detail
    download = staff_client.get(download_url)
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook["明细"].auto_filter.ref == "A1:J7"  # the 6 lines, then the totals

    # Running the task again changes nothing; another staff user does not see the export.
    from billing.statements.tasks import export_statements

    assert export_statements(export.pk) == 6
    other = UserFactory(is_staff=True)
    other.user_permissions.add(*_billing_view_permissions())
    staff_client.force_login(other)
    assert staff_client.get(link).status_code in (302, 404)


def _billing_view_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="billing", codename__in=["view_statementexport", "view_statement"]
    )


def test_finance_role_can_work_and_sales_cannot_change(client, sellers):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    a, _b = sellers
    statement = Statement.objects.get(company=a.company, currency="CNY")
    client.force_login(User.objects.get(email="sales@example.com"))
    assert client.get(reverse(CHANGELIST)).status_code == 200
    # Not a company sales owns: out of scope, so not found (not even "forbidden").
    assert client.get(action_url("confirm_detail", statement)).status_code == 404
    assert client.get(reverse("admin:billing_statement_generate")).status_code == 403
    client.force_login(User.objects.get(email="finance@example.com"))
    assert client.get(action_url("confirm_detail", statement)).status_code == 200
    assert client.get(reverse("admin:billing_statement_generate")).status_code == 200
    assert Group.objects.filter(name__startswith="财务").exists()


def test_generate_message_lists_counts(staff_client, sellers):
    response = staff_client.post(
        reverse("admin:billing_statement_generate"), {"period": "2026-10"}, follow=True
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert re.search(r"2026-10", text)
    assert Statement.objects.count() == 3
