"""Bank statement files: CSV and XLSX read through a column profile, MT940 through the
``mt-940`` package. Pure functions over bytes: no database, no models.

``parse_bank_file`` returns the credit lines of a file (debits are skipped) or raises
``BankFileError`` naming the row and the column of the first bad cell; a caller that gets
the error imports nothing. ``line_dedupe_key`` is the key the import is unique on: the
bank's transaction id, or a hash of date + amount + reference + payer when there is none.
"""

from .common import BankFileError, ParsedLine, ProfileSpec, line_dedupe_key
from .swift import parse_mt940
from .tabular import parse_csv, parse_xlsx

FILE_FORMATS = ("csv", "xlsx", "mt940")


def parse_bank_file(
    *, content: bytes, file_format: str, profile: ProfileSpec | None = None, progress=None
) -> list[ParsedLine]:
    """The credit lines of ``content``; ``progress(done, total)`` is called as rows are read."""
    if file_format == "mt940":
        return parse_mt940(content, default_currency=profile.currency if profile else "CNY")
    if profile is None:
        raise BankFileError(None, None, "A CSV or Excel file needs a column profile.")
    if file_format == "csv":
        return parse_csv(content, profile, progress=progress)
    if file_format == "xlsx":
        return parse_xlsx(content, profile, progress=progress)
    raise BankFileError(None, None, "Unknown file format.")


def count_rows(*, content: bytes, file_format: str) -> int:
    """A cheap upper bound of the lines in a file (to choose inline or task parsing)."""
    if file_format == "mt940":
        return content.count(b":61:")
    if file_format == "xlsx":
        return _xlsx_rows(content)
    return content.count(b"\n") + 1


def _xlsx_rows(content: bytes) -> int:
    """The first sheet's row count (its stored dimension), else an estimate by size."""
    import io

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        try:
            return workbook.worksheets[0].max_row or 1
        finally:
            workbook.close()
    except Exception:  # noqa: BLE001 - unreadable: the parser gives the clear error
        return 1


__all__ = [
    "FILE_FORMATS",
    "BankFileError",
    "ParsedLine",
    "ProfileSpec",
    "count_rows",
    "line_dedupe_key",
    "parse_bank_file",
]
