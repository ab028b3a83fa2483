"""The order's detail actions: fulfilment, milestones and the offline-payment review."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from backoffice.core.money import format_money
from billing.models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    Order,
    Payment,
    PaymentMilestone,
    PaymentMilestoneStatus,
    PaymentRecordStatus,
    PaymentStatus,
)
from billing.services.fulfilment import (
    milestone_mark_delivered,
    order_complete,
    order_deliver,
    payment_milestone_set_paid,
)
from billing.services.orders import order_cancel, payment_confirm_offline, payment_reject_offline

from ..base import guarded_action, posted
from ..queues import decision_page
from .common import (
    OFFLINE_PAYMENT_CONFIRM,
    OFFLINE_PAYMENT_REJECT,
    CancelOrderForm,
    DeliverForm,
    MilestoneChoiceForm,
)


class OrderFulfilmentActionsMixin:
    """Deliver, complete and cancel an order."""

    action_target_arg = "order_id"

    # --- detail actions ---

    def _summary(self, order: Order) -> list[tuple[str, object]]:
        return [
            (_("order no."), order.number),
            (_("channel"), order.company.name),
            (_("customer company"), order.customer_company),
            (_("total payable"), format_money(order.payable_total, order.currency)),
            (_("order status"), order.get_status_display()),
            (_("payment status"), order.get_payment_status_display()),
        ]

    @guarded_action("deliver", _("Deliver"), icon="local_shipping", variant=ActionVariant.PRIMARY)
    def deliver_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            lambda order: DeliverForm(
                posted(request), initial={"delivery_content": order.delivery_content}
            ),
            order_deliver,
            message=gettext("Order %(number)s is delivered; the company was e-mailed."),
            fields=("delivery_content",),
            title=gettext("Deliver the order"),
            description=gettext(
                "Records the delivery content and moves the order from “Processing” to "
                "“Delivered”. The buyer then confirms receipt."
            ),
            submit_label=gettext("Deliver"),
        )

    @guarded_action("complete", _("Complete"), icon="task_alt", variant=ActionVariant.SUCCESS)
    def complete_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            forms.Form,
            order_complete,
            message=gettext("Order %(number)s is completed."),
            constants={"by_staff": True},
            title=gettext("Complete the order"),
            description=gettext(
                "Normally the buyer confirms receipt. Complete the order here only when the "
                "buyer agreed outside the portal. A completed order can be reviewed and can no "
                "longer be cancelled."
            ),
            submit_label=gettext("Complete"),
        )

    def _reversal_notes(self, order: Order) -> list[str]:
        notes = []
        if order.coupon_id:
            notes.append(
                gettext("Coupon %(code)s returns to unused (or expired if past its validity).")
                % {"code": order.coupon.code}
            )
        if order.rebate_amount > 0:
            notes.append(
                gettext("%(amount)s of rebate goes back to the rebate wallet.")
                % {"amount": format_money(order.rebate_amount, order.currency)}
            )
        if order.credit_amount > 0:
            notes.append(
                gettext("%(amount)s charged to the credit line is reversed.")
                % {"amount": format_money(order.credit_amount, order.currency)}
            )
        if order.payments.filter(status=PaymentRecordStatus.PENDING).exists():
            notes.append(gettext("Payments waiting for confirmation are marked failed."))
        if order.payment_status == PaymentStatus.PAID and order.amount_due > 0:
            notes.append(
                gettext(
                    "The payment status becomes “Refund due”: the %(amount)s received goes to "
                    "finance's refunds queue (待退款) until the refund is recorded."
                )
                % {"amount": format_money(order.amount_due, order.currency)}
            )
        elif order.payment_status == PaymentStatus.PAID:
            notes.append(gettext("The payment status becomes “Refunded”."))
        if not notes:
            notes.append(gettext("Nothing was posted for this order; only its status changes."))
        return notes

    @guarded_action("cancel", _("Cancel order"), icon="cancel", variant=ActionVariant.DANGER)
    def cancel_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            CancelOrderForm,
            order_cancel,
            message=gettext("Order %(number)s is cancelled and every posting was reversed."),
            fields=("reason",),
            constants={"by_staff": True},
            title=gettext("Cancel the order"),
            description=gettext("Cancelling reverses every posting of the order:"),
            notes=self._reversal_notes,
            submit_label=gettext("Cancel order"),
            variant="danger",
        )


class OrderMilestoneActionsMixin:
    """Mark a delivery milestone delivered or an instalment paid."""

    @guarded_action("milestone_delivered", _("Mark milestone delivered"), icon="flag")
    def milestone_delivered_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(_order, data) -> str:
            milestone = data["milestone"]
            milestone_mark_delivered(milestone_id=milestone.pk, actor=request.user)
            return gettext("“%(stage)s” is delivered; the buyer is asked to confirm it.") % {
                "stage": milestone.stage
            }

        return self._object_action(
            request,
            object_id,
            lambda order: _milestone_form(
                request, DeliveryMilestone, order=order, status=DeliveryMilestoneStatus.PENDING
            ),
            perform=perform,
            title=gettext("Mark a delivery milestone delivered"),
            description=gettext(
                "The buyer then confirms the milestone in the portal; service delivery is "
                "complete when the buyer confirms."
            ),
            submit_label=gettext("Mark delivered"),
            summary=self._summary,
        )

    @guarded_action("instalment_paid", _("Mark instalment paid"), icon="paid")
    def instalment_paid_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(_order, data) -> str:
            milestone = data["milestone"]
            payment_milestone_set_paid(milestone_id=milestone.pk, actor=request.user)
            return gettext("Instalment “%(stage)s” (%(amount)s) is marked paid.") % {
                "stage": milestone.stage,
                "amount": format_money(milestone.amount, milestone.currency),
            }

        return self._object_action(
            request,
            object_id,
            lambda order: _milestone_form(
                request,
                PaymentMilestone,
                order=order,
                status=PaymentMilestoneStatus.UNPAID,
                label=_("Payment milestone"),
            ),
            perform=perform,
            title=gettext("Mark a payment milestone paid"),
            submit_label=gettext("Mark paid"),
            summary=self._summary,
        )


def _milestone_form(request: HttpRequest, model, *, order, status, label=None) -> forms.Form:
    """A choice of the order's milestones in ``status``, in their order."""
    form = MilestoneChoiceForm(
        posted(request),
        queryset=model.objects.filter(order=order, status=status).order_by("position", "pk"),
    )
    if label is not None:
        form.fields["milestone"].label = label
    return form


