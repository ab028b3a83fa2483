"""Structured logging: one JSON object per line, with the request id when there is one.

Imports nothing from Django, so gunicorn's config (deploy/gunicorn.conf.py) can use the
same formatter for its own error and access logs before Django is set up.

- ``request_id_var`` holds the id of the request being handled (set by
  ``backoffice.middleware.RequestIdMiddleware``; a ContextVar, so each thread or task
  sees its own).
- ``RequestIdFilter`` copies it onto every record as ``record.request_id``.
- ``JsonFormatter`` writes ``time``, ``level``, ``logger``, ``message``, ``request_id``
  (when known) and ``exception`` (the formatted traceback, when there is one). Records
  of gunicorn's access log also get the request's fields (method, path, status, ...).
"""

import json
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
NO_REQUEST_ID = "-"

# gunicorn access-log atoms -> JSON keys (see gunicorn.glogging.Logger.atoms).
ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "f": "referer",
    "a": "user_agent",
}


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record as ``request_id`` ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) in (None, ""):
            record.request_id = request_id_var.get() or NO_REQUEST_ID
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; never raises on odd values (they become strings)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id in (None, "", NO_REQUEST_ID):
            request_id = request_id_var.get()
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            atoms = record.args
            for atom, key in ACCESS_FIELDS.items():
                value = atoms.get(atom)
                if value not in (None, "", "-"):
                    # gunicorn escapes quotes for its text format; JSON does its own.
                    if isinstance(value, str):
                        value = value.replace('\\"', '"')
                    entry[key] = int(value) if atom == "s" and str(value).isdigit() else value
            # The id the app put on the response (or the proxy's, on the request).
            request_id = _atom(atoms, "{x-request-id}o", "{x-request-id}i") or request_id
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _atom(atoms: Mapping, *names: str) -> str | None:
    for name in names:
        value = atoms.get(name)
        if value not in (None, "", "-"):
            return str(value)
    return None
