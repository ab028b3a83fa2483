"""Document numbers (spec 0.6): a local-time prefix plus a running sequence.

``next_number(key="contract", prefix_format="%Y%m%d%H%M%S")`` → ``20191219035151838``.
The counter row of ``key`` is incremented by one ``UPDATE … RETURNING`` (which locks it) in
the caller's transaction: two concurrent callers never get the same value, and a caller that
rolls back gives its value back. Numbers are unique, not gap-free (decision 8): callers
that take a number in a short transaction of its own, before the document's (orders and
contracts do, so checkouts don't queue on the counter), leave a gap when the document is
then refused. A counter never resets; callers that want a per-period sequence put the
period in the key (``key=f"statement:{month}"``).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import DocumentSequence

#: Document numbers read Shanghai local time, whatever the server's zone.
NUMBER_TIMEZONE = "Asia/Shanghai"


def _increment(key: str, count: int) -> int | None:
    """One statement: move the counter ``key`` by ``count`` and read its new value (the
    UPDATE takes the row lock); None when the counter does not exist yet."""
    table = connection.ops.quote_name(DocumentSequence._meta.db_table)
    column = connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(  # the names are the model's, quoted; the values are parameters
            f"UPDATE {table} SET last_value = last_value + %s, updated_at = %s"  # noqa: S608
            f" WHERE {column} = %s RETURNING last_value",
            [count, timezone.now(), key],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def sequence_next(*, key: str, count: int = 1) -> int:
    """The next value of the counter ``key`` (1, 2, 3, ...), taken under a row lock.

    ``count`` > 1 reserves a block: the first of ``count`` consecutive values is returned
    and the counter moves past the last (one row update for a whole batch of documents).
    An existing counter costs one ``UPDATE … RETURNING`` (PostgreSQL, SQLite ≥ 3.35).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    last = _increment(key, count)  # one statement: atomic without a savepoint
    if last is None:
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(key=key, last_value=0)
        except IntegrityError:
            pass  # created concurrently: increment the other one
        last = _increment(key, count)
    return last - count + 1


def next_number(
    *, key: str, prefix_format: str, digits: int = 3, now: datetime | None = None
) -> str:
    """``prefix_format`` applied to Shanghai local time, then the sequence (≥ ``digits`` digits)."""
    local = timezone.localtime(now or timezone.now(), ZoneInfo(NUMBER_TIMEZONE))
    return f"{local.strftime(prefix_format)}{sequence_next(key=key):0{digits}d}"
