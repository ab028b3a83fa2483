"""客户订单: the buyer's fulfilment actions on one order (/account/orders/<number>/...).

申请开票 (invoice request), 确认 of a delivery milestone, 确认收货 (confirm receipt),
评价 (review) of a solution of a completed order, and the downloads of attachments and
issued invoices. Every view first finds the order among the orders of
``request.user.company``: another company's order number answers 404 whatever the
method. State changes only through ``billing.services.fulfilment`` (with
``billing.services.invoices`` for invoice requests) and
``billing.services.fulfilment.order_review_submit``; their refusals become form errors or messages.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from backoffice.core.files import private_file_response
from billing.models import DeliveryMilestone, InvoiceRequest, Order, OrderAttachment, OrderLine
from billing.selectors.fulfilment import company_orders, order_review_problem
from billing.services.errors import BillingError
from billing.services.fulfilment import milestone_confirm, order_complete, order_review_submit
from billing.services.invoices import invoice_request_create, invoice_requestable_problem
from catalog.services import CatalogError

from ..errors import form_submit, service_call
from ..forms.fulfilment import InvoiceRequestForm, ReviewForm
from ..navigation import account_menu
from .base import partner_view

ORDERS_PREFIX = "/account/orders/"


def order_portal_url(order: Order) -> str:
    """The order's page in the portal (客户订单 detail)."""
    return reverse("portal:account_order_detail", args=[order.number])


def order_view(*, methods: tuple[str, ...] = ("GET",), lookup: Callable | None = None):
    """Partner users only; the order is looked up in the user's company before anything.

    Anonymous → login page; no company, an order number that is not the company's, or an
    object (``lookup(order, id)``) that is not of that order → 404, whatever the method;
    then a verb the view does not take → 405. The view gets the order (and the object).
    """

    def resolve(request: HttpRequest, number: str, *args, **kwargs) -> tuple[tuple, dict]:
        order = get_object_or_404(
            company_orders(request.user.company).prefetch_related("lines"), number=number
        )
        if lookup is not None:
            args = (lookup(order, *args, *kwargs.values()),)
            kwargs = {}
        return (order, *args), kwargs

    return partner_view(methods=methods, resolve=resolve)


def _invoice(order: Order, invoice_id: int) -> InvoiceRequest:
    return get_object_or_404(InvoiceRequest, pk=invoice_id, order_id=order.pk)


def _milestone(order: Order, milestone_id: int) -> DeliveryMilestone:
    return get_object_or_404(DeliveryMilestone, pk=milestone_id, order_id=order.pk)


def _attachment(order: Order, attachment_id: int) -> OrderAttachment:
    return get_object_or_404(OrderAttachment, pk=attachment_id, order_id=order.pk)


def _line(order: Order, solution_id: int) -> OrderLine:
    """The order's (first) line of the solution: only solutions of the order are reviewed."""
    line = next((line for line in order.lines.all() if line.solution_id == solution_id), None)
    if line is None:
        raise Http404
    return line


def _back(request: HttpRequest, order: Order) -> str:
    """Where a POST returns to: the page it came from (an order page), else the order."""
    target = request.POST.get("next") or ""
    if target.startswith(ORDERS_PREFIX) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return order_portal_url(order)


def _render(request: HttpRequest, template: str, order: Order, context: dict) -> HttpResponse:
    return render(
        request,
        f"portal/fulfilment/{template}",
        {
            **context,
            "order": order,
            "order_url": order_portal_url(order),
            "account_menu": account_menu(request.user, active="customer_orders"),
        },
    )


# --------------------------------------------------------------------------
# 申请开票
# --------------------------------------------------------------------------


@order_view(methods=("GET", "POST"))
def invoice_request(request: HttpRequest, order: Order) -> HttpResponse:
    problem = invoice_requestable_problem(order)
    form = InvoiceRequestForm(
        request.POST if request.method == "POST" else None,
        initial={"title": request.user.company.name, "email": request.user.email},
    )
    if not problem and form_submit(
        request,
        form,
        lambda data: invoice_request_create(order_id=order.pk, user=request.user, **data),
        refusals=BillingError,
    ):
        messages.success(
            request,
            _("Your invoice request was submitted; Blue Cloud finance will issue the invoice."),
        )
        return redirect(order_portal_url(order))
    return _render(request, "invoice_form.html", order, {"form": form, "problem": problem})


@order_view(lookup=_invoice)
def invoice_pdf(request: HttpRequest, order: Order, invoice: InvoiceRequest) -> HttpResponse:
    if not invoice.invoice_pdf:
        raise Http404
    return private_file_response(
        invoice.invoice_pdf, filename=invoice.pdf_filename, content_type="application/pdf"
    )


# --------------------------------------------------------------------------
# Milestones, receipt and attachments
# --------------------------------------------------------------------------


@order_view(methods=("POST",), lookup=_milestone)
def milestone_confirm_view(
    request: HttpRequest, order: Order, milestone: DeliveryMilestone
) -> HttpResponse:
    service_call(
        request,
        lambda: milestone_confirm(milestone_id=milestone.pk, user=request.user),
        _("Milestone “%(stage)s” is confirmed.") % {"stage": milestone.stage},
        refusals=BillingError,
        joined=True,
    )
    return redirect(_back(request, order))


@order_view(methods=("POST",))
def order_complete_view(request: HttpRequest, order: Order) -> HttpResponse:
    service_call(
        request,
        lambda: order_complete(order_id=order.pk, actor=request.user),
        _("Receipt confirmed: order %(number)s is completed. You can now review it.")
        % {"number": order.number},
        refusals=BillingError,
        joined=True,
    )
    return redirect(_back(request, order))


@order_view(lookup=_attachment)
def attachment_download(
    request: HttpRequest, order: Order, attachment: OrderAttachment
) -> HttpResponse:
    return private_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


# --------------------------------------------------------------------------
# 评价
# --------------------------------------------------------------------------


@order_view(methods=("GET", "POST"), lookup=_line)
def review(request: HttpRequest, order: Order, line: OrderLine) -> HttpResponse:
    solution = line.solution
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form_submit(
            request,
            form,
            lambda data: order_review_submit(
                order=order,
                solution=solution,
                author=request.user,
                rating=data["rating"],
                text=data["text"],
            ),
            refusals=CatalogError,
        ):
            messages.success(request, _("Thank you: your review was published."))
            return redirect(order_portal_url(order))
        problem = ""
    else:
        problem = order_review_problem(order=order, solution=solution, company=request.user.company)
    return _render(
        request,
        "review_form.html",
        order,
        {"form": form, "problem": problem, "solution_name": line.solution_name},
    )
