"""MT940 (SWIFT customer statement) through the maintained ``mt-940`` package.

Credit lines (``:61:`` with mark C) are kept. The bank transaction id is the ``:61:``
bank reference (after ``//``), else the customer reference unless it is NONREF; the memo
is the ``:86:`` text. Structured ``:86:`` fields (German ``?20``–``?29`` memo, ``?31``
account, ``?32``/``?33`` name) are read when present.
"""

import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .common import BankFileError, ParsedLine

_SUBFIELD = re.compile(r"\?(\d\d)")


def _details(text: str) -> tuple[str, str, str]:
    """(memo, payer account, payer name) from a ``:86:`` text."""
    text = (text or "").replace("\n", "")
    if "?" not in text or not _SUBFIELD.search(text):
        return " ".join(text.split()), "", ""
    parts = _SUBFIELD.split(text)
    fields: dict[str, str] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=False):
        fields[code] = fields.get(code, "") + value
    memo = "".join(fields.get(f"{n}", "") for n in range(20, 30)) or fields.get("00", "")
    name = (fields.get("32", "") + fields.get("33", "")).strip()
    return " ".join(memo.split()), fields.get("31", "").strip(), name


def parse_mt940(content: bytes, *, default_currency: str = "CNY") -> list[ParsedLine]:
    import mt940

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if ":61:" not in text:
        raise BankFileError(None, None, _("The file is not an MT940 statement (no :61: lines)."))
    try:
        transactions = mt940.models.Transactions()
        transactions.parse(text)
    except Exception as exc:  # noqa: BLE001 - the package raises several kinds
        raise BankFileError(
            None, None, _("The MT940 file cannot be read: %(error)s") % {"error": exc}
        ) from None
    lines = []
    for number, transaction in enumerate(transactions, 1):
        data = transaction.data
        amount = data.get("amount")
        if amount is None or data.get("status") not in ("C", "RD"):
            continue
        value = Decimal(str(amount.amount)).quantize(Decimal("0.01"))
        if value <= 0:
            continue
        memo, payer_account, payer_name = _details(data.get("transaction_details", ""))
        customer_ref = data.get("customer_reference") or ""
        txn_id = data.get("bank_reference") or (customer_ref if customer_ref != "NONREF" else "")
        raw_date = data.get("date")
        lines.append(
            ParsedLine(
                row=number,
                value_date=date(raw_date.year, raw_date.month, raw_date.day),
                amount=value,
                currency=(data.get("currency") or default_currency).upper(),
                reference=memo[:200],
                payer_name=payer_name[:100],
                payer_account=payer_account.replace(" ", "")[:50],
                transaction_id=txn_id.strip()[:64],
            )
        )
    return lines
