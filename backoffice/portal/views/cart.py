"""云睐购物车 (/cart/): step ① 选择结算商品.

Rows are read through ``billing.selectors.orders`` (the user's own lines only) and every
change goes through ``billing.services.checkout`` (cart_add / cart_update / cart_remove).
Prices are never trusted from the page: subtotals come from the SKU, and 结算 re-prices
the selected lines with ``checkout_quote`` before the checkout opens.
"""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.core.money import format_money
from billing.models import CartLine
from billing.selectors import orders as selectors
from billing.services.cart import cart_add, cart_remove, cart_update
from billing.services.checkout import LineInput, checkout_quote
from billing.services.errors import BillingError
from catalog.models import Region, Sku

from ..errors import errors_to_messages, service_call
from ..forms.orders import (
    CartLineForm,
    CartLinesForm,
    ParametersForm,
    SkuQuantityForm,
    parameter_definitions,
)
from .base import partner_view, safe_back_url, wants_json
from .checkout_state import checkout_start


def _selected_text(count: int) -> str:
    return _("%(n)s item(s) selected") % {"n": count}


def _totals_display(totals: selectors.CartTotals) -> str:
    if not totals.totals:
        return format_money(0, "CNY")
    return " + ".join(format_money(amount, currency) for currency, amount in totals.totals.items())


def _plans_with(plans: list, sku) -> list:
    """The dropdown's plans, always including the line's own (even if it left the catalog)."""
    return plans if any(p.pk == sku.pk for p in plans) else [sku, *plans]


def _rows(request: HttpRequest, lines: list[CartLine]) -> list[dict]:
    plans = selectors.plan_choices(lines=lines)
    history = selectors.parameter_history(
        company_id=request.user.company_id, sku_ids={line.sku_id for line in lines}
    )
    regions = dict(Region.choices)
    groups: dict[str, dict] = {}
    for line in lines:
        sku = line.sku
        on_sale = sku.is_active and sku.solution.is_published
        definitions = parameter_definitions(sku)
        sku_history = history.get(sku.pk, {})
        group = groups.setdefault(
            sku.region, {"region": regions.get(sku.region, sku.region), "rows": []}
        )
        group["rows"].append(
            {
                "line": line,
                "sku": sku,
                "solution": sku.solution,
                "on_sale": on_sale,
                "plans": _plans_with(plans.get((sku.solution_id, sku.region), []), sku),
                "unit_price": format_money(sku.unit_price, sku.currency),
                "subtotal": format_money(selectors.line_subtotal(sku, line.quantity), sku.currency),
                "parameters": [
                    {
                        "key": d["key"],
                        "label": d.get("label") or d["key"],
                        "required": bool(d.get("required")),
                        "max_length": int(d.get("max_length") or 200),
                        "value": (line.parameters or {}).get(d["key"], ""),
                        "history": sku_history.get(d["key"], []),
                    }
                    for d in definitions
                ],
                "parameter_values": [
                    (d.get("label") or d["key"], (line.parameters or {}).get(d["key"]))
                    for d in definitions
                    if (line.parameters or {}).get(d["key"])
                ],
            }
        )
    return list(groups.values())


@partner_view()
def cart(request: HttpRequest) -> HttpResponse:
    lines = selectors.cart_lines(user=request.user)
    totals = selectors.cart_totals(lines)
    return render(
        request,
        "portal/orders/cart.html",
        {
            "groups": _rows(request, lines),
            "line_count": len(lines),
            "selected_count": totals.count,
            "selected_text": _selected_text(totals.count),
            "total": _totals_display(totals),
            "all_selected": bool(lines) and totals.count == len(lines),
            "step": 1,
        },
    )


