"""Ledgers: append-only entries, written with the balance row under a lock."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    """What every ledger row has: never edited, a correction is a new entry that
    ``reverses`` the old one; ``idempotency_key`` makes a replayed posting a no-op.
    The concrete ledgers add their balance link, number, type, amount and checks."""

    order_number = models.CharField(_("order no."), max_length=30, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        "partners.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"
