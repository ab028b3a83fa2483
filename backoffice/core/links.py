"""Link (foreign key) builders the domains' models share.

Each builds one relation shape that several models repeat, with the same arguments as the
hand-written field, so the migrations see no change. Users are named through
``settings.AUTH_USER_MODEL``: the kernel knows no domain's models.
"""

from django.conf import settings
from django.db import models


def required_link(
    to, verbose_name, *, related_name="+", on_delete=models.PROTECT, one_to_one=False, **kwargs
) -> models.ForeignKey:
    """A link every row has (its order, its statement, its solution…); the target stays
    while rows name it unless ``on_delete`` says otherwise."""
    field = models.OneToOneField if one_to_one else models.ForeignKey
    return field(
        to, on_delete=on_delete, related_name=related_name, verbose_name=verbose_name, **kwargs
    )


def optional_link(
    to, verbose_name, *, related_name="+", on_delete=models.PROTECT, one_to_one=False, **kwargs
) -> models.ForeignKey:
    """A link that stays empty until there is something to link (a coupon used, the
    receipt that settled a line…); the target stays while rows name it (PROTECT) unless
    ``on_delete`` says otherwise."""
    return required_link(
        to,
        verbose_name,
        related_name=related_name,
        on_delete=on_delete,
        one_to_one=one_to_one,
        null=True,
        blank=True,
        **kwargs,
    )


def optional_user(verbose_name, **kwargs) -> models.ForeignKey:
    """Who did something (approved, delivered, created…): empty until someone did, or
    when the user is gone (``on_delete=SET_NULL``); no reverse accessor unless named."""
    return optional_link(settings.AUTH_USER_MODEL, verbose_name, **kwargs)


def acting_user(verbose_name, **kwargs) -> models.ForeignKey:
    """Who did something, known when the row is written (entered, issued, uploaded…);
    PROTECT and no reverse accessor unless named, as ``optional_user``."""
    return required_link(settings.AUTH_USER_MODEL, verbose_name, **kwargs)
