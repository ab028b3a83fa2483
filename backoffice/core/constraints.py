"""CHECK constraint builders the domains' models share.

Each builds one condition shape that several models repeat, with the same ``Q`` as the
hand-written constraint, so the migrations see no change."""

from django.db import models


def positive_amount(prefix: str) -> models.CheckConstraint:
    """The check ``<prefix>_amount_positive``: the row's ``amount`` is above zero."""
    return models.CheckConstraint(
        condition=models.Q(amount__gt=0), name=f"{prefix}_amount_positive"
    )


def not_negative(name: str, *fields: str) -> models.CheckConstraint:
    """The check ``name``: each of ``fields`` is zero or more."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": 0 for field in fields}), name=name
    )


def in_range(name: str, field: str, low, high, *, nullable: bool = False) -> models.CheckConstraint:
    """The check ``name``: ``low <= field <= high`` (or empty, when ``nullable``)."""
    condition = models.Q(**{f"{field}__gte": low, f"{field}__lte": high})
    if nullable:
        condition = models.Q(**{f"{field}__isnull": True}) | condition
    return models.CheckConstraint(condition=condition, name=name)


def filled_when(name: str, status: str, field: str) -> models.CheckConstraint:
    """The check ``name``: a row in ``status`` has a non-empty ``field`` (a rejection its
    reason, an issued invoice its number…)."""
    return models.CheckConstraint(
        condition=~models.Q(status=status) | ~models.Q(**{field: ""}), name=name
    )


def set_when(name: str, status: str, field: str) -> models.CheckConstraint:
    """The check ``name``: a row in ``status`` has ``field`` set (not null)."""
    return models.CheckConstraint(
        condition=~models.Q(status=status) | models.Q(**{f"{field}__isnull": False}), name=name
    )


def unique_where(
    name: str, fields: list[str], condition: models.Q | None = None, **lookups
) -> models.UniqueConstraint:
    """The partial unique index ``name``: at most one row per ``fields`` among the rows
    that match ``condition`` or ``lookups`` (one open request per order, one default
    tier…)."""
    if condition is None:
        condition = models.Q(**lookups)
    return models.UniqueConstraint(fields=fields, condition=condition, name=name)
