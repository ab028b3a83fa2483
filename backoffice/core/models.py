"""The kernel's records: the mail outbox and the counters behind document numbers."""

import secrets
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboundEmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


#: Rows the sweeper watches: their ``lease_until`` is a deadline.
OUTBOX_PENDING = (OutboundEmailStatus.QUEUED, OutboundEmailStatus.SENDING)


def new_message_token() -> str:
    return secrets.token_hex(8)


class OutboundEmail(models.Model):
    """One e-mail of the product. Written in the transaction of the change that causes it
    (so a rollback leaves no mail), sent by a task after commit, retried from the console.

    ``queued → sending → sent | failed`` (backoffice.core.mail). ``lease_until`` is a deadline:
    for a ``sending`` row the end of the worker's claim, for a ``queued`` row the time by
    which a task should have claimed it; past it the sweeper takes over. The Message-ID
    (``outbox-<pk>-<message_token>@domain``) is the same on every attempt, so a rare
    double delivery is recognisable.
    """

    to = models.EmailField(_("recipient"))
    template = models.CharField(_("template"), max_length=120)
    language = models.CharField(_("language"), max_length=10)
    context = models.JSONField(_("context"), default=dict)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OutboundEmailStatus.choices,
        default=OutboundEmailStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    message_token = models.CharField(
        _("message token"), max_length=32, default=new_message_token, editable=False
    )
    # Context keys holding one-time values (codes): masked once the mail left.
    sensitive_keys = models.JSONField(_("one-time values"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="backoffice_outbox_status_idx"),
            models.Index(fields=["to", "-created_at"], name="backoffice_outbox_to_idx"),
            # The sweeper, the batch claim and check_ledgers read only pending rows.
            models.Index(
                fields=["lease_until"],
                name="backoffice_outbox_lease_idx",
                condition=Q(status__in=OUTBOX_PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to}"

    @property
    def message_id(self) -> str:
        """The Message-ID header of every delivery attempt of this mail."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        return f"<outbox-{self.pk}-{self.message_token}@{domain}>"


class DocumentSequence(models.Model):
    """A gap-free counter per key, incremented under a row lock (``backoffice.core.numbering``)."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")
        ordering = ["key"]
        # Made by the contracts app; the table kept its name when the kernel took it.
        db_table = "contracts_documentsequence"

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"
