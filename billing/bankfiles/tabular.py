"""CSV and XLSX bank exports, read through a column profile.

The header row is found among the first rows (Chinese bank exports put the account and
the period above it); data rows follow. A row without an amount, or with a negative one
(money going out), is not a credit line and is skipped; an empty row too.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from .common import (
    PROFILE_FIELDS,
    REQUIRED_FIELDS,
    BankFileError,
    ParsedLine,
    ProfileSpec,
    clean_text,
    parse_amount,
    parse_date,
)

HEADER_SEARCH_ROWS = 20


def _norm(header) -> str:
    return clean_text(header).lower()


def _header_map(cells: list, spec: ProfileSpec) -> dict[str, list[tuple[int, str]]] | None:
    """field → [(column index, header)] when ``cells`` is the header row, else None."""
    positions = {_norm(cell): (index, clean_text(cell)) for index, cell in enumerate(cells)}
    found: dict[str, list[tuple[int, str]]] = {}
    for name in PROFILE_FIELDS:
        matches = [positions[_norm(h)] for h in spec.columns.get(name, []) if _norm(h) in positions]
        if matches:
            found[name] = matches if name == "reference" else matches[:1]
    if all(name in found for name in REQUIRED_FIELDS):
        return found
    return None


def _missing_headers(spec: ProfileSpec) -> BankFileError:
    wanted = " / ".join(h for name in REQUIRED_FIELDS for h in spec.columns.get(name, []))
    return BankFileError(
        None,
        None,
        _("No header row with the profile's columns (%(columns)s) in the first %(n)s rows.")
        % {"columns": wanted, "n": HEADER_SEARCH_ROWS},
    )


def _cell(cells: list, index: int):
    return cells[index] if index < len(cells) else None


def _parse_rows(
    rows: Iterable[tuple[int, list]], spec: ProfileSpec, total: int, progress
) -> list[ParsedLine]:
    header = None
    lines: list[ParsedLine] = []
    for number, cells in rows:
        if header is None:
            if number > HEADER_SEARCH_ROWS:
                raise _missing_headers(spec)
            header = _header_map(cells, spec)
            continue
        if not any(clean_text(c) for c in cells):
            continue
        line = _parse_row(number, cells, header, spec)
        if line is not None:
            lines.append(line)
        if progress and number % 200 == 0:
            progress(number, total)
    if header is None:
        raise _missing_headers(spec)
    return lines


def _parse_row(number: int, cells: list, header: dict, spec: ProfileSpec) -> ParsedLine | None:
    def value(name):
        index, _name = header[name][0]
        return _cell(cells, index)

    def text(name) -> str:
        if name not in header:
            return ""
        return " ".join(t for i, _h in header[name] if (t := clean_text(_cell(cells, i))))

    amount_col = header["amount"][0][1]
    amount = parse_amount(value("amount"), spec, row=number, column=amount_col)
    if amount is None or amount <= 0:
        return None  # not a credit line
    date_col = header["date"][0][1]
    value_date = parse_date(value("date"), spec, row=number, column=date_col)
    currency = (text("currency") or spec.currency).upper()
    if currency in {"RMB", "人民币"}:
        currency = "CNY"
    if len(currency) != 3 or not currency.isalpha():
        raise BankFileError(
            number,
            header["currency"][0][1],
            _("“%(value)s” is not a currency code.") % {"value": currency[:20]},
        )
    return ParsedLine(
        row=number,
        value_date=value_date,
        amount=amount,
        currency=currency,
        reference=text("reference")[:200],
        payer_name=text("payer_name")[:100],
        payer_account=text("payer_account").replace(" ", "")[:50],
        transaction_id=text("transaction_id")[:64],
    )


def _decode(content: bytes, encoding: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as exc:
        row = content[: exc.start].count(b"\n") + 1
        raise BankFileError(
            row,
            None,
            _("The file is not in the profile's encoding (%(encoding)s).") % {"encoding": encoding},
        ) from None


def parse_csv(content: bytes, spec: ProfileSpec, *, progress=None) -> list[ParsedLine]:
    text = _decode(content, spec.encoding)
    reader = csv.reader(io.StringIO(text), delimiter=spec.delimiter or ",")
    total = text.count("\n") + 1

    def rows() -> Iterator[tuple[int, list]]:
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise BankFileError(reader.line_num, None, str(exc)) from None

    return _parse_rows(rows(), spec, total, progress)


def parse_xlsx(content: bytes, spec: ProfileSpec, *, progress=None) -> list[ParsedLine]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal
        raise BankFileError(None, None, _("The file is not a readable Excel workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        total = sheet.max_row or 0
        rows = ((n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), 1))
        return _parse_rows(rows, spec, total, progress)
    finally:
        workbook.close()
