"""Small real and disguised upload files."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.files import pdf_bytes

PDF = pdf_bytes()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "GIF")
    return buffer.getvalue()


def pdf_upload(name: str = "凭证.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png_upload(name: str = "voucher.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def disguised_upload() -> SimpleUploadedFile:
    """An executable pretending to be a PDF."""
    return SimpleUploadedFile(
        "voucher.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, content_type="application/pdf"
    )


def gif_upload() -> SimpleUploadedFile:
    """A real image, but not a kind vouchers accept."""
    return SimpleUploadedFile("voucher.gif", gif_bytes(), content_type="image/gif")
