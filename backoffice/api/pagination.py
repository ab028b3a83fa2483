"""Cursor pagination for list endpoints: newest first on (``field``, pk), keyset queries
(no OFFSET), an opaque ``next_cursor`` to pass back as ``?cursor=``."""

import base64
import json
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .errors import Problem

MAX_LIMIT = 100


def _encode(value, pk: int) -> str:
    raw = json.dumps([value.isoformat() if value is not None else None, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return value, int(pk)
    except (ValueError, TypeError) as exc:
        raise Problem(400, "invalid_cursor", _("The cursor is not valid.")) from exc


def cursor_page(
    queryset: QuerySet, *, cursor: str | None, limit: int, field: str = "created_at"
) -> tuple[list, str | None]:
    """(items, next cursor or None), ordered by ``-field, -pk``."""
    limit = max(1, min(limit, MAX_LIMIT))
    queryset = queryset.order_by(f"-{field}", "-pk")
    if cursor:
        raw, pk = _decode(cursor)
        value = (parse_datetime(raw) or parse_date(raw)) if raw else None
        if raw and value is None:
            raise Problem(400, "invalid_cursor", _("The cursor is not valid."))
        queryset = queryset.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk}))
    items = list(queryset[: limit + 1])
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    last = items[-1]
    value = getattr(last, field)
    assert isinstance(value, date | datetime)
    return items, _encode(value, last.pk)


def page_of(queryset: QuerySet, *, cursor: str | None, limit: int, field: str = "created_at"):
    """A list endpoint's answer: ``{"items": [...], "next_cursor": ...}``."""
    items, next_cursor = cursor_page(queryset, cursor=cursor, limit=limit, field=field)
    return {"items": items, "next_cursor": next_cursor}
