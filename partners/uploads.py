"""Qualification uploads: checked by content (magic bytes), size, count and name.

Spec decision 5: jpg/jpeg/png/gif/bmp/pdf, each ≤ 10 MB, at most 5 files.
Nothing is trusted from the client: not the name's extension, not the declared
content type. A file passes only if its bytes are a real image or PDF of an
allowed kind and its extension agrees with what the bytes are.
"""

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_FILES = 5
MAX_NAME_LENGTH = 100

# detected kind -> (allowed extensions, content type)
KINDS: dict[str, tuple[set[str], str]] = {
    "JPEG": ({"jpg", "jpeg"}, "image/jpeg"),
    "PNG": ({"png"}, "image/png"),
    "GIF": ({"gif"}, "image/gif"),
    "BMP": ({"bmp"}, "image/bmp"),
    "PDF": ({"pdf"}, "application/pdf"),
}
ALLOWED_EXTENSIONS = sorted({ext for exts, _ in KINDS.values() for ext in exts})
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]|\.\.")


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def _detect(head: bytes, data_reader) -> str | None:
    if head.startswith(b"%PDF-"):
        return "PDF"
    try:
        with Image.open(data_reader) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return kind if kind in KINDS else None


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Validate one upload; raise ValidationError with a translated message."""
    raw_name = upload.name or ""
    name = unicodedata.normalize("NFC", raw_name).strip()
    if not name or _UNSAFE_NAME.search(name):
        raise ValidationError(
            _("The file name “%(name)s” is not allowed.") % {"name": raw_name[:60]}, code="bad_name"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("The file name is too long (at most %(max)d characters).") % {"max": MAX_NAME_LENGTH},
            code="long_name",
        )
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name}, code="empty")
    if size > MAX_FILE_SIZE:
        raise ValidationError(
            _("The file “%(name)s” is larger than 10 MB.") % {"name": name}, code="too_large"
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("“%(name)s” is not an allowed type. Allowed: %(types)s.")
            % {"name": name, "types": ", ".join(ALLOWED_EXTENSIONS)},
            code="bad_type",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if len(data) != size or len(data) > MAX_FILE_SIZE:
        raise ValidationError(
            _("The file “%(name)s” is larger than 10 MB.") % {"name": name}, code="too_large"
        )
    kind = _detect(data[:8], io.BytesIO(data))
    if kind is None or extension not in KINDS[kind][0]:
        raise ValidationError(
            _("The content of “%(name)s” is not a real %(ext)s file.")
            % {"name": name, "ext": extension.upper()},
            code="content_mismatch",
        )
    return CheckedFile(
        upload=upload,
        name=name,
        extension=extension,
        content_type=KINDS[kind][1],
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_uploads(uploads: list[UploadedFile], *, required: bool = True) -> list[CheckedFile]:
    if required and not uploads:
        raise ValidationError(_("Upload at least one qualification document."), code="required")
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            _("Upload at most %(max)d files.") % {"max": MAX_FILES}, code="too_many"
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked
