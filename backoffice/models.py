"""Cross-domain records of the back office itself: the notifications outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """One e-mail of the product. Written in the transaction of the change that causes it
    (so a rollback leaves no mail), sent by a task after commit, retried from the console."""

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
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to}"
