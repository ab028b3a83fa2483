"""Fulfilment of an order after checkout (spec 6.4.2, 6.4.3, 13 and decision 10).

- delivery milestones (交付里程碑): staff define and deliver them, the buyer's 确认
  completes each one ("service delivery is complete when Party A clicks confirm");
- payment milestones (付款里程碑): instalments staff mark as paid;
- attachments (附件): content-checked files staff share with the buyer;
- invoice requests (申请开票): in ``billing.services.invoices``, which shares the plumbing;
- delivery and completion of the order itself, through ``order_set_status``.

Every state change runs in one transaction with the changed row locked. A refusal is a
``FulfilmentError`` (a ``BillingError``) with a user-facing message; nothing is written.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money, to_money
from billing import locks
from billing.models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    Order,
    OrderAttachment,
    OrderStatus,
    PaymentMilestone,
    PaymentMilestoneStatus,
)
from billing.notices import order_notify

from .errors import BillingError
from .orders import order_set_status

DELIVERY_CONTENT_MAX_LENGTH = 5000
# Statuses in which staff may still shape the delivery plan.
PLANNABLE = (OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING, OrderStatus.DELIVERED)
DELIVERABLE = (OrderStatus.PROCESSING, OrderStatus.DELIVERED)


class FulfilmentError(BillingError):
    """A fulfilment rule refused the change; nothing was written. The message is user-facing."""


# --------------------------------------------------------------------------
# Plumbing
# --------------------------------------------------------------------------


def _require_staff(actor) -> None:
    if actor is None or not (actor.is_active and actor.is_staff):
        raise FulfilmentError(_("Only Blue Cloud staff can do this."), code="staff_only")


def _require_company_user(user, order: Order) -> None:
    """A partner user of the ordering company: the only one who may act for the buyer."""
    if (
        user is None
        or not user.is_active
        or getattr(user, "deleted_at", None) is not None
        or not user.company_id
        or user.company_id != order.company_id
    ):
        raise FulfilmentError(
            _("Only a user of the ordering company can do this."), code="not_company"
        )


def _lock_order(order_id: int) -> Order:
    return locks.lock_order(order_id)


def _text(value, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise FulfilmentError({field: [_("%(label)s is required.") % {"label": label}]})
    if len(text) > max_length:
        raise FulfilmentError(
            {
                field: [
                    _("%(label)s: at most %(max)d characters.")
                    % {"label": label, "max": max_length}
                ]
            }
        )
    return text


def _checked_upload(upload, *, field: str, missing: str):
    """``upload`` checked by content (``partners.uploads.check_upload``); a refusal is an
    error on the form's ``field`` (``missing`` when no file was chosen)."""
    from partners.uploads import check_upload

    if upload is None:
        raise FulfilmentError({field: [missing]}, code=f"{field}_required")
    try:
        return check_upload(upload)
    except ValidationError as exc:
        raise FulfilmentError({field: exc.messages}, code=field) from exc


