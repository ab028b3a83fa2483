"""The kernel's records: the mail outbox, the portal's messages (消息中心), the counters
behind document numbers and the console's export jobs."""

import secrets
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constraints import unique_where
from .fields import NEWEST_FIRST, optional_time, status_field
from .links import acting_user
from .storage import dated_upload_name, private_file
from .tasks import percent_done


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
    status = status_field(OutboundEmailStatus.QUEUED, max_length=10)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = optional_time(_("lease until"))
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    message_token = models.CharField(
        _("message token"), max_length=32, default=new_message_token, editable=False
    )
    # Context keys holding one-time values (codes): masked once the mail left.
    sensitive_keys = models.JSONField(_("one-time values"), default=list, blank=True)
    # Sent as multipart/alternative: the text part and an HTML part (``render_mail``).
    html = models.BooleanField(_("HTML part"), default=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = optional_time(_("sent"))

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outbox")
        ordering = NEWEST_FIRST
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


class Notification(models.Model):
    """One message of a user's 消息中心, written with its mail by ``notifications.notify``.

    It stores the mail's template and context, not rendered text: the title and body are
    rendered when shown, in the language the reader uses then. ``key`` makes a notice
    idempotent per recipient (``bill-due:<id>``): the second insert is refused by the
    database, and no second mail goes out.
    """

    recipient = acting_user(_("recipient"), related_name="notifications", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=40)
    template = models.CharField(_("template"), max_length=120)
    context = models.JSONField(_("context"), default=dict)
    link = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(_("idempotency key"), max_length=120, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = optional_time(_("read"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = NEWEST_FIRST
        constraints = [
            unique_where("backoffice_notification_once", ["recipient", "key"], key__isnull=False),
        ]
        indexes = [
            # The header badge (unread of one user) and the list, newest first.
            models.Index(
                fields=["recipient", "read_at", "-created_at"],
                name="backoffice_notification_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


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


class ExportJobStatus(models.TextChoices):
    QUEUED = "pending", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def export_job_upload_to(instance: "ExportJob", filename: str) -> str:
    return dated_upload_name("exports", "xlsx")


class ExportJob(models.Model):
    """A large console export, built by a task into private storage (我的导出).

    The row records what the staff member asked for, not what they saw: the model, the
    list's filters (``query``, the changelist's GET parameters), the rows they ticked
    (``object_ids``, empty for "the filtered list") and the columns. The task applies the
    requester's role scope and these filters again, so the file never holds a row the
    requester cannot see. ``done_rows`` of ``total_rows`` is the progress.
    """

    requested_by = acting_user(_("requested by"), on_delete=models.CASCADE)
    model_label = models.CharField(_("model"), max_length=100)
    title = models.CharField(_("export"), max_length=100)
    filename = models.CharField(_("file name"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    query = models.JSONField(_("filters"), default=dict, blank=True)
    object_ids = models.JSONField(_("selected rows"), default=list, blank=True)
    resource_index = models.PositiveSmallIntegerField(_("resource"), default=0)
    fields = models.JSONField(_("columns"), default=list, blank=True)
    status = status_field(ExportJobStatus.QUEUED, max_length=10)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = private_file(_("file"), export_job_upload_to, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = optional_time(_("finished"))

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("my exports")
        ordering = NEWEST_FIRST
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="backoffice_export_user_idx"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        """The progress in percent (100 once the file is ready)."""
        return percent_done(
            self.done_rows, self.total_rows, finished=self.status == ExportJobStatus.DONE
        )


class CheckResult(models.Model):
    """The last outcome of a periodic consistency check (``check_ledgers``), one row per
    check: what ``/metrics`` reports between runs (``backoffice.core.checks``)."""

    name = models.CharField(_("check"), max_length=50, unique=True)
    problems = models.PositiveIntegerField(_("problems found"), default=0)
    ran_at = models.DateTimeField(_("last run"))

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.problems}"
