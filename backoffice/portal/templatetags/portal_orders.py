"""Fulfilment pieces of the 客户订单 pages, as inclusion tags.

``{% order_fulfilment_panel order %}`` (detail page): milestones, supplementary terms,
attachments, invoice requests, 确认收货 and 评价, one query per kind.

``{% order_list_actions order %}`` (list page, once per order): 申请开票 and 评价 links.
The first call finds the page's orders in the template context and reads the open
invoice requests and the reviews of all of them in two queries, cached on the request,
so the list does not grow a query per row.
"""

from django import template
from django.core.paginator import Page
from django.db import models
from django.db.models import QuerySet

from billing.models import Order
from billing.selectors.fulfilment import ListActions, order_fulfilment, orders_list_actions

register = template.Library()

CACHE_ATTRIBUTE = "_portal_order_list_actions"


def _is_own(context, order: Order) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and getattr(user, "company_id", None)
        and user.company_id == order.company_id
    )


@register.inclusion_tag("portal/fulfilment/_detail.html", takes_context=True)
def order_fulfilment_panel(context, order: Order) -> dict:
    request = context.get("request")
    return {
        "order": order,
        "f": order_fulfilment(order),
        "own": _is_own(context, order),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }


def _orders_in(value) -> list[Order]:
    """Orders held by an already evaluated list, page or queryset (rows may wrap them)."""
    if isinstance(value, Page):
        value = value.object_list
    if isinstance(value, QuerySet):
        value = value._result_cache  # never run a query here
    if not isinstance(value, list | tuple):
        return []
    found = []
    for item in value:
        if isinstance(item, Order):
            found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("order"), Order):
            found.append(item["order"])
        elif not isinstance(item, models.Model) and isinstance(getattr(item, "order", None), Order):
            found.append(item.order)
    return found


def _listed_orders(context, order: Order) -> list[Order]:
    listed: dict[int, Order] = {}
    for value in context.flatten().values():
        orders = _orders_in(value)
        if any(o.pk == order.pk for o in orders):
            listed.update((o.pk, o) for o in orders)
    listed.setdefault(order.pk, order)
    return list(listed.values())


@register.inclusion_tag("portal/fulfilment/_list_actions.html", takes_context=True)
def order_list_actions(context, order: Order) -> dict:
    request = context.get("request")
    cache: dict[int, ListActions] = (
        request.__dict__.setdefault(CACHE_ATTRIBUTE, {}) if request is not None else {}
    )
    if order.pk not in cache:
        cache.update(orders_list_actions(_listed_orders(context, order)))
    return {"order": order, "actions": cache[order.pk], "own": _is_own(context, order)}
