"""Ledger and bill numbers in the manual's formats (decision 8: every number is unique).

Orders and contracts use ``backoffice.core.numbering.next_number`` (``yyyyMMddHHmmss`` + sequence).

Ledger entries (rebate and credit) are numbered from a PostgreSQL SEQUENCE: ``nextval``
never waits for another transaction, so checkouts of different companies do not queue on
one shared counter row until they commit (the old ``rebate:<day>`` row). A sequence is not
rolled back, so a refused posting leaves a gap; numbers stay unique (unique columns). On
other databases (SQLite, which serialises writers anyway) the locked counter row of the
same name is the fallback. Bills keep the gap-free locked counter.

All timestamps are Asia/Shanghai local time. Each call must run inside the
transaction that stores the document.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backoffice.core.numbering import sequence_next as _locked_sequence_next


def _local(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(ZoneInfo(settings.TIME_ZONE))


def sequence_next(key: str) -> int:
    """Increment and return the counter ``key`` under a row lock (creating it if missing)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside the transaction that stores the document")
    return _locked_sequence_next(key=key)


# PostgreSQL sequences (migration billing 0012) and the counter keys of the fallback.
REBATE_ENTRY_SEQUENCE = ("billing_rebate_entry_number_seq", "rebate-entry")
CREDIT_ENTRY_SEQUENCE = ("billing_credit_entry_number_seq", "credit-entry")


def ledger_sequence_next(sequence: tuple[str, str]) -> int:
    """The next value of a ledger-entry number sequence, taken without a row lock on
    PostgreSQL (``nextval``); elsewhere from the locked counter row of the same purpose."""
    name, fallback_key = sequence
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [name])
            return cursor.fetchone()[0]
    return sequence_next(fallback_key)


def rebate_entry_number(now: datetime | None = None) -> str:
    """``yyyyMMdd`` + a sequence of at least 6 digits, e.g. 20200205000019. The sequence
    runs across days and companies (no per-day counter row for every company to share)."""
    day = _local(now).strftime("%Y%m%d")
    return f"{day}{ledger_sequence_next(REBATE_ENTRY_SEQUENCE):06d}"


def credit_entry_number(now: datetime | None = None) -> str:
    """``DD`` + ``yyMMddHHmmss`` + 4 digits, e.g. DD2002281638562513."""
    stamp = _local(now).strftime("%y%m%d%H%M%S")
    return f"DD{stamp}{ledger_sequence_next(CREDIT_ENTRY_SEQUENCE) % 10000:04d}"


def delegated_entry_number(now: datetime | None = None) -> str:
    """``FP`` (分配) + ``yyMMddHHmmss`` + 4 digits, from the credit entries' sequence."""
    stamp = _local(now).strftime("%y%m%d%H%M%S")
    return f"FP{stamp}{ledger_sequence_next(CREDIT_ENTRY_SEQUENCE) % 10000:04d}"


def bill_number(now: datetime | None = None) -> str:
    """``ZD`` + ``yyMMddHHmmss`` + 4 digits, e.g. ZD2002290000075612."""
    stamp = _local(now).strftime("%y%m%d%H%M%S")
    return f"ZD{stamp}{sequence_next('bill') % 10000:04d}"
