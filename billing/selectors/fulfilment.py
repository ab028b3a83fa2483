"""Reads for the fulfilment pieces of the order pages (portal detail and list).

``order_fulfilment`` runs one query per kind for one order (detail page);
``orders_list_actions`` runs one query for open invoice requests and one for reviews
for every order of a list page, whatever the number of rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from catalog.models import Review

from ..models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    InvoiceRequest,
    InvoiceRequestStatus,
    Order,
    OrderAttachment,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMilestone,
    PaymentRecordStatus,
    PaymentStatus,
)

OPEN_INVOICE_STATUSES = (InvoiceRequestStatus.PENDING, InvoiceRequestStatus.ISSUED)


def company_orders(company) -> QuerySet[Order]:
    """The orders of ``company`` itself: the only ones its users may act on."""
    if company is None:
        return Order.objects.none()
    return Order.objects.filter(company_id=company.pk)


def _invoiceable(order: Order) -> bool:
    """Paid, not cancelled and not free: the display side of ``invoice_requestable_problem``."""
    return (
        order.payment_status == PaymentStatus.PAID
        and order.status != OrderStatus.CANCELLED
        and order.payable_total > 0
    )


def _solutions(order: Order) -> list[tuple[int, str]]:
    """(solution id, name) of the order's lines, once each, in line order."""
    seen: dict[int, str] = {}
    for line in order.lines.all():  # prefetched by the order pages
        seen.setdefault(line.solution_id, line.solution_name)
    return list(seen.items())


def _reviewed(company_id: int, numbers: list[str]) -> set[tuple[str, int]]:
    if not numbers:
        return set()
    return set(
        Review.objects.filter(company_id=company_id, order_number__in=numbers).values_list(
            "order_number", "solution_id"
        )
    )


@dataclass
class OrderFulfilment:
    order: Order
    delivery_milestones: list[DeliveryMilestone]
    payment_milestones: list[PaymentMilestone]
    attachments: list[OrderAttachment]
    invoice_requests: list[InvoiceRequest]
    # (solution id, name, already reviewed) for a completed order, else empty
    review_targets: list[tuple[int, str, bool]] = field(default_factory=list)

    @property
    def can_request_invoice(self) -> bool:
        order = self.order
        return _invoiceable(order) and not any(
            r.status in OPEN_INVOICE_STATUSES for r in self.invoice_requests
        )

    @property
    def can_confirm_receipt(self) -> bool:
        return self.order.status == OrderStatus.DELIVERED and all(
            m.status == DeliveryMilestoneStatus.CONFIRMED for m in self.delivery_milestones
        )


def order_fulfilment(order: Order) -> OrderFulfilment:
    """Milestones, attachments, invoice requests and review state of one order."""
    fulfilment = OrderFulfilment(
        order=order,
        delivery_milestones=list(
            DeliveryMilestone.objects.filter(order_id=order.pk)
            .select_related("confirmed_by")
            .order_by("position", "pk")
        ),
        payment_milestones=list(
            PaymentMilestone.objects.filter(order_id=order.pk).order_by("position", "pk")
        ),
        attachments=list(
            OrderAttachment.objects.filter(order_id=order.pk)
            .only(
                "pk",
                "order_id",
                "title",
                "original_name",
                "content_type",
                "size",
                "created_at",
            )
            .order_by("created_at", "pk")
        ),
        invoice_requests=list(
            InvoiceRequest.objects.filter(order_id=order.pk).order_by("-created_at", "-pk")
        ),
    )
    if order.status == OrderStatus.COMPLETED:
        reviewed = _reviewed(order.company_id, [order.number])
        fulfilment.review_targets = [
            (solution_id, name, (order.number, solution_id) in reviewed)
            for solution_id, name in _solutions(order)
        ]
    return fulfilment


@dataclass(frozen=True)
class ListActions:
    """What the order list offers for one order beside its own actions."""

    can_request_invoice: bool
    review_targets: list[tuple[int, str]]  # (solution id, name) still to review


def orders_list_actions(orders: list[Order]) -> dict[int, ListActions]:
    """申请开票 and 评价 links for a page of orders: two queries in all."""
    orders = [order for order in orders if order is not None]
    if not orders:
        return {}
    paid_ids = {o.pk for o in orders if _invoiceable(o)}
    open_invoice = set()
    if paid_ids:
        open_invoice = set(
            InvoiceRequest.objects.filter(
                order_id__in=paid_ids, status__in=OPEN_INVOICE_STATUSES
            ).values_list("order_id", flat=True)
        )
    completed = [o for o in orders if o.status == OrderStatus.COMPLETED]
    reviewed: set[tuple[str, int]] = set()
    by_company: dict[int, list[str]] = defaultdict(list)
    for order in completed:
        by_company[order.company_id].append(order.number)
    if by_company:
        condition = Q()
        for company_id, numbers in by_company.items():
            condition |= Q(company_id=company_id, order_number__in=numbers)
        reviewed = set(Review.objects.filter(condition).values_list("order_number", "solution_id"))
    result = {}
    for order in orders:
        targets = []
        if order.status == OrderStatus.COMPLETED:
            targets = [
                (solution_id, name)
                for solution_id, name in _solutions(order)
                if (order.number, solution_id) not in reviewed
            ]
        result[order.pk] = ListActions(
            can_request_invoice=order.pk in paid_ids and order.pk not in open_invoice,
            review_targets=targets,
        )
    return result


def pending_offline_payments() -> QuerySet[Payment]:
    """Offline transfers waiting for finance to confirm or reject."""
    return Payment.objects.filter(kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING)


def pending_invoice_requests() -> QuerySet[InvoiceRequest]:
    return InvoiceRequest.objects.filter(status=InvoiceRequestStatus.PENDING)


# --------------------------------------------------------------------------
# Review eligibility (评价): billing owns orders, so it decides who may review.
# --------------------------------------------------------------------------


def has_completed_order(company, solution, order_number: str) -> bool:
    """Does ``company`` have a completed (已完成) order ``order_number`` for ``solution``?

    True only for an order with that number that belongs to ``company``, has status
    已完成 and has a line of ``solution``.
    """
    return Order.objects.filter(
        number=order_number,
        company_id=company.pk,
        status=OrderStatus.COMPLETED,
        lines__solution_id=solution.pk,
    ).exists()


def order_review_problem(*, order: Order, solution, company) -> str:
    """Why ``company`` may not review ``solution`` of ``order`` now ("" when it may)."""
    if Review.objects.filter(solution_id=solution.pk, order_number=order.number).exists():
        return _("This order has already been reviewed.")
    if not has_completed_order(company, solution, order.number):
        return _("Only a completed order of this solution can be reviewed.")
    return ""
