"""Real files for upload tests: uploads are checked by content (``partners.uploads``),
and a PDF must parse and have a page (pypdf)."""

import io

from pypdf import PdfWriter


def pdf_bytes(pages: int = 1) -> bytes:
    """A minimal valid PDF with ``pages`` blank A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
