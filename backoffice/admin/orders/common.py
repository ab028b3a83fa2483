"""What the order admins share: status badges, the detail-action page and its forms."""

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from billing.models import (
    DeliveryMilestone,
    InvoiceRequestStatus,
    OrderStatus,
    PaymentRecordStatus,
    PaymentStatus,
)
from billing.services.errors import BillingError
from billing.services.fulfilment import (
    DELIVERY_CONTENT_MAX_LENGTH,
)
from billing.services.invoices import (
    INVOICE_NUMBER_MAX_LENGTH,
)
from billing.services.orders import TRANSITIONS

from ..base import ActionPageMixin, money_column, text_field

ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "warning",
    OrderStatus.PROCESSING: "info",
    OrderStatus.DELIVERED: "primary",
    OrderStatus.COMPLETED: "success",
    OrderStatus.CANCELLED: "danger",
}
PAYMENT_STATUS_LABELS = {
    PaymentStatus.UNPAID: "warning",
    PaymentStatus.AWAITING_CONFIRMATION: "info",
    PaymentStatus.PAID: "success",
    PaymentStatus.REFUND_DUE: "danger",
    PaymentStatus.REFUNDED: "info",
}
PAYMENT_RECORD_LABELS = {
    PaymentRecordStatus.PENDING: "warning",
    PaymentRecordStatus.SUCCEEDED: "success",
    PaymentRecordStatus.FAILED: "danger",
    PaymentRecordStatus.REJECTED: "danger",
    PaymentRecordStatus.REFUND_DUE: "danger",
    PaymentRecordStatus.REFUNDED: "info",
}
INVOICE_STATUS_LABELS = {
    InvoiceRequestStatus.PENDING: "warning",
    InvoiceRequestStatus.ISSUED: "success",
    InvoiceRequestStatus.REJECTED: "danger",
}
CANCELLABLE = tuple(
    status for status, targets in TRANSITIONS.items() if OrderStatus.CANCELLED in targets
)


def _reason_field(label=None, help_text=None) -> forms.CharField:
    return text_field(
        label or _("Reason"), help_text or _("Required. Kept with the order for audit.")
    )


class OrdersActionMixin(ActionPageMixin):
    """Detail-action pages of the order admins; the template also takes file uploads."""

    action_form_name = "orders"
    action_form_multipart = "auto"
    action_errors = (BillingError,)

    def _action_page(self, request, obj, form, *, notes=None, **kwargs):
        response = super()._action_page(request, obj, form, **kwargs)
        response.context_data["notes"] = notes or []
        return response


# --------------------------------------------------------------------------
# Forms of the detail actions
# --------------------------------------------------------------------------


class DeliverForm(forms.Form):
    delivery_content = text_field(
        _("Delivery content"),
        _("Serial numbers, licence keys or access details the buyer sees (序列号)."),
        max_length=DELIVERY_CONTENT_MAX_LENGTH,
        rows=5,
        required=False,
    )


class CancelOrderForm(forms.Form):
    reason = _reason_field(
        _("Cancel reason"), _("Required. The buyer sees it; every posting is reversed.")
    )


class RejectPaymentForm(forms.Form):
    reason = _reason_field(_("Rejection reason"), _("Required. The buyer sees it."))


# The pages of an offline payment's review, from its queue or from its order's page.
OFFLINE_PAYMENT_CONFIRM = {
    "title": _("Confirm the offline payment"),
    "description": _(
        "Confirm only after the transfer arrived on Blue Cloud's account. The order "
        "then becomes paid and goes to processing."
    ),
    "message": _("Confirmed the transfer %(reference)s; order %(number)s is paid."),
}
OFFLINE_PAYMENT_REJECT = {
    "title": _("Reject the offline payment"),
    "form": RejectPaymentForm,
    "message": _("Rejected the transfer %(reference)s of order %(number)s."),
}


class MilestoneChoiceForm(forms.Form):
    milestone = forms.ModelChoiceField(
        label=_("Milestone"),
        queryset=DeliveryMilestone.objects.none(),
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(self, *args, queryset: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = queryset


class IssueInvoiceForm(forms.Form):
    invoice_number = forms.CharField(
        label=_("Invoice number"),
        max_length=INVOICE_NUMBER_MAX_LENGTH,
        widget=UnfoldAdminTextInputWidget,
    )
    pdf = forms.FileField(
        label=_("Invoice PDF"),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".pdf"}),
        help_text=_("The issued invoice as a PDF file (at most 10 MB)."),
    )


class RejectInvoiceForm(forms.Form):
    reason = _reason_field(_("Rejection reason"), _("Required. The buyer sees it and is e-mailed."))


class OrderRowColumnsMixin:
    """The order (a link to it), channel and amount columns of a row of an order."""

    @display(description=_("order"), ordering="order__number")
    def order_link(self, obj) -> str:
        url = reverse("admin:billing_order_change", args=[obj.order_id])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.order.number)

    @display(description=_("channel"), ordering="order__company__name")
    def company(self, obj) -> str:
        return obj.order.company.name

    amount_display = money_column("amount", _("amount"), ordering="amount")
