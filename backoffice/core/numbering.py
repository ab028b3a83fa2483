"""Document numbers (spec 0.6): a local-time prefix plus a running sequence.

``next_number(key="contract", prefix_format="%Y%m%d%H%M%S")`` → ``20191219035151838``.
The counter row of ``key`` is locked with ``select_for_update`` and incremented in the
caller's transaction: two concurrent callers never get the same value, and a caller that
rolls back gives its value back. Numbers are unique, not gap-free (decision 8): callers
that take a number in a short transaction of its own, before the document's (orders and
contracts do, so checkouts don't queue on the counter), leave a gap when the document is
then refused. A counter never resets; callers that want a per-period sequence put the
period in the key (``key=f"statement:{month}"``).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DocumentSequence

#: Document numbers read Shanghai local time, whatever the server's zone.
NUMBER_TIMEZONE = "Asia/Shanghai"


def sequence_next(*, key: str, count: int = 1) -> int:
    """The next value of the counter ``key`` (1, 2, 3, ...), taken under a row lock.

    ``count`` > 1 reserves a block: the first of ``count`` consecutive values is returned
    and the counter moves past the last (one row update for a whole batch of documents).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        sequence = DocumentSequence.objects.select_for_update().filter(key=key).first()
        if sequence is None:
            try:
                with transaction.atomic():
                    DocumentSequence.objects.create(key=key, last_value=0)
            except IntegrityError:
                pass  # created concurrently: lock the other one
            sequence = DocumentSequence.objects.select_for_update().get(key=key)
        first = sequence.last_value + 1
        sequence.last_value += count
        sequence.save(update_fields=["last_value", "updated_at"])
        return first


def next_number(
    *, key: str, prefix_format: str, digits: int = 3, now: datetime | None = None
) -> str:
    """``prefix_format`` applied to Shanghai local time, then the sequence (≥ ``digits`` digits)."""
    local = timezone.localtime(now or timezone.now(), ZoneInfo(NUMBER_TIMEZONE))
    return f"{local.strftime(prefix_format)}{sequence_next(key=key):0{digits}d}"
