"""Storage backends named in settings.STORAGES."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
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
