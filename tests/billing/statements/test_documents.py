"""The Excel workbook (openpyxl) and the PDF (pdftotext, pdffonts) of statements."""

import io
import re
import subprocess
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backoffice.core.money import format_money
from billing.models import OrderStatus, PaymentStatus, Statement
from billing.statements.excel import safe_text, write_statements_workbook
from billing.statements.pdf import render_statement_pdf
from billing.statements.services import generate_statements
from billing.statements.workflow import statement_adjust
from tests.factories import UserFactory
from tests.partners.factories import CompanyFactory

from .helpers import Seller, local

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]


@pytest.fixture
def statements() -> list[Statement]:
    hostile = Seller(
        CompanyFactory(name=HOSTILE[0], revenue_share_rate=Decimal("0.1000")),
        solution="+1",
        other="@SUM(1)",
    )
    hostile.order(at=local(2026, 10, 1, 0, 0, 0), total="100.10", quantities=(1, 1))
    hostile.order(
        at=local(2026, 10, 31, 23, 59, 59),
        total="50.05",
        status=OrderStatus.CANCELLED,
        payment_status=PaymentStatus.REFUNDED,
    )
    plain = Seller(CompanyFactory(name="BlueCloud_D"), solution="-1+1")
    plain.orders(3, at=local(2026, 10, 15, 8, 30), total="27640.80")
    plain.order(at=local(2026, 10, 16, 9), total="182400.00", currency="USD")
    generate_statements(period="2026-10")
    first = Statement.objects.get(company=hostile.company)
    statement_adjust(
        statement_id=first.pk, actor=UserFactory(is_staff=True), amount="-1.00", reason="=1+1"
    )
    return list(Statement.objects.order_by("pk"))


def _workbook(statements):
    buffer = io.BytesIO()
    result = write_statements_workbook([s.pk for s in statements], buffer)
    buffer.seek(0)
    return result, buffer


def test_safe_text_prefixes_formula_starters():
    for value in HOSTILE:
        assert safe_text(value) == "'" + value
    assert safe_text("BlueCloud_D") == "BlueCloud_D"
    assert safe_text("a\x00b\x07") == "ab"  # characters XML cannot hold are dropped
    assert safe_text(None) == ""


