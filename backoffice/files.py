"""Serving private uploaded files: never by URL, only through permission-checked views."""

import mimetypes

from django.http import FileResponse, Http404


def private_file_response(
    field_file, *, filename: str, content_type: str = "", inline: bool = False
) -> FileResponse:
    """Stream a stored file with safe headers.

    Portal downloads are attachments; staff previews may be inline (images, PDF)
    but are sandboxed so a crafted file cannot run script in our origin.
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
