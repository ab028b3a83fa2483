"""Typed Excel workbooks: numbers that sum, dates that sort, text that is never a formula.

Written with openpyxl ``write_only=True`` so rows stream to the file. Amounts are numbers
with two decimals and thousands separators (``#,##0.00``), dates and times real Excel dates
(the local wall time: Excel has no time zones).

Formula injection: every text cell goes through ``safe_text``. A text that starts with
``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe (U+0027) that
stays part of the text (the OWASP CSV-injection advice), and the cell is written as a
string cell, so neither openpyxl nor Excel sees a formula. Characters XML cannot hold are
dropped.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses these in a sheet name, and a name longer than 31 characters.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_text(value) -> str:
    """Text for a cell: never read as a formula by openpyxl, Excel or LibreOffice."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def sheet_title(name) -> str:
    """A valid sheet name: no ``[]:*?/\\``, at most 31 characters, never empty."""
    return _SHEET_NAME_FORBIDDEN.sub(" ", str(name)).strip()[:31] or "Sheet1"


def local_naive(value: datetime | None) -> datetime | None:
    """The wall time in settings.TIME_ZONE, without tzinfo (Excel has no time zones)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


class TypedSheet:
    """A write-only sheet with typed cells (text escaped, numbers and dates formatted)."""

    def __init__(self, workbook: Workbook, title: str, headers: Sequence[tuple[str, int]]):
        self.ws = workbook.create_sheet(sheet_title(title))
        self.width = len(headers)
        for index, (_label, width) in enumerate(headers, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        self.bold = Font(bold=True)
        self.ws.append([self.strong(label) for label, _width in headers])
        self.rows = 0

    def strong(self, value) -> Cell:
        """A bold cell (headers, totals): text escaped, a number or date typed."""
        cell = self.cell(value)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(self.ws, value=cell)
        cell.font = self.bold
        return cell

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

    def _formatted(self, value, number_format: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = number_format
        return cell

    def money(self, value: Decimal | None) -> WriteOnlyCell:
        return self._formatted(value, MONEY_FORMAT)

    def rate(self, value: Decimal) -> WriteOnlyCell:
        return self._formatted(value, RATE_FORMAT)

    def day(self, value: date | None) -> WriteOnlyCell:
        return self._formatted(value, DATE_FORMAT)

    def moment(self, value: datetime | None) -> WriteOnlyCell:
        return self._formatted(local_naive(value), DATETIME_FORMAT)

    def cell(self, value):
        """A cell typed by the value's Python type: Decimal and float are amounts, ints
        counts, datetimes and dates Excel dates, booleans and the rest text."""
        if value is None or isinstance(value, bool):
            return self.text("" if value is None else value)
        if isinstance(value, Decimal | float):
            return self.money(value)
        if isinstance(value, int):
            return value
        if isinstance(value, datetime):
            return self.moment(value)
        if isinstance(value, date):
            return self.day(value)
        return self.text(value)

    def append(self, row: Iterable) -> None:
        self.ws.append(list(row))
        self.rows += 1

    def append_typed(self, values: Iterable) -> None:
        self.append(self.cell(value) for value in values)

    def append_totals(self, values: Iterable) -> None:
        """A bold totals row, below the data (not counted in ``rows``)."""
        self.ws.append([self.strong(value) for value in values])

    def add_filter(self) -> None:
        """An autofilter over the header and the data rows written so far."""
        last = get_column_letter(max(self.width, 1))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def column_width(header: str) -> int:
    """A readable column width for a header (CJK characters count double)."""
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(header))
    return max(10, min(40, wide + 4))


def write_table_workbook(
    target, *, title: str, headers: Sequence[str], rows: Iterable[Sequence]
) -> int:
    """One typed sheet named ``title``: a bold header row, then ``rows`` (cells typed by
    their Python values), with an autofilter. Returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = TypedSheet(workbook, title, [(h, column_width(h)) for h in headers])
    for row in rows:
        sheet.append_typed(row)
    sheet.add_filter()
    workbook.save(target)
    return sheet.rows
