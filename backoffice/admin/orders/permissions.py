"""Who may do what to an order: model permissions and the order's state."""

from django.http import HttpRequest

from billing.models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMilestone,
    PaymentMilestoneStatus,
    PaymentRecordStatus,
)
from billing.services.fulfilment import DELIVERABLE

from ..queues import object_pk
from .common import CANCELLABLE


class OrderPermissionsMixin:
    """Orders come from checkout and change only through actions; the order's
    state, read once per request, decides which detail actions show."""

    # --- permissions: orders come from checkout and change only through actions ---

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _state(self, request: HttpRequest, object_id) -> Order | None:
        """The order's status row, read once per request for the action permissions."""
        cache = request.__dict__.setdefault("_orders_admin_state", {})
        pk = object_pk(object_id)
        if pk not in cache:
            cache[pk] = (
                Order.objects.filter(pk=pk).only("pk", "status", "payment_status").first()
                if pk is not None
                else None
            )
        return cache[pk]

    def _pending_offline_payment(self, request: HttpRequest, object_id) -> Payment | None:
        cache = request.__dict__.setdefault("_orders_admin_payment", {})
        pk = object_pk(object_id)
        if pk not in cache:
            cache[pk] = (
                Payment.objects.filter(
                    order_id=pk, kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING
                )
                .order_by("pk")
                .first()
                if pk is not None
                else None
            )
        return cache[pk]

    def _may_change(self, request) -> bool:
        return request.user.has_perm("billing.change_order")

    def _in_status(self, request, object_id, statuses) -> bool:
        if not self._may_change(request):
            return False
        if object_id is None:
            return True
        order = self._state(request, object_id)
        return order is not None and order.status in statuses

    def has_deliver_permission(self, request, object_id=None) -> bool:
        return self._in_status(request, object_id, (OrderStatus.PROCESSING,))

    def has_complete_permission(self, request, object_id=None) -> bool:
        return self._in_status(request, object_id, (OrderStatus.DELIVERED,))

    def has_cancel_permission(self, request, object_id=None) -> bool:
        return self._in_status(request, object_id, CANCELLABLE)

    def has_milestone_delivered_permission(self, request, object_id=None) -> bool:
        if not self._in_status(request, object_id, DELIVERABLE):
            return False
        return object_id is None or (
            DeliveryMilestone.objects.filter(
                order_id=object_pk(object_id), status=DeliveryMilestoneStatus.PENDING
            ).exists()
        )

    def has_instalment_paid_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm("billing.change_order"):
            return False
        return object_id is None or (
            PaymentMilestone.objects.filter(
                order_id=object_pk(object_id), status=PaymentMilestoneStatus.UNPAID
            )
            .exclude(order__status=OrderStatus.CANCELLED)
            .exists()
        )

    def has_review_payment_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm("billing.change_payment"):
            return False
        return object_id is None or self._pending_offline_payment(request, object_id) is not None
