"""The link to a partner company, as every domain's models write it.

A leaf module (it imports only the kernel and Django), so ``partners.models``, its
sibling model modules and the other domains can all use it without an import cycle."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.core.links import required_link


def company_fk(
    related_name: str, verbose_name=None, *, on_delete=models.PROTECT, **kwargs
) -> models.ForeignKey:
    """The partner company a row belongs to (``verbose_name`` "company" unless named);
    a company stays while rows name it unless ``on_delete`` says otherwise."""
    return required_link(
        "partners.Company",
        verbose_name or _("company"),
        related_name=related_name,
        on_delete=on_delete,
        **kwargs,
    )