class OrderPaymentActionsMixin:
    """Confirm or reject the order's pending offline payment."""

    def _payment_or_back(self, request, order: Order) -> Payment | None:
        payment = self._pending_offline_payment(request, order.pk)
        if payment is None:
            self.message_user(
                request,
                gettext("No offline transfer of this order is waiting for confirmation."),
                messages.INFO,
            )
        return payment

    def _payment_summary(self, order: Order, payment: Payment) -> list[tuple[str, object]]:
        return [
            *self._summary(order),
            (_("payment order no."), payment.reference),
            (_("amount"), format_money(payment.amount, payment.currency)),
            (_("paying bank account"), payment.payer_account),
            (_("payment date"), payment.paid_on),
            (_("transfer reference"), payment.transfer_reference),
        ]

    def _payment_review(self, request: HttpRequest, object_id: str, *, reject: bool):
        """Confirm or reject the order's pending offline transfer (as its queue does)."""
        order = self._object_or_404(request, object_id)
        payment = self._payment_or_back(request, order)
        if payment is None:
            return HttpResponseRedirect(self._change_url(order))
        page = OFFLINE_PAYMENT_REJECT if reject else OFFLINE_PAYMENT_CONFIRM

        def perform(data) -> str:
            if reject:
                payment_reject_offline(
                    payment_id=payment.pk, actor=request.user, reason=data["reason"]
                )
            else:
                payment_confirm_offline(payment_id=payment.pk, actor=request.user)
            return str(page["message"]) % {"reference": payment.reference, "number": order.number}

        return self._form_action(
            request,
            order,
            page.get("form", forms.Form)(posted(request)),
            perform=perform,
            summary=lambda order: self._payment_summary(order, payment),
            **decision_page(page, reject=reject),
        )

    @guarded_action(
        "review_payment",
        _("Confirm offline payment"),
        icon="price_check",
        variant=ActionVariant.SUCCESS,
        url_path="confirm-payment",
    )
    def confirm_payment_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._payment_review(request, object_id, reject=False)

    @guarded_action(
        "review_payment",
        _("Reject payment"),
        icon="block",
        variant=ActionVariant.DANGER,
        url_path="reject-payment",
    )
    def reject_payment_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._payment_review(request, object_id, reject=True)