def test_workbook_sheets_headers_types_and_totals(statements):
    result, buffer = _workbook(statements)
    workbook = load_workbook(buffer)
    assert workbook.sheetnames == ["汇总", "明细", "调整"]
    summary, lines = workbook["汇总"], workbook["明细"]

    summary_head = [c.value for c in summary[1]]
    for label in ("账单ID", "账单编号", "方案提供商", "币种", "周期开始", "订单总数", "产品总数"):
        assert label in summary_head, label
    for label in ("销售额", "分账比例", "应付分账", "调整", "账单金额", "状态", "凭证"):
        assert label in summary_head, label
    lines_head = [c.value for c in lines[1]]
    assert lines_head == [
        "账单编号",
        "公司",
        "币种",
        "订单编号",
        "订单总金额",
        "关联商品",
        "订单状态",
        "数量",
        "交易时间",
        "计入销售额",
    ]

    col = {label: index for index, label in enumerate(summary_head)}
    by_number = {s.number: s for s in statements}
    data_rows = 1 + len(statements)
    for row in summary.iter_rows(min_row=2, max_row=data_rows):
        s = by_number[row[col["账单编号"]].value]
        sales = row[col["销售额"]]
        assert isinstance(sales.value, int | float) and sales.number_format == "#,##0.00"
        assert Decimal(str(sales.value)).quantize(Decimal("0.01")) == s.sales_amount
        total = row[col["账单金额"]]
        assert Decimal(str(total.value)).quantize(Decimal("0.01")) == s.total_payable
        assert row[col["分账比例"]].number_format == "0.00%"
        start = row[col["周期开始"]]
        assert start.is_date and start.value == datetime(2026, 10, 1)
        assert start.number_format == "yyyy-mm-dd"
        assert row[col["订单总数"]].value == s.order_count

    assert result.lines == sum(s.order_count for s in statements)
    sums: dict[str, Decimal] = {}
    for row in lines.iter_rows(min_row=2, max_row=1 + result.lines):
        amount, moment = row[4], row[8]
        assert isinstance(amount.value, int | float) and amount.number_format == "#,##0.00"
        assert moment.is_date and isinstance(moment.value, datetime)
        assert moment.number_format == "yyyy-mm-dd hh:mm:ss"
        if row[9].value == "是":
            sums[row[0].value] = sums.get(row[0].value, Decimal("0")) + Decimal(str(amount.value))
    for s in statements:
        assert sums.get(s.number, Decimal("0")).quantize(Decimal("0.01")) == s.sales_amount
    rows = list(lines.iter_rows(min_row=2, max_row=1 + result.lines, values_only=True))
    times = {row[8] for row in rows}
    assert datetime(2026, 10, 31, 23, 59, 59) in times  # Shanghai wall time, no tz shift
    assert datetime(2026, 10, 1, 0, 0, 0) in times
    assert "已取消" in {row[6] for row in rows}


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_workbook_has_autofilters_and_totals_rows_equal_to_the_sums(statements):
    result, buffer = _workbook(statements)
    workbook = load_workbook(buffer)
    summary, lines = workbook["汇总"], workbook["明细"]
    currencies = sorted({s.currency for s in statements})
    # The filter covers the header and the data rows, not the totals below them.
    assert summary.auto_filter.ref == f"A1:T{1 + len(statements)}"
    assert lines.auto_filter.ref == f"A1:J{1 + result.lines}"
    assert workbook["调整"].auto_filter.ref.startswith("A1:G")

    head = [c.value for c in summary[1]]
    totals = list(summary.iter_rows(min_row=2 + len(statements), values_only=True))
    assert [row[head.index("币种")] for row in totals] == currencies
    for row in totals:
        assert row[0] == "合计"
        mine = [s for s in statements if s.currency == row[head.index("币种")]]
        for label, attribute in (
            ("销售额", "sales_amount"),
            ("应付分账", "share_amount"),
            ("调整", "adjustment_total"),
            ("账单金额", "total_payable"),
        ):
            assert _money(row[head.index(label)]) == sum(getattr(s, attribute) for s in mine)
        assert row[head.index("订单总数")] == sum(s.order_count for s in mine)
    cell = summary.cell(row=2 + len(statements), column=head.index("销售额") + 1)
    assert cell.number_format == "#,##0.00" and cell.font.b

    data = list(lines.iter_rows(min_row=2, max_row=1 + result.lines, values_only=True))
    totals = list(lines.iter_rows(min_row=2 + result.lines, values_only=True))
    assert [row[2] for row in totals] == currencies
    for row in totals:
        assert row[0] == "合计（计入销售额）"
        counted = [line for line in data if line[2] == row[2] and line[9] == "是"]
        assert _money(row[4]) == sum(_money(line[4]) for line in counted)
        assert _money(row[4]) == sum(s.sales_amount for s in statements if s.currency == row[2])
        assert row[7] == sum(line[7] for line in counted)


def test_text_that_looks_like_a_formula_is_plain_text(statements):
    _result, buffer = _workbook(statements)
    workbook = load_workbook(buffer)
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    texts.append(cell.value)
    assert "'" + HOSTILE[0] in texts  # the company name, kept readable
    assert "'+1、@SUM(1)" in texts or "'+1" in texts  # 关联商品 of the hostile company
    assert "'-1+1" in texts
    assert "'=1+1" in texts  # the adjustment reason
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name


