"""What the order admins share: status badges, the detail-action page and its forms."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
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

from ..base import ActionPageMixin

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
    return forms.CharField(
        label=label or _("Reason"),
        max_length=200,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=help_text or _("Required. Kept with the order for audit."),
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
    delivery_content = forms.CharField(
        label=_("Delivery content"),
        max_length=DELIVERY_CONTENT_MAX_LENGTH,
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 5}),
        help_text=_("Serial numbers, licence keys or access details the buyer sees (序列号)."),
    )


class CancelOrderForm(forms.Form):
    reason = _reason_field(
        _("Cancel reason"), _("Required. The buyer sees it; every posting is reversed.")
    )


class RejectPaymentForm(forms.Form):
    reason = _reason_field(_("Rejection reason"), _("Required. The buyer sees it."))


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