def _full_clean(instance, *, exclude: tuple[str, ...] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise FulfilmentError(exc.message_dict, code="invalid") from exc


def _history_user(instance, actor) -> None:
    if actor is not None:
        instance._history_user = actor


def _record_step(instance, actor, *, who: str, when: str, **changes) -> None:
    """Save ``changes`` (a new status and what comes with it) with who made them (the
    field ``who``) and when (``when``: now), in the history as ``actor``'s."""
    for name, value in changes.items():
        setattr(instance, name, value)
    setattr(instance, who, actor)
    setattr(instance, when, timezone.now())
    _history_user(instance, actor)
    instance.save(update_fields=[*changes, who, when])


def _mail_company(order: Order, *, template: str, context: dict, submitter=None) -> None:
    """Mail and 消息中心 notice of an order decision (``billing.notices``): the 管理员, the
    co-admins (they all see the order in 客户订单) and ``submitter`` (default: the user
    who placed the order)."""
    order_notify(order, kind=template.rpartition("/")[2], context=context, submitter=submitter)


def _next_position(model, order_id: int) -> int:
    top = model.objects.filter(order_id=order_id).aggregate(top=Max("position"))["top"]
    return 1 if top is None else top + 1


def _plan_text(value) -> str:
    return str(value or "").strip()


def _delivery_plan(stage, planned_date, acceptance_criteria, remarks) -> dict:
    """A delivery milestone's plan fields, the texts trimmed."""
    return {
        "stage": _plan_text(stage),
        "planned_date": planned_date,
        "acceptance_criteria": _plan_text(acceptance_criteria),
        "remarks": _plan_text(remarks),
    }


def _milestone_create(model, *, order: Order, actor, position: int | None, **plan):
    """A new delivery or payment milestone of ``order`` with its ``plan`` fields, last
    unless ``position`` is given; validated and saved in the history as ``actor``'s."""
    milestone = model(
        order=order,
        **plan,
        position=position if position is not None else _next_position(model, order.pk),
    )
    _full_clean(milestone)
    _history_user(milestone, actor)
    milestone.save()
    return milestone


def _milestone_change(milestone, *, actor, position: int | None, **plan):
    """Set a milestone's ``plan`` fields (and ``position`` when given), validated and
    saved in the history as ``actor``'s."""
    for name, value in plan.items():
        setattr(milestone, name, value)
    if position is not None:
        milestone.position = position
    _full_clean(milestone)
    _history_user(milestone, actor)
    milestone.save(update_fields=[*plan, "position"])
    return milestone


def _check_plannable(order: Order) -> None:
    if order.status not in PLANNABLE:
        raise FulfilmentError(
            _("The milestones of an order that is “%(status)s” cannot be changed.")
            % {"status": order.get_status_display()},
            code="order_closed",
        )


# --------------------------------------------------------------------------
# Delivery milestones (交付里程碑)
# --------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *,
    order_id: int,
    actor,
    stage: str,
    planned_date: date | None = None,
    acceptance_criteria: str = "",
    remarks: str = "",
    position: int | None = None,
) -> DeliveryMilestone:
    _require_staff(actor)
    order = _lock_order(order_id)
    _check_plannable(order)
    return _milestone_create(
        DeliveryMilestone,
        order=order,
        actor=actor,
        position=position,
        **_delivery_plan(stage, planned_date, acceptance_criteria, remarks),
    )


@transaction.atomic
def milestone_update(
    *,
    milestone_id: int,
    actor,
    stage: str,
    planned_date: date | None = None,
    acceptance_criteria: str = "",
    remarks: str = "",
    position: int | None = None,
) -> DeliveryMilestone:
    """Edit the plan of a milestone; its status changes only through the actions."""
    _require_staff(actor)
    order, milestone = locks.lock_order_and_milestone(DeliveryMilestone, milestone_id)
    _check_plannable(order)
    if not milestone.is_editable:
        raise FulfilmentError(
            _("The buyer has confirmed this milestone; it can no longer be changed."),
            code="confirmed",
        )
    return _milestone_change(
        milestone,
        actor=actor,
        position=position,
        **_delivery_plan(stage, planned_date, acceptance_criteria, remarks),
    )


@transaction.atomic
def milestone_delete(*, milestone_id: int, actor) -> None:
    _require_staff(actor)
    order, milestone = locks.lock_order_and_milestone(DeliveryMilestone, milestone_id)
    _check_plannable(order)
    if milestone.status != DeliveryMilestoneStatus.PENDING:
        raise FulfilmentError(
            _("Only a milestone that is not delivered yet can be removed."), code="not_pending"
        )
    _history_user(milestone, actor)
    milestone.delete()


@transaction.atomic
def milestone_mark_delivered(*, milestone_id: int, actor) -> DeliveryMilestone:
    """Blue Cloud delivered the stage: it now waits for the buyer's 确认."""
    _require_staff(actor)
    order, milestone = locks.lock_order_and_milestone(DeliveryMilestone, milestone_id)
    if milestone.status != DeliveryMilestoneStatus.PENDING:
        raise FulfilmentError(
            _("This milestone is already “%(status)s”.")
            % {"status": milestone.get_status_display()},
            code="not_pending",
        )
    if order.status not in DELIVERABLE:
        raise FulfilmentError(
            _("Milestones are delivered only for paid orders in progress."), code="order_state"
        )
    _record_step(
        milestone,
        actor,
        who="delivered_by",
        when="delivered_at",
        status=DeliveryMilestoneStatus.DELIVERED,
    )
    _mail_company(
        order,
        template="billing/mail/milestone_delivered",
        context={"stage": milestone.stage},
    )
    return milestone


