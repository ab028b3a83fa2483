"""Uploads: checked by content (magic bytes and structure), size, count and name.

The one upload check of the project: qualification files at registration, consultation
attachments, order attachments, invoice PDFs and statement payout vouchers all go
through ``check_upload``.

Spec decision 5: jpg/jpeg/png/gif/bmp/pdf, each ≤ 10 MB, at most 5 files.
Nothing is trusted from the client: not the name's extension, not the declared
content type. A file passes only if its bytes are a real image or PDF of an
allowed kind and its extension agrees with what the bytes are. An image must decode
(Pillow); a PDF must parse (pypdf) with at least one page, without a password, and
without JavaScript, launch actions or XFA forms (``pdf_problem``).
"""

import hashlib
import io
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

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

    def record_fields(self) -> dict[str, str | int]:
        """What a stored upload's row keeps about its file: the cleaned original name, the
        content type found from the bytes, the size and the SHA-256."""
        return {
            "original_name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }

    def store(self, field_file: FieldFile, name: str | None = None) -> None:
        """Write the checked bytes into ``field_file`` (under ``name``, by default the
        cleaned original name) without saving its row: the check read the upload, so it
        is rewound first."""
        self.upload.seek(0)
        field_file.save(name or self.name, self.upload, save=False)


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


# A parsed PDF's objects are walked at most this far (a 10 MB file has far fewer).
PDF_MAX_OBJECTS = 200_000
# An action of these types, or one of these keys anywhere, is active content.
_PDF_ACTIONS = frozenset({"/JavaScript", "/Launch"})
_PDF_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})


class _PdfTooComplex(Exception):
    pass


def _pdf_has_active_content(reader: PdfReader) -> bool:
    """Walk every object reachable from the trailer (once each): an action dictionary of
    type JavaScript or Launch, a /JS or /JavaScript entry (document scripts, script
    actions) or an XFA form is active content. Streams are not decoded."""
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            if len(seen) > PDF_MAX_OBJECTS:
                raise _PdfTooComplex
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams included
            kind = obj.get("/S")
            if isinstance(kind, IndirectObject):
                kind = kind.get_object()
            if kind in _PDF_ACTIONS or _PDF_ACTIVE_KEYS.intersection(obj.keys()):
                return True
            stack.extend(dict.values(obj))  # raw values: references stay unresolved
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return False


def pdf_problem(data: bytes) -> str | None:
    """Why these bytes are no acceptable PDF ("unreadable", "encrypted", "active"), or None.

    Parsed with pypdf, which bounds what it inflates (75 MB per stream). Anything the
    parser or the walk raises means unreadable: the bytes are untrusted.
    """
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return "encrypted"
        if len(reader.pages) < 1:
            return "unreadable"
        for page in reader.pages:
            page.mediabox  # noqa: B018  every page object must be a usable page
        return "active" if _pdf_has_active_content(reader) else None
    except Exception:  # untrusted bytes: any failure of the parser is a refusal
        return "unreadable"


def pdf_refusal(problem: str, name: str) -> ValidationError:
    messages = {
        "unreadable": _("“%(name)s” is not a readable PDF file."),
        "encrypted": _("“%(name)s” is password-protected. Upload it without a password."),
        "active": _(
            "“%(name)s” contains scripts or actions. Upload a plain PDF, for example by "
            "printing it to a new PDF file."
        ),
    }
    return ValidationError(messages[problem] % {"name": name}, code=f"pdf_{problem}")


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
    if kind == "PDF":
        problem = pdf_problem(data)
        if problem is not None:
            raise pdf_refusal(problem, name)
    return CheckedFile(
        upload=upload,
        name=name,
        extension=extension,
        content_type=KINDS[kind][1],
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_form_upload(
    upload: UploadedFile,
    *,
    field: str,
    error: type[ValidationError],
    content_types: Collection[str],
    wrong_type: str,
) -> CheckedFile:
    """``upload`` checked by content for a form's ``field`` that takes only
    ``content_types``: a refusal raises ``error`` on the field (code ``bad_file``), a file
    of another type raises it with ``wrong_type`` (code ``bad_type``)."""
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        raise error({field: exc.messages}, code="bad_file") from exc
    if checked.content_type not in content_types:
        raise error({field: [wrong_type]}, code="bad_type")
    return checked


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
