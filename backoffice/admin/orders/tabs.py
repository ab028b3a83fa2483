"""The order page's tabs: 基本信息 / 客户信息 / 商品 / 交付 / 付款 / 附件 / 记录.

unfold has two tab rows: fieldsets with ``classes=["tab"]`` become tabs inside its
"General" tab, and inlines with ``tab = True`` become tabs next to "General". The order
page wants one row that mixes both (交付 holds the delivery fieldset and the delivery
plan inline), so ``admin/billing/order/change_form.html`` renders one tab per entry of
``ORDER_TABS``: the fieldsets of that title, then the inlines listed for it. Every
inline is rendered (only hidden), so each formset posts its management form.
"""

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .inlines import (
    DeliveryMilestoneInline,
    InvoiceRequestInline,
    OrderAttachmentInline,
    OrderEventInline,
    OrderLineInline,
    PaymentInline,
    PaymentMilestoneInline,
)

BASIC = _("Basic info")
CUSTOMER = _("Customer info")
ITEMS = _("Order items")
DELIVERY = _("Delivery")
PAYMENTS = _("Payments")
ATTACHMENTS = _("Attachments")
RECORDS = _("Records")

# (slug, title, inlines): a fieldset belongs to the tab of its title.
ORDER_TABS = (
    ("basic", BASIC, ()),
    ("customer", CUSTOMER, ()),
    ("items", ITEMS, (OrderLineInline,)),
    ("delivery", DELIVERY, (DeliveryMilestoneInline,)),
    ("payments", PAYMENTS, (PaymentMilestoneInline, PaymentInline, InvoiceRequestInline)),
    ("attachments", ATTACHMENTS, (OrderAttachmentInline,)),
    ("records", RECORDS, (OrderEventInline,)),
)


def _fieldset_errors(fieldset) -> int:
    form = fieldset.form
    return sum(1 for name in fieldset.fields if isinstance(name, str) and form.errors.get(name))


def _inline_errors(inline_admin_formset) -> int:
    formset = inline_admin_formset.formset
    return sum(1 for errors in formset.errors if errors) + len(formset.non_form_errors())


def order_tabs(adminform, inline_admin_formsets) -> tuple[list[dict], str]:
    """The tabs with their fieldsets and inlines, and the tab to open first (the first one
    with an error, else 基本信息). A fieldset or inline no tab names lands in 基本信息,
    so nothing added later disappears from the page."""
    tabs = [
        {"slug": slug, "title": title, "fieldsets": [], "inlines": [], "errors": 0}
        for slug, title, _inlines in ORDER_TABS
    ]
    by_title = {str(title): tab for tab, (_slug, title, _i) in zip(tabs, ORDER_TABS, strict=True)}
    by_inline = {
        inline: tab
        for tab, (_slug, _title, inlines) in zip(tabs, ORDER_TABS, strict=True)
        for inline in inlines
    }
    for fieldset in adminform:
        tab = by_title.get(str(fieldset.name), tabs[0])
        tab["fieldsets"].append(fieldset)
        tab["errors"] += _fieldset_errors(fieldset)
    for inline_admin_formset in inline_admin_formsets:
        tab = by_inline.get(type(inline_admin_formset.opts), tabs[0])
        tab["inlines"].append(inline_admin_formset)
        tab["errors"] += _inline_errors(inline_admin_formset)
    active = next((tab["slug"] for tab in tabs if tab["errors"]), tabs[0]["slug"])
    return tabs, slugify(active)


class OrderTabsMixin:
    """Puts ``order_tabs`` and ``order_tab_active`` in the change page's context."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if "adminform" in context:
            tabs, active = order_tabs(
                context["adminform"], context.get("inline_admin_formsets") or []
            )
            context.update(order_tabs=tabs, order_tab_active=active)
        return super().render_change_form(request, context, add, change, form_url, obj)