@transaction.atomic
def milestone_confirm(*, milestone_id: int, user) -> DeliveryMilestone:
    """确认 by a user of the ordering company, only once the stage was delivered."""
    order, milestone = locks.lock_order_and_milestone(DeliveryMilestone, milestone_id)
    _require_company_user(user, order)
    if order.status == OrderStatus.CANCELLED:
        raise FulfilmentError(_("This order was cancelled."), code="cancelled")
    if milestone.status == DeliveryMilestoneStatus.CONFIRMED:
        raise FulfilmentError(_("This milestone is already confirmed."), code="confirmed")
    if milestone.status != DeliveryMilestoneStatus.DELIVERED:
        raise FulfilmentError(
            _("A milestone can be confirmed only after Blue Cloud has delivered it."),
            code="not_delivered",
        )
    _record_step(
        milestone,
        user,
        who="confirmed_by",
        when="confirmed_at",
        status=DeliveryMilestoneStatus.CONFIRMED,
    )
    return milestone


# --------------------------------------------------------------------------
# Payment milestones (付款里程碑)
# --------------------------------------------------------------------------


def _payment_amount(order: Order, amount, *, exclude_pk: int | None = None) -> Decimal:
    try:
        amount = to_money(amount)
    except (TypeError, ValueError) as exc:
        raise FulfilmentError({"amount": [_("Enter an amount.")]}, code="amount") from exc
    if amount <= 0:
        raise FulfilmentError(
            {"amount": [_("The amount must be greater than zero.")]}, code="amount"
        )
    others = PaymentMilestone.objects.filter(order=order)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    planned = others.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    problem = payment_milestones_total_problem(order, planned + amount)
    if problem:
        raise FulfilmentError({"amount": [problem]}, code="over_total")
    return amount


def payment_milestones_total_problem(order: Order, total: Decimal) -> str:
    """The instalments of an order never add up to more than its total payable."""
    if total > order.payable_total:
        return _(
            "The payment milestones would add up to %(total)s, more than the order's total "
            "payable %(payable)s."
        ) % {
            "total": format_money(total, order.currency),
            "payable": format_money(order.payable_total, order.currency),
        }
    return ""


@transaction.atomic
def payment_milestone_add(
    *,
    order_id: int,
    actor,
    stage: str,
    amount,
    due_date: date | None = None,
    remarks: str = "",
    position: int | None = None,
) -> PaymentMilestone:
    _require_staff(actor)
    order = _lock_order(order_id)  # serialises the sum check of concurrent additions
    _check_plannable(order)
    return _milestone_create(
        PaymentMilestone,
        order=order,
        actor=actor,
        position=position,
        stage=_plan_text(stage),
        amount=_payment_amount(order, amount),
        currency=order.currency,
        due_date=due_date,
        remarks=_plan_text(remarks),
    )


@transaction.atomic
def payment_milestone_update(
    *,
    milestone_id: int,
    actor,
    stage: str,
    amount,
    due_date: date | None = None,
    remarks: str = "",
    position: int | None = None,
) -> PaymentMilestone:
    _require_staff(actor)
    order, milestone = locks.lock_order_and_milestone(PaymentMilestone, milestone_id)
    _check_plannable(order)
    if not milestone.is_editable:
        raise FulfilmentError(
            _("This instalment is paid; it can no longer be changed."), code="paid"
        )
    return _milestone_change(
        milestone,
        actor=actor,
        position=position,
        stage=_plan_text(stage),
        amount=_payment_amount(order, amount, exclude_pk=milestone.pk),
        due_date=due_date,
        remarks=_plan_text(remarks),
    )


@transaction.atomic
def payment_milestone_delete(*, milestone_id: int, actor) -> None:
    _require_staff(actor)
    order, milestone = locks.lock_order_and_milestone(PaymentMilestone, milestone_id)
    _check_plannable(order)
    if not milestone.is_editable:
        raise FulfilmentError(_("A paid instalment cannot be removed."), code="paid")
    _history_user(milestone, actor)
    milestone.delete()


