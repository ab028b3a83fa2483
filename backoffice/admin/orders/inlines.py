"""Inlines of the order page: lines, delivery and payment plans, attachments, history."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.decorators import display
from unfold.widgets import UnfoldAdminFileFieldWidget

from backoffice.core.money import to_money
from billing.models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    InvoiceRequest,
    Order,
    OrderAttachment,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMilestone,
    PaymentMilestoneStatus,
    PaymentStatus,
)
from billing.services.fulfilment import PLANNABLE, payment_milestones_total_problem
from partners.uploads import ACCEPT_ATTRIBUTE, check_upload

from ..base import ReadOnlyInline
from ..finance.common import _local


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "solution_name",
        "plan_name",
        "sku_code",
        "kind",
        "unit_price",
        "quantity",
        "line_total",
    )
    readonly_fields = fields
    verbose_name_plural = _("Solutions")


def _may_plan(request, order: Order | None) -> bool:
    return (
        order is not None
        and order.status in PLANNABLE
        and request.user.has_perm("billing.change_order")
    )


class PlanInline(TabularInline):
    """Milestone inlines: staff edit the plan while the order is open; saved by services."""

    extra = 0
    show_title = False

    def has_add_permission(self, request, obj=None) -> bool:
        return _may_plan(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _may_plan(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _may_plan(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_order")


class LockedRowsForm(forms.ModelForm):
    """A row that is no longer editable (confirmed, paid) shows its values disabled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance.is_editable:
            for field in self.fields.values():
                field.disabled = True


class DeliveryMilestoneForm(LockedRowsForm):
    class Meta:
        model = DeliveryMilestone
        fields = ("position", "stage", "planned_date", "acceptance_criteria", "remarks")


class PlanFormSet(BaseInlineFormSet):
    locked_message = ""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.instance.pk or not self._should_delete_form(form):
                continue
            if form.instance.status not in (
                DeliveryMilestoneStatus.PENDING,
                PaymentMilestoneStatus.UNPAID,
            ):
                raise ValidationError(self.locked_message % {"stage": form.instance.stage})


class DeliveryMilestoneFormSet(PlanFormSet):
    locked_message = _("“%(stage)s” is already delivered; it cannot be removed.")


class DeliveryMilestoneInline(PlanInline):
    model = DeliveryMilestone
    form = DeliveryMilestoneForm
    formset = DeliveryMilestoneFormSet
    fields = (
        "position",
        "stage",
        "planned_date",
        "acceptance_criteria",
        "remarks",
        "status_label",
        "confirmation",
    )
    readonly_fields = ("status_label", "confirmation")
    verbose_name = _("delivery milestone")
    verbose_name_plural = _("Delivery milestones")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("confirmed_by")

    @display(description=_("status"))
    def status_label(self, obj: DeliveryMilestone) -> str:
        return obj.get_status_display() if obj.pk else "—"

    @display(description=_("confirmed by"))
    def confirmation(self, obj: DeliveryMilestone) -> str:
        if not obj.confirmed_at:
            return "—"
        return f"{obj.confirmed_by} · {_local(obj.confirmed_at)}"


class PaymentMilestoneForm(LockedRowsForm):
    class Meta:
        model = PaymentMilestone
        fields = ("position", "stage", "amount", "due_date", "remarks")


class PaymentMilestoneFormSet(PlanFormSet):
    locked_message = _("“%(stage)s” is paid; it cannot be removed.")

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        total = Decimal("0.00")
        for form in self.forms:
            if self._should_delete_form(form):
                continue
            amount = form.cleaned_data.get("amount") if form.has_changed() else form.instance.amount
            if amount is None and form.instance.pk:
                amount = form.instance.amount
            if amount is not None and (form.instance.pk or form.has_changed()):
                total += to_money(amount)
        problem = payment_milestones_total_problem(self.instance, total)
        if problem:
            raise ValidationError(problem)


