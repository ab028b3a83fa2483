"""The cart (购物车): lines a partner user collects before checkout, checked against the
catalog (a plan still on sale, a sane quantity, the plan's parameters)."""

from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import CartLine

from .errors import BillingError

MAX_QUANTITY = 9999
MAX_LINES = 50


# --------------------------------------------------------------------------
# Cart
# --------------------------------------------------------------------------


def _sku_for_sale(sku_id: int):
    from catalog.models import Sku

    sku = (
        Sku.objects.select_related("solution")
        .filter(pk=sku_id, is_active=True, solution__is_published=True)
        .first()
    )
    if sku is None:
        raise BillingError(_("This plan is no longer on sale."), code="sku_unavailable")
    return sku


def _quantity(value) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError) as exc:
        raise BillingError(_("Enter a whole number as quantity."), code="quantity") from exc
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BillingError(
            _("The quantity must be between 1 and %(max)d.") % {"max": MAX_QUANTITY},
            code="quantity",
        )
    return quantity


def parameters_clean(sku, values: dict | None, *, require: bool) -> dict:
    """Keep only the SKU's declared parameters, trimmed and length-checked."""
    values = values or {}
    cleaned, missing = {}, []
    for definition in sku.parameters or []:
        key = definition.get("key")
        value = str(values.get(key, "") or "").strip()
        limit = int(definition.get("max_length") or 200)
        if len(value) > limit:
            raise BillingError(
                _("%(label)s: at most %(max)d characters.")
                % {"label": definition.get("label", key), "max": limit},
                code="parameter_length",
            )
        if value:
            cleaned[key] = value
        elif definition.get("required"):
            missing.append(definition.get("label", key))
    if require and missing:
        raise BillingError(
            _("Add the purchase parameters of %(plan)s: %(missing)s.")
            % {"plan": sku.plan_name, "missing": "、".join(missing)},
            code="parameters_missing",
        )
    return cleaned


@transaction.atomic
def cart_add(*, user, sku_id: int, quantity=1, parameters: dict | None = None) -> CartLine:
    sku = _sku_for_sale(sku_id)
    quantity = _quantity(quantity)
    line = CartLine.objects.select_for_update().filter(user=user, sku=sku).first()
    if line is None:
        return CartLine.objects.create(
            user=user,
            sku=sku,
            quantity=quantity,
            parameters=parameters_clean(sku, parameters, require=False),
        )
    line.quantity = _quantity(line.quantity + quantity)
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def cart_update(
    *,
    user,
    line_id: int,
    quantity=None,
    sku_id: int | None = None,
    parameters: dict | None = None,
    selected: bool | None = None,
) -> CartLine:
    line = CartLine.objects.select_for_update().select_related("sku").get(user=user, pk=line_id)
    if sku_id is not None and sku_id != line.sku_id:
        sku = _sku_for_sale(sku_id)
        if sku.solution_id != line.sku.solution_id:
            raise BillingError(_("Choose a plan of the same solution."), code="plan")
        other = CartLine.objects.filter(user=user, sku=sku).exclude(pk=line.pk).first()
        if other is not None:
            raise BillingError(_("This plan is already in your cart."), code="duplicate")
        line.sku = sku
        line.parameters = parameters_clean(sku, line.parameters, require=False)
    if quantity is not None:
        line.quantity = _quantity(quantity)
    if parameters is not None:
        line.parameters = parameters_clean(line.sku, parameters, require=False)
    if selected is not None:
        line.selected = bool(selected)
    line.save()
    return line


def cart_remove(*, user, line_ids: list[int]) -> int:
    deleted, _details = CartLine.objects.filter(user=user, pk__in=line_ids).delete()
    return deleted
