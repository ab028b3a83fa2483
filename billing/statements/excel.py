"""Excel export of statements: one workbook, sheets 汇总 (summary), 明细 (lines), 调整.

Written with openpyxl ``write_only=True``: rows stream to the file and the lines are read
with ``iterator()``, so memory stays bounded for 100,000+ lines. Amounts are numbers
(format ``0.00``), rates numbers (``0.00%``), dates and times real Excel dates (Asia/Shanghai
wall time, as shown everywhere else).

Formula injection: every text cell goes through ``safe_text``. A text that starts with
``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe (U+0027) that
stays part of the text (the OWASP CSV-injection advice), and the cell is written as a
string cell, so neither openpyxl nor Excel sees a formula: ``=HYPERLINK("http://x","y")``
is stored and read back as the text ``'=HYPERLINK("http://x","y")``. Characters XML cannot
hold are dropped.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from billing.models import Statement, StatementAdjustment, StatementLine, StatementStatus

from .constants import DOCUMENT_LANGUAGE
from .labels import order_status_label

SUMMARY_SHEET = "汇总"
LINES_SHEET = "明细"
ADJUSTMENTS_SHEET = "调整"
MONEY_FORMAT = "0.00"
RATE_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 5000


def safe_text(value) -> str:
    """Text for a cell: never read as a formula by openpyxl, Excel or LibreOffice."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _local(value: datetime | None) -> datetime | None:
    """Excel has no time zones: the Shanghai wall time, without tzinfo."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


@dataclass(frozen=True)
class ExportResult:
    statements: int
    lines: int


class _Sheet:
    """A write-only sheet with typed cells (text escaped, numbers and dates formatted)."""

    def __init__(self, workbook: Workbook, title: str, headers: list[tuple[str, int]]):
        self.ws = workbook.create_sheet(title)
        for index, (_label, width) in enumerate(headers, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        bold = Font(bold=True)
        row = []
        for label, _width in headers:
            cell = WriteOnlyCell(self.ws, value=safe_text(label))
            cell.font = bold
            row.append(cell)
        self.ws.append(row)
        self.rows = 0

    def text(self, value):
        """A string cell. A plain ``str`` is cheaper and openpyxl types it as a string,
        since ``safe_text`` never starts with "="; only texts that look like Excel error
        values (#N/A, ...) need an explicit cell to stay strings."""
        text = safe_text(value)
        if text not in ERROR_CODES:
            return text
        cell = WriteOnlyCell(self.ws, value=text)
        cell.data_type = "s"
        return cell

    def money(self, value: Decimal | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = MONEY_FORMAT
        return cell

    def rate(self, value: Decimal) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = RATE_FORMAT
        return cell

    def day(self, value: date | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell

    def moment(self, value: datetime | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=_local(value))
        cell.number_format = DATETIME_FORMAT
        return cell

    def append(self, row: list) -> None:
        self.ws.append(row)
        self.rows += 1


def _summary(workbook: Workbook, statements: list[Statement]) -> None:
    sheet = _Sheet(
        workbook,
        SUMMARY_SHEET,
        [
            (_("Statement ID"), 10),
            (_("Statement no."), 16),
            (_("Solution provider"), 28),
            (_("Currency"), 8),
            (_("Period start"), 12),
            (_("Period end"), 12),
            (_("Tier"), 10),
            (_("Business owner"), 14),
            (_("Address"), 30),
            (_("Total orders"), 10),
            (_("Total products"), 10),
            (_("Sales amount"), 14),
            (_("Revenue-share rate"), 10),
            (_("Share payable"), 14),
            (_("Adjustments"), 12),
            (_("Statement amount"), 14),
            (_("Status"), 10),
            (_("Voucher"), 16),
            (_("Payment date"), 12),
            (_("Generated at"), 20),
        ],
    )
    labels = dict(StatementStatus.choices)
    for s in statements:
        sheet.append(
            [
                s.pk,
                sheet.text(s.number),
                sheet.text(s.company_name),
                sheet.text(s.currency),
                sheet.day(s.period_start),
                sheet.day(s.period_end),
                sheet.text(s.tier_name),
                sheet.text(s.business_owner_name),
                sheet.text(s.address),
                s.order_count,
                s.product_count,
                sheet.money(s.sales_amount),
                sheet.rate(s.share_rate),
                sheet.money(s.share_amount),
                sheet.money(s.adjustment_total),
                sheet.money(s.total_payable),
                sheet.text(labels.get(s.status, s.status)),
                sheet.text(s.voucher_reference or _("None")),
                sheet.day(s.paid_on),
                sheet.moment(s.generated_at),
            ]
        )


def _lines(workbook: Workbook, statements: list[Statement]) -> int:
    sheet = _Sheet(
        workbook,
        LINES_SHEET,
        [
            (_("Statement no."), 16),
            (_("Company"), 28),
            (_("Currency"), 8),
            (_("Order no."), 22),
            (_("Order total amount"), 14),
            (_("Related products"), 36),
            (_("Order status"), 10),
            (_("Quantity"), 8),
            (_("Transaction time"), 20),
            (_("Counted in sales"), 12),
        ],
    )
    by_id = {s.pk: s for s in statements}
    yes, no = _("Yes"), _("No")
    rows = (
        StatementLine.objects.filter(statement_id__in=list(by_id))
        .order_by("statement_id", "-transacted_at", "-pk")
        .values_list(
            "statement_id",
            "order_number",
            "order_total",
            "products",
            "order_status",
            "quantity",
            "transacted_at",
            "in_sales",
        )
        .iterator(chunk_size=CHUNK)
    )
    for statement_id, number, total, products, status, quantity, at, in_sales in rows:
        s = by_id[statement_id]
        sheet.append(
            [
                sheet.text(s.number),
                sheet.text(s.company_name),
                sheet.text(s.currency),
                sheet.text(number),
                sheet.money(total),
                sheet.text(products),
                sheet.text(order_status_label(status)),
                quantity,
                sheet.moment(at),
                sheet.text(yes if in_sales else no),
            ]
        )
    return sheet.rows


def _adjustments(workbook: Workbook, statements: list[Statement]) -> None:
    sheet = _Sheet(
        workbook,
        ADJUSTMENTS_SHEET,
        [
            (_("Statement no."), 16),
            (_("Company"), 28),
            (_("Currency"), 8),
            (_("Amount"), 12),
            (_("Adjustment reason"), 40),
            (_("Operator"), 20),
            (_("Date"), 20),
        ],
    )
    by_id = {s.pk: s for s in statements}
    adjustments = (
        StatementAdjustment.objects.filter(statement_id__in=list(by_id))
        .select_related("created_by")
        .order_by("statement_id", "created_at", "pk")
    )
    for adjustment in adjustments.iterator(chunk_size=CHUNK):
        s = by_id[adjustment.statement_id]
        sheet.append(
            [
                sheet.text(s.number),
                sheet.text(s.company_name),
                sheet.text(s.currency),
                sheet.money(adjustment.amount),
                sheet.text(adjustment.reason),
                sheet.text(adjustment.created_by.get_full_name()),
                sheet.moment(adjustment.created_at),
            ]
        )


def write_statements_workbook(statement_ids: Iterable[int], target) -> ExportResult:
    """Write the workbook of ``statement_ids`` to ``target`` (a path or binary file)."""
    ids = sorted({int(pk) for pk in statement_ids})
    statements = list(
        Statement.objects.filter(pk__in=ids).order_by("-period_start", "company_name", "pk")
    )
    workbook = Workbook(write_only=True)
    with translation.override(DOCUMENT_LANGUAGE):
        _summary(workbook, statements)
        lines = _lines(workbook, statements)
        _adjustments(workbook, statements)
    workbook.save(target)
    return ExportResult(statements=len(statements), lines=lines)
