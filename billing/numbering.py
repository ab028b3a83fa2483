"""Ledger and bill numbers in the manual's formats, from gap-free locked counters (decision 8).

Orders and contracts use ``contracts.numbering.next_number`` (``yyyyMMddHHmmss`` + sequence).

All timestamps are Asia/Shanghai local time. Each call must run inside the
transaction that stores the document, so a rollback also returns the number.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contracts.numbering import sequence_next as _locked_sequence_next


def _local(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))


def sequence_next(key: str) -> int:
    """Increment and return the counter ``key`` under a row lock (creating it if missing)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside the transaction that stores the document")
    return _locked_sequence_next(key=key)


def rebate_entry_number(now: datetime | None = None) -> str:
    """``yyyyMMdd`` + 6-digit daily sequence, e.g. 20200205000019."""
    day = _local(now).strftime("%Y%m%d")
    return f"{day}{sequence_next(f'rebate:{day}'):06d}"


def credit_entry_number(now: datetime | None = None) -> str:
    """``DD`` + ``yyMMddHHmmss`` + 4 digits, e.g. DD2002281638562513."""
    stamp = _local(now).strftime("%y%m%d%H%M%S")
    return f"DD{stamp}{sequence_next('credit-entry') % 10000:04d}"


def bill_number(now: datetime | None = None) -> str:
    """``ZD`` + ``yyMMddHHmmss`` + 4 digits, e.g. ZD2002290000075612."""
    stamp = _local(now).strftime("%y%m%d%H%M%S")
    return f"ZD{stamp}{sequence_next('bill') % 10000:04d}"
