"""Real files for upload tests: uploads are checked by content (``partners.uploads``),
and a PDF must parse and have a page (pypdf)."""

import io
from pathlib import Path

from pypdf import PdfWriter


def pdf_bytes(pages: int = 1) -> bytes:
    """A minimal valid PDF with ``pages`` blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def storage_in(tmp_path, monkeypatch, *fields) -> Path:
    """Point the storages of ``fields`` ((model, field name) pairs) to ``tmp_path/private``,
    so a test's stored files are its own (and "no file" can be checked). Returns the folder."""
    target = tmp_path / "private"
    target.mkdir()
    for model, field in fields:
        storage = model._meta.get_field(field).storage
        monkeypatch.setattr(storage, "base_location", str(target))
        monkeypatch.setattr(storage, "location", str(target))
    return target