def posted_sku(*, fallback: str):
    """For the POST of a solution page's plan picker (加入购物车, 立即购买): the view gets the
    SKU on sale, the quantity and ``back``, the page to return to (``fallback``'s URL when
    the referring page is not ours); a bad post goes back there with the reason as a message."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            back = safe_back_url(request, fallback=reverse(fallback))
            form = SkuQuantityForm(request.POST)
            if not form.is_valid():
                errors_to_messages(request, form)
                return redirect(back)
            sku = selectors.sku_on_sale(code=form.cleaned_data["sku"])
            if sku is None:
                messages.error(request, _("This plan is no longer on sale."))
                return redirect(back)
            return view(request, sku=sku, quantity=form.cleaned_data["quantity"], back=back)

        return wrapper

    return decorate


@partner_view(methods=("POST",), login_next_from_referer=True)
@posted_sku(fallback="portal:cart")
def cart_add_view(request: HttpRequest, *, sku: Sku, quantity: int, back: str) -> HttpResponse:
    """加入购物车 from the detail page: back to that page with a message (the badge counts)."""
    service_call(
        request,
        lambda: cart_add(user=request.user, sku_id=sku.pk, quantity=quantity),
        _("%(plan)s was added to your cart.") % {"plan": f"{sku.solution.name} · {sku.plan_name}"},
        refusals=BillingError,
    )
    return redirect(back)


def _posted_line(request: HttpRequest) -> tuple[CartLineForm, CartLine] | None:
    """The posted row form and the user's own cart line it names (another's: 404); None,
    with the form's errors as messages, when the form is invalid."""
    form = CartLineForm(request.POST)
    if not form.is_valid():
        errors_to_messages(request, form)
        return None
    line_ids = [form.cleaned_data["line"]]
    line = next(iter(selectors.cart_lines_by_ids(user=request.user, line_ids=line_ids)), None)
    if line is None:
        raise Http404
    return form, line


@partner_view(methods=("POST",))
def cart_update_view(request: HttpRequest) -> HttpResponse:
    """A row's plan, quantity, or (添加参数) purchase parameters."""
    if (posted := _posted_line(request)) is None:
        return redirect("portal:cart")
    form, line = posted
    changes: dict = {}
    if "parameters" in request.POST:
        params = ParametersForm(request.POST, sku=line.sku)
        if not params.is_valid():
            errors_to_messages(request, params)
            return redirect("portal:cart")
        changes["parameters"] = params.values()
    else:
        if form.cleaned_data.get("sku_id"):
            changes["sku_id"] = form.cleaned_data["sku_id"]
        if form.cleaned_data.get("quantity"):
            changes["quantity"] = form.cleaned_data["quantity"]
    try:
        cart_update(user=request.user, line_id=line.pk, **changes)
    except BillingError as exc:
        errors_to_messages(request, exc)
    else:
        if "parameters" in changes:
            messages.success(request, _("The purchase parameters were saved."))
    return redirect("portal:cart")


@partner_view(methods=("POST",))
def cart_remove_view(request: HttpRequest) -> HttpResponse:
    if (posted := _posted_line(request)) is None:
        return redirect("portal:cart")
    _form, line = posted
    cart_remove(user=request.user, line_ids=[line.pk])
    messages.success(request, _("The item was removed from your cart."))
    return redirect("portal:cart")


def _select(request: HttpRequest, lines: list[CartLine], chosen: set[int]) -> None:
    for line in lines:
        wanted = line.pk in chosen
        if line.selected != wanted:
            cart_update(user=request.user, line_id=line.pk, selected=wanted)
            line.selected = wanted


@partner_view(methods=("POST",))
def cart_select_view(request: HttpRequest) -> HttpResponse:
    """Save the checked rows; with ``checkout`` (【结算】) open the checkout for them."""
    lines = selectors.cart_lines(user=request.user)
    form = CartLinesForm(request.POST, line_ids=[line.pk for line in lines])
    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"error": " ".join(form.errors.get("lines", []))}, status=400)
        errors_to_messages(request, form)
        return redirect("portal:cart")
    _select(request, lines, set(form.cleaned_data["lines"]))
    totals = selectors.cart_totals(lines)
    if wants_json(request):
        return JsonResponse(
            {
                "count": totals.count,
                "selected_text": _selected_text(totals.count),
                "total": _totals_display(totals),
                "can_checkout": totals.count > 0,
            }
        )
    if "checkout" not in request.POST:
        return redirect("portal:cart")
    selected = [line for line in lines if line.selected]
    if not selected:
        messages.error(request, _("Select the items to check out first."))
        return redirect("portal:cart")
    inputs = [LineInput(line.sku_id, line.quantity, line.parameters or {}) for line in selected]
    try:
        checkout_quote(company_id=request.user.company_id, lines=inputs)
    except BillingError as exc:
        errors_to_messages(request, exc)
        return redirect("portal:cart")
    token = checkout_start(
        request,
        lines=inputs,
        cart_line_ids=[line.pk for line in selected],
        back_url=reverse("portal:cart"),
    )
    return redirect(f"{reverse('portal:checkout')}?t={token}")