def test_workbook_is_written_in_write_only_mode(statements, monkeypatch):
    import openpyxl

    modes = []
    original = openpyxl.Workbook.__init__

    def spy(self, *args, **kwargs):
        modes.append(kwargs.get("write_only"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(openpyxl.Workbook, "__init__", spy)
    _workbook(statements)
    assert modes == [True]


def _pdf_text(pdf: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    fonts = subprocess.run(
        ["/usr/bin/pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout
    return text, fonts


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_has_number_totals_every_line_and_an_embedded_font(statements, tmp_path):
    statement = next(
        s for s in statements if s.company_name == "BlueCloud_D" and s.currency == "CNY"
    )
    text, fonts = _pdf_text(render_statement_pdf(statement), tmp_path)
    flat = compact(text)
    for needle in (
        "AggreSmart账单",
        statement.number,
        "账单打印时间",
        "收款方",
        "BlueCloud_D",
        "付款方",
        "上海蓝云网络科技有限公司",
        "contactus@oe.21vianet.com",
        "账单统计",
        "方案提供商",
        "账单周期",
        "2026/10/1-2026/10/31",
        "账单明细",
        "订单总金额",
        "关联商品",
        "交易时间",
        compact(format_money(statement.total_payable, statement.currency)),
        compact(format_money(statement.sales_amount, statement.currency)),
        "订单总数3",
        "产品总数3",
    ):
        assert needle in flat, needle
    for number in statement.lines.values_list("order_number", flat=True):
        assert number in flat, number
    font_rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert font_rows, fonts
    for row in font_rows:
        assert "TrueType" in row and " yes " in row, row  # embedded (emb = yes)
    assert "Helvetica" not in fonts


def test_pdf_escapes_markup_and_splits_long_statements(tmp_path):
    seller = Seller(CompanyFactory(name='<font color="red">X</font> & <b>Co</b>'))
    seller.orders(90, at=local(2026, 10, 3, 10), total="1.00")
    generate_statements(period="2026-10")
    statement = Statement.objects.get()
    statement_adjust(
        statement_id=statement.pk,
        actor=UserFactory(is_staff=True),
        amount="1.00",
        reason="<br/>& <i>reason</i>",
    )
    statement.refresh_from_db()
    text, _fonts = _pdf_text(render_statement_pdf(statement), tmp_path)
    flat = compact(text)
    assert compact('<font color="red">X</font> & <b>Co</b>') in flat
    assert compact("<br/>& <i>reason</i>") in flat
    pages = text.rstrip("\f").count("\f") + 1
    assert pages >= 2
    assert f"第1页，共{pages}页" in flat and f"第{pages}页，共{pages}页" in flat
    for number in statement.lines.values_list("order_number", flat=True):
        assert number in flat
    assert flat.count("订单编号") >= pages - 1  # the header row repeats on each page


def test_dates_in_summary_are_dates(statements):
    _result, buffer = _workbook(statements)
    summary = load_workbook(buffer)["汇总"]
    head = [c.value for c in summary[1]]
    end = summary.cell(row=2, column=head.index("周期结束") + 1)
    assert end.value == datetime.combine(date(2026, 10, 31), datetime.min.time())


def test_texts_that_look_like_excel_errors_stay_strings():
    seller = Seller(CompanyFactory(name="#N/A"), solution="#DIV/0!")
    seller.order(at=local(2026, 10, 3))
    generate_statements(period="2026-10")
    _result, buffer = _workbook(list(Statement.objects.all()))
    workbook = load_workbook(buffer)
    company = workbook["明细"]["B2"]
    products = workbook["明细"]["F2"]
    assert (company.value, company.data_type) == ("#N/A", "s")
    assert (products.value, products.data_type) == ("#DIV/0!", "s")


def test_pdf_marks_lines_that_do_not_count_and_totals_the_sales(statements):
    from pypdf import PdfReader

    statement = next(s for s in statements if s.company_name == HOSTILE[0])
    lines = {line.order_number: line for line in statement.lines.all()}
    cancelled = next(n for n, line in lines.items() if line.order_status == OrderStatus.CANCELLED)
    assert not lines[cancelled].in_sales and len(lines) == 2
    reader = PdfReader(io.BytesIO(render_statement_pdf(statement)))
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)
    rows = {number: line for line in text.splitlines() for number in lines if number in line}
    assert "不计入" in compact(rows[cancelled])
    counted = next(n for n in lines if n != cancelled)
    assert "不计入" not in compact(rows[counted]) and "计入" in compact(rows[counted])
    totals = next(line for line in text.splitlines() if "合计" in line)
    assert "合计（计入销售额）" in compact(totals)
    assert compact(format_money(statement.sales_amount, statement.currency)) in compact(totals)
    assert statement.sales_amount == lines[counted].order_total != Decimal(0)
