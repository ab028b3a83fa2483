"""Field builders the billing models share."""

from django.db import models


def optional_user(verbose_name) -> models.ForeignKey:
    """Who did something (approved, delivered, processed…): empty until someone did;
    a user stays while rows name them (PROTECT) and gets no reverse accessor."""
    return models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )
