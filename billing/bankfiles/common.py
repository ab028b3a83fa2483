"""What every bank file parser shares: the parsed line, the profile, errors, cell parsing."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

#: The fields a profile maps to column headers. ``reference`` may name several columns
#: (摘要 and 附言): their texts are joined.
PROFILE_FIELDS = (
    "date",
    "amount",
    "currency",
    "reference",
    "payer_name",
    "payer_account",
    "transaction_id",
)
REQUIRED_FIELDS = ("date", "amount")


class BankFileError(ValueError):
    """A file that cannot be imported: ``row`` (1-based, as a spreadsheet numbers it) and
    ``column`` (its header) name the first bad cell when there is one."""

    def __init__(self, row: int | None, column: str | None, reason: str):
        self.row, self.column, self.reason = row, column, reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.row is not None and self.column:
            return _("Row %(row)s, column %(column)s: %(reason)s") % {
                "row": self.row,
                "column": self.column,
                "reason": self.reason,
            }
        if self.row is not None:
            return _("Row %(row)s: %(reason)s") % {"row": self.row, "reason": self.reason}
        return str(self.reason)


@dataclass(frozen=True)
class ProfileSpec:
    """A column profile as plain data (the console edits ``BankStatementProfile`` rows)."""

    columns: dict[str, list[str]]
    date_format: str = "%Y-%m-%d"
    decimal_separator: str = "."
    thousands_separator: str = ","
    encoding: str = "utf-8-sig"
    currency: str = "CNY"
    delimiter: str = ","


@dataclass(frozen=True)
class ParsedLine:
    row: int
    value_date: date
    amount: Decimal
    currency: str
    reference: str = ""
    payer_name: str = ""
    payer_account: str = ""
    transaction_id: str = ""
    raw: dict = field(default_factory=dict, compare=False)


def line_dedupe_key(line: ParsedLine) -> str:
    """The bank transaction id, else ``H`` + a hash of date, amount, reference and payer."""
    if line.transaction_id:
        return line.transaction_id[:64]
    text = "|".join(
        [
            line.value_date.isoformat(),
            f"{line.amount:.2f}",
            " ".join(line.reference.split()),
            line.payer_name.strip(),
            line.payer_account.replace(" ", ""),
        ]
    )
    return "H" + hashlib.sha256(text.encode()).hexdigest()[:40]


def clean_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an account number Excel stored as a number
    return " ".join(str(value).split())


_CURRENCY_MARKS = re.compile(r"[¥￥$€£\s]|CNY|RMB|USD|EUR", re.IGNORECASE)


def parse_amount(value, spec: ProfileSpec, *, row: int, column: str) -> Decimal | None:
    """The amount in a cell under the profile's conventions; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    text = _CURRENCY_MARKS.sub("", str(value))
    if not text or text in {"-", "--"}:
        return None
    if spec.thousands_separator:
        text = text.replace(spec.thousands_separator, "")
    if spec.decimal_separator != ".":
        text = text.replace(spec.decimal_separator, ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BankFileError(
            row, column, _("“%(value)s” is not an amount.") % {"value": str(value)[:40]}
        ) from None
    if not amount.is_finite():
        raise BankFileError(row, column, _("“%(value)s” is not an amount.") % {"value": value})
    return amount.quantize(Decimal("0.01"))


def parse_date(value, spec: ProfileSpec, *, row: int, column: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if not text:
        raise BankFileError(row, column, _("The date is missing."))
    for fmt in spec.date_format.split("|"):
        try:
            return datetime.strptime(text, fmt.strip()).date()
        except ValueError:
            continue
    raise BankFileError(
        row,
        column,
        _("“%(value)s” is not a date in the format %(format)s.")
        % {"value": text[:40], "format": spec.date_format},
    )
