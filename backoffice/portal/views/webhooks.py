"""个人中心 › Webhooks (the company's 管理员): endpoints, their secret, the delivery log.

Every object is read through a company-scoped selector (another company's id: 404);
changes go through ``partners.webhooks.services``.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from partners.webhooks import selectors, services

from ..errors import form_submit, service_call
from ..forms.webhooks import WebhookEndpointForm
from ..navigation import can_manage_users
from .base import paginate, partner_view, render_account

SECTION = "webhooks"
LOG_PAGE_SIZE = 20


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render_account(request, f"portal/account/webhooks/{template}", SECTION, context)


def _own_endpoint(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.webhook_endpoints(company=request.user.company), pk=pk)


@partner_view(allowed=can_manage_users)
def endpoints(request: HttpRequest) -> HttpResponse:
    rows = selectors.webhook_endpoints(company=request.user.company)
    return _render(request, "list.html", {"endpoints": rows})


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def endpoint_add(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if done := form_submit(
        request,
        form,
        lambda data: services.webhook_endpoint_create(
            company=request.user.company, actor=request.user, **data
        ),
    ):
        messages.success(request, _("The endpoint was added. Copy its signing secret below."))
        return redirect("portal:account_webhook", pk=done.value.pk)
    return _render(request, "form.html", {"form": form})


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _own_endpoint(request, pk)
    form = WebhookEndpointForm(
        request.POST if request.method == "POST" else None,
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
        },
    )
    if form_submit(
        request,
        form,
        lambda data: services.webhook_endpoint_update(endpoint=endpoint, **data),
    ):
        messages.success(request, _("Saved."))
        return redirect("portal:account_webhook", pk=endpoint.pk)
    page, page_range = paginate(
        request,
        selectors.webhook_deliveries(company=request.user.company, endpoint=endpoint),
        per_page=LOG_PAGE_SIZE,
    )
    return _render(
        request,
        "detail.html",
        {"endpoint": endpoint, "form": form, "page": page, "page_range": page_range},
    )


@partner_view(methods=("POST",), allowed=can_manage_users)
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _own_endpoint(request, pk)
    services.webhook_endpoint_rotate_secret(endpoint=endpoint)
    messages.success(request, _("A new signing secret was made; the old one no longer signs."))
    return redirect("portal:account_webhook", pk=endpoint.pk)


@partner_view(methods=("POST",), allowed=can_manage_users)
def endpoint_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _own_endpoint(request, pk)
    active = request.POST.get("active") == "1"
    service_call(
        request,
        lambda: services.webhook_endpoint_set_active(endpoint=endpoint, active=active),
        _("The endpoint was enabled.") if active else _("The endpoint was disabled."),
    )
    return redirect("portal:account_webhook", pk=endpoint.pk)


@partner_view(methods=("POST",), allowed=can_manage_users)
def delivery_resend(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _own_endpoint(request, pk)
    delivery = get_object_or_404(
        selectors.webhook_deliveries(company=request.user.company, endpoint=endpoint),
        pk=delivery_pk,
    )
    service_call(
        request,
        lambda: services.webhook_delivery_resend(delivery=delivery),
        _("The event was queued to be sent again."),
    )
    return redirect("portal:account_webhook", pk=endpoint.pk)