class PaymentMilestoneInline(PlanInline):
    model = PaymentMilestone
    form = PaymentMilestoneForm
    formset = PaymentMilestoneFormSet
    fields = ("position", "stage", "amount", "due_date", "remarks", "status_label", "paid_at")
    readonly_fields = ("status_label", "paid_at")
    verbose_name = _("payment milestone")
    verbose_name_plural = _("Payment milestones")

    @display(description=_("status"))
    def status_label(self, obj: PaymentMilestone) -> str:
        return obj.get_status_display() if obj.pk else "—"


class AttachmentForm(forms.ModelForm):
    """A new row uploads a file (checked by content); existing rows are a record only."""

    upload = forms.FileField(
        label=_("File"),
        required=False,
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text=_("jpg, png, gif, bmp or pdf, at most 10 MB; checked by content."),
    )

    class Meta:
        model = OrderAttachment
        fields = ("title",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for field in self.fields.values():
                field.disabled = True

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if self.instance.pk:
            return None
        if upload is None:
            if self.has_changed():
                raise ValidationError(_("Choose a file to upload."))
            return None
        check_upload(upload)  # the service checks again; this puts the error on the field
        return upload


class OrderAttachmentInline(TabularInline):
    model = OrderAttachment
    form = AttachmentForm
    extra = 0
    show_title = False
    can_delete = False
    fields = ("title", "upload", "download", "size", "uploaded_by", "created_at")
    readonly_fields = ("download", "size", "uploaded_by", "created_at")
    verbose_name = _("attachment")
    verbose_name_plural = _("Attachments")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def get_fields(self, request, obj=None):
        # A role that may not upload sees the record only: the form-only upload column
        # would have no widget and Django's label for it, "Upload", in English.
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return [name for name in fields if name != "upload"]

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is not None and request.user.has_perm("billing.change_order")

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.view_order")

    @display(description=_("file name"))
    def download(self, obj: OrderAttachment) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:billing_order_attachment", args=[obj.order_id, obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.original_name)


class InvoiceRequestInline(ReadOnlyInline):
    model = InvoiceRequest
    fields = ("created_at", "invoice_type", "title", "tax_id", "status", "invoice_number", "link")
    readonly_fields = fields
    verbose_name_plural = _("Invoice requests")

    @display(description=_("Open"))
    def link(self, obj: InvoiceRequest) -> str:
        url = reverse("admin:billing_invoicerequest_change", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, gettext("Open"))


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = (
        "created_at",
        "from_status_label",
        "to_status_label",
        "payment_status_label",
        "actor_display",
        "note",
    )
    readonly_fields = fields
    verbose_name_plural = _("Status history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @display(description=_("by"))
    def actor_display(self, obj: OrderEvent) -> str:
        return str(obj.actor) if obj.actor_id else "—"

    @display(description=_("from"))
    def from_status_label(self, obj: OrderEvent) -> str:
        return OrderStatus(obj.from_status).label if obj.from_status in OrderStatus.values else "—"

    @display(description=_("to"))
    def to_status_label(self, obj: OrderEvent) -> str:
        return (
            OrderStatus(obj.to_status).label
            if obj.to_status in OrderStatus.values
            else obj.to_status
        )

    @display(description=_("payment status"))
    def payment_status_label(self, obj: OrderEvent) -> str:
        if obj.payment_status in PaymentStatus.values:
            return PaymentStatus(obj.payment_status).label
        return obj.payment_status or "—"


# A payment's transfer and its times, as the order page's inline and the payments queue show
# them (after the fields each adds before).
PAYMENT_TRANSFER_FIELDS = (
    "payer_account",
    "paid_on",
    "transfer_reference",
    "created_at",
    "completed_at",
)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("reference", "kind", "amount", "status", *PAYMENT_TRANSFER_FIELDS)
    readonly_fields = fields
    verbose_name_plural = _("Payments")


# The order page's inlines, in page order (orders/tabs.py puts each on its tab).
ORDER_INLINES = (
    OrderLineInline,
    DeliveryMilestoneInline,
    PaymentMilestoneInline,
    OrderAttachmentInline,
    InvoiceRequestInline,
    PaymentInline,
    OrderEventInline,
)