@transaction.atomic
def payment_milestone_set_paid(*, milestone_id: int, actor) -> PaymentMilestone:
    """Finance records that the instalment arrived. Marking it twice changes nothing."""
    _require_staff(actor)
    order, milestone = locks.lock_order_and_milestone(PaymentMilestone, milestone_id)
    if milestone.status == PaymentMilestoneStatus.PAID:
        return milestone
    if order.status == OrderStatus.CANCELLED:
        raise FulfilmentError(_("This order was cancelled."), code="cancelled")
    _record_step(
        milestone, actor, who="paid_marked_by", when="paid_at", status=PaymentMilestoneStatus.PAID
    )
    return milestone


# --------------------------------------------------------------------------
# Attachments (附件)
# --------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, order_id: int, actor, title: str, upload) -> OrderAttachment:
    """Share a file with the buyer: checked by content (jpg/png/gif/bmp/pdf, ≤ 10 MB)."""
    _require_staff(actor)
    order = Order.objects.get(pk=order_id)
    title = _text(title, field="title", label=_("Title"), max_length=100, required=True)
    checked = _checked_upload(upload, field="file", missing=_("Choose a file to upload."))
    attachment = OrderAttachment(
        order=order, title=title, uploaded_by=actor, **checked.record_fields()
    )
    checked.store(attachment.file)
    attachment.save()
    return attachment


# --------------------------------------------------------------------------
# Delivering and completing the order
# --------------------------------------------------------------------------


@transaction.atomic
def order_deliver(*, order_id: int, actor, delivery_content: str = "") -> Order:
    """交付: staff record the delivery content (serial numbers) and move 处理中 → 已交付."""
    _require_staff(actor)
    content = _text(
        delivery_content,
        field="delivery_content",
        label=_("Delivery content"),
        max_length=DELIVERY_CONTENT_MAX_LENGTH,
    )
    order = _lock_order(order_id)
    order = order_set_status(
        order_id=order.pk, to_status=OrderStatus.DELIVERED, actor=actor, note=_("Delivered")
    )
    order.delivery_content = content
    order.save(update_fields=["delivery_content"])
    _mail_company(
        order,
        template="billing/mail/order_delivered",
        context={"delivery_content": content},
    )
    return order


def unconfirmed_milestone_count(order_id: int) -> int:
    return (
        DeliveryMilestone.objects.filter(order_id=order_id)
        .exclude(status=DeliveryMilestoneStatus.CONFIRMED)
        .count()
    )


@transaction.atomic
def order_complete(*, order_id: int, actor, by_staff: bool = False) -> Order:
    """已交付 → 已完成: the buyer confirms receipt (确认收货), or staff close the order.

    The buyer can confirm receipt only when every delivery milestone is confirmed.
    """
    order = _lock_order(order_id)
    if by_staff:
        _require_staff(actor)
        note = _("Completed by Blue Cloud")
    else:
        _require_company_user(actor, order)
        if order.status == OrderStatus.DELIVERED and unconfirmed_milestone_count(order.pk):
            raise FulfilmentError(
                _("Confirm every delivery milestone before confirming receipt."),
                code="milestones_open",
            )
        note = _("Receipt confirmed by the buyer")
    order = order_set_status(
        order_id=order.pk, to_status=OrderStatus.COMPLETED, actor=actor, note=note
    )
    _mail_company(order, template="billing/mail/order_completed", context={})
    return order


# --------------------------------------------------------------------------
# 评价: a review of a completed order's solution
# --------------------------------------------------------------------------


def order_review_submit(*, order: Order, solution, author, rating: int, text: str):
    """Publish ``author``'s review of ``solution`` on ``order`` (the catalog records it;
    billing, which owns orders, supplies the completed-order check)."""
    from billing.selectors.fulfilment import has_completed_order
    from catalog.services import review_submit

    return review_submit(
        solution=solution,
        company=author.company,
        author=author,
        order_number=order.number,
        rating=rating,
        text=text,
        completed_order_check=has_completed_order,
    )
