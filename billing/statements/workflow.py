"""Revenue-share statements: the status workflow (decision 7).

Status moves go through ``statement_set_status`` and the ``TRANSITIONS`` table, under
a row lock, and each writes a ``StatementEvent``: the partner's 确认 or dispute, staff's
resolution of a dispute (back to draft, regenerated, or confirmed), adjustments of a
draft, the payment voucher and completion. Generation and exports:
``billing.statements.services``.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing.models import Statement, StatementAdjustment
from billing.notices import statement_dispute_answered_notify
from partners.models import Company, CompanyRole
from partners.uploads import check_form_upload

from .constants import VOUCHER_CONTENT_TYPES
from .rollup import rollup_move, rollup_values
from .services import (
    REASON_MAX_LENGTH,
    S,
    StatementError,
    _event,
    _is_staff,
    _lock,
    _rebuild,
    _require_staff,
    _tz,
)

# The one transition table. Who may trigger a move is checked by the service that makes it.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.CONFIRMED, S.DISPUTED},
    S.DISPUTED: {S.DRAFT, S.CONFIRMED},
    S.CONFIRMED: {S.PAID},
    S.PAID: {S.COMPLETED},
    S.COMPLETED: set(),
}

ADJUSTMENT_REASON_MAX_LENGTH = 200
REFERENCE_MAX_LENGTH = 60


class IllegalStatementTransition(StatementError):
    pass


def _require_partner_of(statement: Statement, actor) -> None:
    """The statement's own company: its 管理员 or 协同管理员 (decision 6); not a parent."""
    if not (
        actor
        and actor.is_authenticated
        and actor.is_active
        and not actor.is_staff
        and actor.company_id == statement.company_id
        and actor.company_role in (CompanyRole.ADMIN, CompanyRole.CO_ADMIN)
    ):
        raise StatementError(
            _("Only the company's own users can confirm or dispute its statement."),
            code="forbidden",
        )


def statement_set_status(
    *, statement: Statement, to_status: str, actor=None, note: str = "", changes=None
) -> Statement:
    """The one way to move a statement. The caller holds its row lock (``_lock``)."""
    if to_status not in TRANSITIONS[statement.status]:
        raise IllegalStatementTransition(
            _("A statement that is “%(from)s” cannot become “%(to)s”.")
            % {"from": statement.get_status_display(), "to": S(to_status).label},
            code="illegal_transition",
        )
    previous = statement.status
    before = rollup_values(statement)
    fields = ["status"]
    for field, value in (changes or {}).items():
        setattr(statement, field, value)
        fields.append(field)
    statement.status = to_status
    statement.save(update_fields=fields)
    rollup_move(statement, before)
    _event(statement, from_status=previous, to_status=to_status, actor=actor, note=note)
    return statement


def statement_confirm(*, statement_id: int, actor) -> Statement:
    """已确认: the partner confirms a 待确认 statement, or staff confirm on its behalf
    (also a 有争议 one, which resolves the dispute)."""
    with transaction.atomic():
        statement = _lock(statement_id)
        if _is_staff(actor):
            note = _("Confirmed by Blue Cloud on behalf of the partner")
        else:
            _require_partner_of(statement, actor)
            if statement.status != S.DRAFT:
                raise IllegalStatementTransition(
                    _("Only a statement that is to be confirmed can be confirmed."),
                    code="not_draft",
                )
            note = _("Confirmed by the partner")
        return statement_set_status(
            statement=statement,
            to_status=S.CONFIRMED,
            actor=actor,
            note=note,
            changes={"confirmed_by": actor, "confirmed_at": timezone.now()},
        )


