"""Storage backends named in settings.STORAGES."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.functional import cached_property

PRIVATE_FOLDER = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """Private uploads on disk: MEDIA_ROOT/private, read when first needed.

    Follows MEDIA_ROOT (also when a test overrides it: FileSystemStorage drops the
    cached location on the setting_changed signal). Files here have no public URL;
    they are served only by permission-checked views (backoffice.core.files).
    """

    @cached_property
    def base_location(self):
        if self._location is not None:
            return self._location
        return Path(settings.MEDIA_ROOT) / PRIVATE_FOLDER


def private_storage():
    """Uploaded files of partners and staff: STORAGES["private"] (MEDIA_ROOT/private, or
    "private/" in the S3 bucket), never served by URL. Settings without a "private"
    storage fall back to MEDIA_ROOT/private on disk."""
    from django.core.files.storage import FileSystemStorage, storages

    if "private" in settings.STORAGES:
        return storages["private"]
    return FileSystemStorage(location=settings.MEDIA_ROOT / "private", base_url=None)


def dated_upload_name(folder: str, ext: str) -> str:
    """The stored name of an upload: random, under ``<folder>/<year>/<month>/``; the
    original file name is never used on disk."""
    import uuid

    from django.utils import timezone

    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


def file_extension(name: str, default: str, *, max_length: int | None = None) -> str:
    """The lower-cased extension of ``name`` (at most ``max_length`` characters), or
    ``default`` when it has none."""
    if "." not in name:
        return default
    return name.rsplit(".", 1)[-1].lower()[:max_length]


def private_file(verbose_name, upload_to, **kwargs) -> models.FileField:
    """An uploaded or generated file in private storage (no URL: served by views that
    check permissions), its stored name at most 200 characters."""
    return models.FileField(
        verbose_name, upload_to=upload_to, storage=private_storage, max_length=200, **kwargs
    )
