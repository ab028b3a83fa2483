"""Ledgers: append-only entries, written with the balance row under a lock."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.core.fields import NEWEST_FIRST
from backoffice.core.links import optional_link, optional_user


class LedgerEntry(models.Model):
    """What every ledger row has: never edited, a correction is a new entry that
    ``reverses`` the old one; ``idempotency_key`` makes a replayed posting a no-op.
    The concrete ledgers add their balance link, number, type, amount and checks."""

    order_number = models.CharField(_("order no."), max_length=30, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = optional_user(_("by"))
    reverses = optional_link("self", _("reverses"), related_name="reversed_by", one_to_one=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = NEWEST_FIRST

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"


def ledger_checks(
    prefix: str, *, at_least_zero: dict[str, str], positive: list[str], negative: list[str]
) -> list[models.CheckConstraint]:
    """The checks of a ledger ``billing_<prefix>_entry_*``: never a zero amount, each
    balance column of ``at_least_zero`` (name → column) never negative, and the sign of
    the amount given by the type (``positive`` types add, ``negative`` ones take)."""
    return [
        models.CheckConstraint(
            condition=~models.Q(amount=0), name=f"billing_{prefix}_entry_not_zero"
        ),
        *(
            models.CheckConstraint(
                condition=models.Q(**{f"{column}__gte": 0}), name=f"billing_{prefix}_entry_{name}"
            )
            for name, column in at_least_zero.items()
        ),
        models.CheckConstraint(
            condition=models.Q(entry_type__in=positive, amount__gt=0)
            | models.Q(entry_type__in=negative, amount__lt=0),
            name=f"billing_{prefix}_entry_sign_matches_type",
        ),
    ]


def ledger_indexes(prefix: str, link: str, *, type_created: str) -> list[models.Index]:
    """The indexes of a ledger ``billing_<prefix>_*``: its balance row's entries (``link``)
    newest first, by type (``type_created``: "created_at" or "-created_at"), the order
    number and the console list's ordering."""
    return [
        models.Index(fields=[link, "-created_at"], name=f"billing_{prefix}_{link}_idx"),
        models.Index(fields=[link, "entry_type", type_created], name=f"billing_{prefix}_type_idx"),
        # Pattern ops: serves the console's prefix search (LIKE 'x%') in any collation.
        models.Index(
            fields=["order_number"],
            name=f"billing_{prefix}_order_idx",
            opclasses=["varchar_pattern_ops"],
        ),
        # The console list's ordering, so a page is read off the index.
        models.Index(fields=["-created_at", "-id"], name=f"billing_{prefix}_created_idx"),
    ]
