"""File responses: private uploads (never by URL, only through permission-checked views)
and generated workbooks."""

import mimetypes
import tempfile
from collections.abc import Callable
from typing import IO

from django.http import FileResponse, Http404


def private_file_response(
    field_file, *, filename: str, content_type: str = "", inline: bool = False
) -> FileResponse:
    """Stream a stored file with safe headers.

    Portal downloads are attachments; staff previews may be inline (images, PDF)
    but are sandboxed so a crafted file cannot run script in our origin. An empty file
    field (nothing uploaded yet) or a file missing from storage is a 404.
    """
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; object-src 'self'; sandbox"
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_response(write: Callable[[IO[bytes]], object], *, filename: str) -> FileResponse:
    """An attachment response streaming the workbook that ``write(handle)`` writes, from a
    temporary file on disk (a large export never sits in memory whole)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write(handle)
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
