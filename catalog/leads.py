"""Leads: consultation tickets (在线创建工单, spec 4.8) and trial requests (申请试用, 4.9).

Portal visitors create them; staff work them in the console queues. Blue Cloud
promises to contact the requester within 1 working day, so a lead still ``new``
after one working day (Saturdays and Sundays do not count, Asia/Shanghai) is
overdue. Status moves follow ``TRANSITIONS``; every change is recorded by
simple-history with the acting staff user.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue, route_url
from partners.models import phone_validator
from partners.uploads import check_upload

from .models import ConsultationTicket, LeadStatus, Solution, TrialRequest

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DETAILS_MAX_LENGTH = 300
REMARKS_MAX_LENGTH = 300
REPLY_MAX_LENGTH = 1000
NOTES_MAX_LENGTH = 2000

TICKET_FIELDS = (
    "service_type",
    "support_category",
    "subject",
    "details",
    "name",
    "phone",
    "email",
    "company_name",
)
TRIAL_FIELDS = ("name", "email", "phone", "company_name", "remarks")

TRANSITIONS: dict[str, set[str]] = {
    LeadStatus.NEW: {LeadStatus.IN_PROGRESS, LeadStatus.CLOSED},
    LeadStatus.IN_PROGRESS: {LeadStatus.CLOSED},
    LeadStatus.CLOSED: {LeadStatus.IN_PROGRESS},  # reopen
}

Lead = ConsultationTicket | TrialRequest


def _clean_values(data: Mapping, fields: tuple[str, ...]) -> dict[str, str]:
    return {name: str(data.get(name) or "").strip() for name in fields}


def _prefill_from_user(values: dict[str, str], user) -> None:
    """Logged-in partners may leave name, e-mail and company empty: their account fills them."""
    if not getattr(user, "is_authenticated", False):
        return
    values["name"] = values["name"] or (user.get_full_name() or "")[:50]
    values["email"] = values["email"] or user.email
    company = getattr(user, "company", None)
    if company is not None:
        values["company_name"] = values["company_name"] or company.name[:100]


def lead_prefill(user) -> dict[str, str]:
    """Initial form values for a logged-in user (name, e-mail, company name)."""
    values = {"name": "", "email": "", "company_name": ""}
    _prefill_from_user(values, user)
    return values


def _validate(lead: Lead, values: dict[str, str], *, phone_required: bool) -> dict[str, list]:
    errors: dict[str, list] = {}
    try:
        lead.full_clean(exclude=["attachment"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if values.get("phone"):
        try:
            phone_validator(values["phone"])
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    elif phone_required:
        errors.setdefault("phone", []).append(_("Enter your phone number."))
    return errors


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def _save_and_confirm(lead: Lead, template: str, prefix: str, context: dict) -> None:
    """Save the new ``lead`` and queue the requester's confirmation (``template``, with the
    requester's name, ``context`` and the reference: ``prefix`` and the lead's number),
    in one transaction."""
    with transaction.atomic():
        lead.save()
        mail_enqueue(
            to=lead.email,
            template=template,
            context={"name": lead.name, **context, "reference": f"{prefix}{lead.pk:06d}"},
        )


def ticket_create(
    *, data: Mapping, attachment=None, user=None, solution: Solution | None = None
) -> ConsultationTicket:
    """Create a consultation ticket and e-mail the requester a confirmation.

    ``attachment`` (optional) must pass the upload content check (jpg/png/gif/bmp/pdf,
    ≤ 10 MB); it is stored under a random name in private storage.
    """
    values = _clean_values(data, TICKET_FIELDS)
    _prefill_from_user(values, user)
    if solution is not None and not solution.is_published:
        solution = None
    ticket = ConsultationTicket(**values, user=_user_or_none(user), solution=solution)
    errors = _validate(ticket, values, phone_required=False)
    if len(values["details"]) > DETAILS_MAX_LENGTH:
        errors.setdefault("details", []).append(
            _("Service details can be at most %(max)d characters.") % {"max": DETAILS_MAX_LENGTH}
        )
    checked = None
    if attachment:
        try:
            checked = check_upload(attachment)
        except ValidationError as exc:
            errors.setdefault("attachment", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    if checked is not None:
        ticket.attachment.save(
            f"{uuid.uuid4().hex}.{checked.extension}", checked.upload, save=False
        )
    context = {
        "subject": ticket.subject,
        "details": ticket.details,
        "solution_name": solution.name if solution else "",
    }
    _save_and_confirm(ticket, "catalog/mail/ticket_received", "T", context)
    return ticket


def trial_create(*, solution: Solution, data: Mapping, user=None) -> TrialRequest:
    """Record a trial request for a published, trial-enabled solution and confirm by e-mail."""
    if not (solution.is_published and solution.trial_enabled):
        raise ValidationError(_("This solution does not offer a trial."), code="no_trial")
    values = _clean_values(data, TRIAL_FIELDS)
    _prefill_from_user(values, user)
    trial = TrialRequest(**values, user=_user_or_none(user), solution=solution)
    errors = _validate(trial, values, phone_required=True)
    if len(values["remarks"]) > REMARKS_MAX_LENGTH:
        errors.setdefault("remarks", []).append(
            _("Remarks can be at most %(max)d characters.") % {"max": REMARKS_MAX_LENGTH}
        )
    if errors:
        raise ValidationError(errors)
    context = {
        "solution_name": solution.name,
        "solution_url": route_url("portal:solution_detail", solution.slug),
    }
    _save_and_confirm(trial, "catalog/mail/trial_received", "S", context)
    return trial


# --------------------------------------------------------------------------
# Staff work on the queues
# --------------------------------------------------------------------------


def _locked(lead: Lead) -> Lead:
    return type(lead).objects.select_for_update().get(pk=lead.pk)


def _stamp(actor) -> str:
    now = timezone.localtime(timezone.now(), LOCAL_TZ)
    who = (actor.get_full_name() or actor.email) if actor is not None else "—"
    return f"[{now:%Y-%m-%d %H:%M}] {who}"


def _append_note(notes: str, line: str) -> str:
    """Append a line; when the notes outgrow their limit the oldest lines go (history keeps them)."""
    text = f"{notes.rstrip()}\n{line}" if notes.strip() else line
    while len(text) > NOTES_MAX_LENGTH and "\n" in text:
        text = text.split("\n", 1)[1]
    return text[-NOTES_MAX_LENGTH:]


def _check_staff(user) -> None:
    if user is None or not (user.is_active and user.is_staff):
        raise ValidationError(
            {"assignee": _("Leads can only be assigned to active staff.")}, code="not_staff"
        )


def lead_assign(*, lead: Lead, assignee, actor=None) -> Lead:
    """Give the lead to a staff member (the queue's 处理人); ``actor`` defaults to them."""
    _check_staff(assignee)
    with transaction.atomic():
        locked = _locked(lead)
        locked.assignee = assignee
        locked._history_user = actor or assignee
        locked.save(update_fields=["assignee", "updated_at"])
    lead.assignee, lead.updated_at = locked.assignee, locked.updated_at
    return lead


def lead_update(*, lead: Lead, assignee, internal_notes: str, actor) -> Lead:
    """The console's edit form: assignee (staff only, may be cleared) and internal notes."""
    if assignee is not None:
        _check_staff(assignee)
    internal_notes = internal_notes or ""
    if len(internal_notes) > NOTES_MAX_LENGTH:
        raise ValidationError(
            {
                "internal_notes": _("Internal notes can be at most %(max)d characters.")
                % {"max": NOTES_MAX_LENGTH}
            }
        )
    with transaction.atomic():
        locked = _locked(lead)
        locked.assignee = assignee
        locked.internal_notes = internal_notes
        locked._history_user = actor
        locked.save(update_fields=["assignee", "internal_notes", "updated_at"])
    lead.assignee, lead.internal_notes = locked.assignee, locked.internal_notes
    lead.updated_at = locked.updated_at
    return lead


def lead_can_move(lead: Lead, status: str) -> bool:
    return status in TRANSITIONS.get(lead.status, set())


def lead_set_status(*, lead: Lead, status: str, actor) -> Lead:
    """Move the lead along ``TRANSITIONS`` (re-read under a row lock); refuse anything else."""
    if status not in LeadStatus.values:
        raise ValidationError(_("Unknown status."), code="bad_status")
    with transaction.atomic():
        locked = _locked(lead)
        if not lead_can_move(locked, status):
            raise ValidationError(
                _("A lead cannot move from “%(old)s” to “%(new)s”.")
                % {"old": locked.get_status_display(), "new": LeadStatus(status).label},
                code="bad_transition",
            )
        locked.status = status
        locked._history_user = actor
        locked.save(update_fields=["status", "updated_at"])
    lead.status, lead.updated_at = locked.status, locked.updated_at
    return lead


def lead_reply(*, lead: Lead, message: str, actor) -> Lead:
    """E-mail the requester, note it in the internal notes; a new lead becomes in progress."""
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("Write the reply first.")}, code="required")
    if len(message) > REPLY_MAX_LENGTH:
        raise ValidationError(
            {
                "message": _("A reply can be at most %(max)d characters.")
                % {"max": REPLY_MAX_LENGTH}
            },
            code="too_long",
        )
    with transaction.atomic():
        locked = _locked(lead)
        locked.internal_notes = _append_note(
            locked.internal_notes, f"{_stamp(actor)} {_('replied by e-mail')}: {message}"
        )
        fields = ["internal_notes", "updated_at"]
        if locked.status == LeadStatus.NEW:
            locked.status = LeadStatus.IN_PROGRESS
            fields.append("status")
        locked._history_user = actor
        locked.save(update_fields=fields)
        is_ticket = isinstance(locked, ConsultationTicket)
        mail_enqueue(
            to=locked.email,
            template="catalog/mail/lead_reply",
            context={
                "name": locked.name,
                "message": message,
                "topic": locked.subject
                if is_ticket
                else (locked.solution.name if locked.solution else ""),
                "is_ticket": is_ticket,
                "reference": f"{'T' if is_ticket else 'S'}{locked.pk:06d}",
            },
        )
    lead.status, lead.internal_notes = locked.status, locked.internal_notes
    lead.updated_at = locked.updated_at
    return lead


def lead_due_at(created_at: datetime) -> datetime:
    """When one working day (24 h of Monday–Friday time, Asia/Shanghai) has passed."""
    start = timezone.localtime(created_at, LOCAL_TZ)
    while start.weekday() >= 5:  # received on a weekend: the clock starts on Monday 00:00
        start = (start + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    due = start + timedelta(days=1)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def lead_is_overdue(lead: Lead, now: datetime | None = None) -> bool:
    """Still new more than one working day after it arrived."""
    if lead.status != LeadStatus.NEW:
        return False
    return (now or timezone.now()) > lead_due_at(lead.created_at)