def _clean_reason(reason: str, *, field: str, max_length: int, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise StatementError({field: [message]}, code="reason_required")
    if len(reason) > max_length:
        raise StatementError(
            {field: [_("At most %(max)d characters.") % {"max": max_length}]},
            code="reason_too_long",
        )
    return reason


def statement_dispute(*, statement_id: int, actor, reason: str) -> Statement:
    """有争议: the partner disputes a 待确认 statement; it lands in the staff queue."""
    reason = _clean_reason(
        reason,
        field="reason",
        max_length=REASON_MAX_LENGTH,
        message=_("Enter the reason for the dispute."),
    )
    with transaction.atomic():
        statement = _lock(statement_id)
        _require_partner_of(statement, actor)
        if statement.status != S.DRAFT:
            raise IllegalStatementTransition(
                _("Only a statement that is to be confirmed can be disputed."), code="not_draft"
            )
        return statement_set_status(
            statement=statement,
            to_status=S.DISPUTED,
            actor=actor,
            note=reason,
            changes={
                "dispute_reason": reason,
                "disputed_by": actor,
                "disputed_at": timezone.now(),
            },
        )


class Resolution:
    REGENERATE = "regenerate"
    CONFIRM = "confirm"


def statement_resolve(*, statement_id: int, actor, resolution: str, note: str = "") -> Statement:
    """Staff resolve a dispute: regenerate (back to 待确认) or confirm on the partner's behalf."""
    _require_staff(actor)
    note = (note or "").strip()[:REASON_MAX_LENGTH]
    with transaction.atomic():
        statement = _lock(statement_id)
        if statement.status != S.DISPUTED:
            raise IllegalStatementTransition(
                _("Only a disputed statement can be resolved."), code="not_disputed"
            )
        if resolution == Resolution.REGENERATE:
            company = Company.objects.select_related("tier", "business_owner").get(
                pk=statement.company_id
            )
            _rebuild(statement, company=company, now=timezone.now())
            statement_set_status(
                statement=statement,
                to_status=S.DRAFT,
                actor=actor,
                note=note or _("Regenerated after the dispute"),
            )
        elif resolution == Resolution.CONFIRM:
            statement_set_status(
                statement=statement,
                to_status=S.CONFIRMED,
                actor=actor,
                note=note or _("Confirmed by Blue Cloud on behalf of the partner"),
                changes={"confirmed_by": actor, "confirmed_at": timezone.now()},
            )
        else:
            raise StatementError(_("Choose how to resolve the dispute."), code="bad_resolution")
        statement_dispute_answered_notify(
            statement, regenerated=resolution == Resolution.REGENERATE, note=note
        )
        return statement


def statement_adjust(*, statement_id: int, actor, amount, reason: str) -> StatementAdjustment:
    """调整: a signed staff correction with a reason, only while the statement is 待确认."""
    _require_staff(actor)
    try:
        amount = to_money(amount)
    except (TypeError, ValueError) as exc:
        raise StatementError({"amount": [_("Enter an amount.")]}, code="bad_amount") from exc
    if amount == 0:
        raise StatementError(
            {"amount": [_("An adjustment cannot be zero.")]}, code="zero_adjustment"
        )
    reason = _clean_reason(
        reason,
        field="reason",
        max_length=ADJUSTMENT_REASON_MAX_LENGTH,
        message=_("Enter the reason for the adjustment."),
    )
    with transaction.atomic():
        statement = _lock(statement_id)
        if statement.status != S.DRAFT:
            raise StatementError(
                _("Adjustments can only be added while the statement is to be confirmed."),
                code="locked",
            )
        total = statement.share_amount + statement.adjustment_total + amount
        if total < 0:
            raise StatementError(
                {
                    "amount": [
                        _("The statement amount cannot fall below zero (it would be %(total)s).")
                        % {"total": format_money(total, statement.currency)}
                    ]
                },
                code="negative_total",
            )
        adjustment = StatementAdjustment.objects.create(
            statement=statement, amount=amount, reason=reason, created_by=actor
        )
        statement.adjustment_total += amount
        statement.total_payable = total
        statement.save(update_fields=["adjustment_total", "total_payable"])
        _event(
            statement,
            from_status=S.DRAFT,
            to_status=S.DRAFT,
            actor=actor,
            note=f"{_('Adjustment')} {format_money(amount, statement.currency, signed=True)}: "
            f"{reason}",
        )
    return adjustment


def statement_upload_voucher(
    *, statement_id: int, actor, upload, paid_on: date, reference: str
) -> Statement:
    """已付款: finance records the payment voucher (凭证: pdf/jpg/png ≤ 10 MB, checked by
    content), the payment date and a reference. Nothing is stored unless all is valid."""
    _require_staff(actor)
    reference = _clean_reason(
        reference,
        field="reference",
        max_length=REFERENCE_MAX_LENGTH,
        message=_("Enter the payment reference."),
    )
    if not isinstance(paid_on, date):
        raise StatementError({"paid_on": [_("Enter the payment date.")]}, code="paid_on")
    if paid_on > timezone.localdate(timezone=_tz()):
        raise StatementError(
            {"paid_on": [_("The payment date cannot be in the future.")]}, code="paid_on"
        )
    if upload is None:
        raise StatementError({"voucher": [_("Upload the payment voucher.")]}, code="no_file")
    checked = check_form_upload(
        upload,
        field="voucher",
        error=StatementError,
        content_types=VOUCHER_CONTENT_TYPES,
        wrong_type=_("The voucher must be a PDF, JPG or PNG file."),
    )
    with transaction.atomic():
        statement = _lock(statement_id)
        if statement.status != S.CONFIRMED:
            raise IllegalStatementTransition(
                _("A voucher can only be recorded for a confirmed statement."),
                code="not_confirmed",
            )
        statement.voucher_name = checked.name
        checked.upload.seek(0)
        statement.voucher.save(checked.name, checked.upload, save=False)
        try:
            return statement_set_status(
                statement=statement,
                to_status=S.PAID,
                actor=actor,
                note=reference,
                changes={
                    "voucher": statement.voucher,
                    "voucher_name": checked.name,
                    "voucher_content_type": checked.content_type,
                    "voucher_sha256": checked.sha256,
                    "voucher_reference": reference,
                    "paid_on": paid_on,
                    "paid_recorded_by": actor,
                },
            )
        except Exception:
            statement.voucher.delete(save=False)
            raise


def statement_complete(*, statement_id: int, actor) -> Statement:
    """已完成: finance closes a paid statement."""
    _require_staff(actor)
    with transaction.atomic():
        statement = _lock(statement_id)
        return statement_set_status(
            statement=statement,
            to_status=S.COMPLETED,
            actor=actor,
            note=_("Completed"),
            changes={"completed_at": timezone.now()},
        )
