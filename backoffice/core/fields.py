"""Column builders the domains' models share.

Each builds one column shape that several models repeat, with the same arguments as the
hand-written field, so the migrations see no change. The links (foreign keys) are built
in ``backoffice.core.links``, the CHECKs in ``backoffice.core.constraints``, the money and
currency columns in ``backoffice.core.money`` and private files in
``backoffice.core.storage``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


def optional_time(verbose_name, **kwargs) -> models.DateTimeField:
    """When something happened (paid, settled, processed…): empty until it did."""
    return models.DateTimeField(verbose_name, null=True, blank=True, **kwargs)


def status_field(initial: models.TextChoices, *, max_length: int) -> models.CharField:
    """A ``status`` column over the choices ``initial`` belongs to, starting at ``initial``."""
    return models.CharField(
        _("status"), max_length=max_length, choices=type(initial).choices, default=initial
    )


#: ``Meta.ordering`` of the records listed newest first (entries, requests, events…); the
#: consoles' lists add a matching ``(-created_at, -id)`` index where they are long.
NEWEST_FIRST = ["-created_at", "-pk"]
