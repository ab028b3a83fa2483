"""Console: orders (订单). Orders, the offline-payment queue and invoice requests.

Orders come from checkout: the console never adds one, and its money fields are read
only. Every change goes through ``billing.services``: detail actions (交付, 完成, 取消订单,
确认线下付款, 驳回付款, milestone status changes) show an unfold-styled page on GET and
call one service on POST; the milestone and attachment inlines save through the
fulfilment services too. A ``BillingError`` becomes a form error or an error message,
never a false success.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from import_export import resources
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RangeDateFilter, RelatedDropdownFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.core.files import private_file_response
from backoffice.core.money import format_money, to_money
from billing.models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    InvoiceRequest,
    InvoiceRequestStatus,
    Order,
    OrderAttachment,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMilestone,
    PaymentMilestoneStatus,
    PaymentRecordStatus,
    PaymentStatus,
)
from billing.services.errors import BillingError
from billing.services.fulfilment import (
    DELIVERABLE,
    DELIVERY_CONTENT_MAX_LENGTH,
    INVOICE_NUMBER_MAX_LENGTH,
    PLANNABLE,
    attachment_add,
    invoice_issue,
    invoice_reject,
    milestone_add,
    milestone_delete,
    milestone_mark_delivered,
    milestone_update,
    order_complete,
    order_deliver,
    payment_milestone_add,
    payment_milestone_delete,
    payment_milestone_set_paid,
    payment_milestone_update,
    payment_milestones_total_problem,
)
from billing.services.orders import (
    TRANSITIONS,
    order_cancel,
    payment_confirm_offline,
    payment_reject_offline,
)
from catalog.models import Region
from partners.uploads import ACCEPT_ATTRIBUTE, check_upload

from .base import (
    ActionPageMixin,
    BaseAdmin,
    OwnerScopedMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    label_display,
    posted,
)
from .finance import _local
from .navigation import NavGroup
from .partners import DateOfDateTimeFilter
from .queues import ALREADY, DefaultingRadioFilter, ReviewQueueAdmin, ReviewStatusFilter

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


def _pk(object_id) -> int | None:
    try:
        return int(unquote(str(object_id)))
    except (TypeError, ValueError):
        return None


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


# --------------------------------------------------------------------------
# Inlines of the order page
# --------------------------------------------------------------------------


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


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "reference",
        "kind",
        "amount",
        "status",
        "payer_account",
        "paid_on",
        "transfer_reference",
        "created_at",
        "completed_at",
    )
    readonly_fields = fields
    verbose_name_plural = _("Payments")


# --------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------


class OrderResource(resources.ModelResource):
    """订单 export with Chinese headers. Rows stream from the database in chunks."""

    number = export_fields.Field(attribute="number", column_name=_("Order no."))
    channel = export_fields.Field(attribute="company__name", column_name=_("Channel"))
    customer_company = export_fields.Field(
        attribute="customer_company", column_name=_("Customer company")
    )
    sales = export_fields.Field(attribute="placed_by__email", column_name=_("Sales"))
    goods_total = export_fields.Field(column_name=_("Goods total"))
    coupon_discount = export_fields.Field(column_name=_("Discount amount"))
    rebate_amount = export_fields.Field(column_name=_("Deductible rebate amount"))
    credit_amount = export_fields.Field(column_name=_("Paid by credit line"))
    payable_total = export_fields.Field(column_name=_("Total payable"))
    currency = export_fields.Field(attribute="currency", column_name=_("Currency"))
    status = export_fields.Field(column_name=_("Order status"))
    payment_status = export_fields.Field(column_name=_("Payment status"))
    payment_method = export_fields.Field(column_name=_("Payment method"))
    created_at = export_fields.Field(column_name=_("Created at"))

    class Meta:
        model = Order
        fields = (
            "number",
            "channel",
            "customer_company",
            "sales",
            "goods_total",
            "coupon_discount",
            "rebate_amount",
            "credit_amount",
            "payable_total",
            "currency",
            "status",
            "payment_status",
            "payment_method",
            "created_at",
        )
        export_order = fields
        # No prefetch on the export queryset, so import-export streams it with
        # ``QuerySet.iterator(chunk_size=...)`` instead of loading every order at once.
        chunk_size = 500

    def get_queryset(self):
        return Order.objects.select_related("company", "placed_by").order_by("-created_at", "-pk")

    def _amount(self, value) -> str:
        return str(to_money(value))

    def dehydrate_goods_total(self, order: Order) -> str:
        return self._amount(order.goods_total)

    def dehydrate_coupon_discount(self, order: Order) -> str:
        return self._amount(order.coupon_discount)

    def dehydrate_rebate_amount(self, order: Order) -> str:
        return self._amount(order.rebate_amount)

    def dehydrate_credit_amount(self, order: Order) -> str:
        return self._amount(order.credit_amount)

    def dehydrate_payable_total(self, order: Order) -> str:
        return self._amount(order.payable_total)

    def dehydrate_status(self, order: Order) -> str:
        return str(order.get_status_display())

    def dehydrate_payment_status(self, order: Order) -> str:
        return str(order.get_payment_status_display())

    def dehydrate_payment_method(self, order: Order) -> str:
        return str(order.get_payment_method_display())

    def dehydrate_created_at(self, order: Order) -> str:
        return _local(order.created_at)


ORDER_FIELDSETS = (
    (
        _("Basic info"),
        {
            "fields": (
                "number",
                "created_at",
                "status",
                "payment_status",
                "payment_method",
                "paid_at",
                "expected_close_date",
                "remarks",
                "contract",
                "cancel_reason",
                "cancelled_at",
            )
        },
    ),
    (
        _("Amounts"),
        {
            "fields": (
                "currency",
                "goods_total",
                "coupon",
                "coupon_discount",
                "rebate_amount",
                "credit_amount",
                "payable_total",
            )
        },
    ),
    (
        _("Customer info"),
        {
            "fields": (
                "customer_company",
                "customer_name",
                "customer_email",
                "customer_phone",
                "customer_address",
                "region",
            )
        },
    ),
    (_("Channel partner"), {"fields": ("company", "placed_by")}),
    (_("Delivery"), {"fields": ("delivery_content", "supplementary_terms")}),
)
ORDER_READONLY = tuple(name for _title, block in ORDER_FIELDSETS for name in block["fields"])


class RegionFilter(admin.SimpleListFilter):
    """The order's region, offered from the catalog's regions (orders copy their SKU's).

    Django's default filter for a plain field lists ``SELECT DISTINCT region`` over every
    order, a full scan of the table on each page view.
    """

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return Region.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(region=value) if value else queryset


@admin.register(Order)
class OrderAdmin(OwnerScopedMixin, OrdersActionMixin, BaseAdmin):
    nav_group = NavGroup.ORDERS
    nav_icon = "receipt_long"
    nav_order = 10

    resource_classes = (OrderResource,)
    list_display = (
        "number",
        "company",
        "customer_company",
        "placed_by",
        "goods_total_display",
        "payable_display",
        "status_label",
        "payment_status_label",
        "payment_method",
        "created_at",
    )
    list_select_related = ("company", "placed_by")
    list_filter = (
        "status",
        "payment_status",
        "payment_method",
        "currency",
        RegionFilter,
        ("created_at", DateOfDateTimeFilter),
        ("company__tier", RelatedDropdownFilter),
    )
    # Order numbers match from the start (index-served on a million orders).
    search_fields = ("^number", "company__name", "customer_company", "placed_by__email")
    search_help_text = _(
        "Search by the start of the order no., or by channel, customer company or sales e-mail"
    )
    ordering = ("-created_at", "-pk")
    fieldsets = ORDER_FIELDSETS
    readonly_fields = ORDER_READONLY
    inlines = (
        OrderLineInline,
        DeliveryMilestoneInline,
        PaymentMilestoneInline,
        OrderAttachmentInline,
        InvoiceRequestInline,
        PaymentInline,
        OrderEventInline,
    )
    actions_detail = (
        "deliver_detail",
        "complete_detail",
        "milestone_delivered_detail",
        "instalment_paid_detail",
        "confirm_payment_detail",
        "reject_payment_detail",
        "cancel_detail",
    )

    # --- permissions: orders come from checkout and change only through actions ---

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _state(self, request: HttpRequest, object_id) -> Order | None:
        """The order's status row, read once per request for the action permissions."""
        cache = request.__dict__.setdefault("_orders_admin_state", {})
        pk = _pk(object_id)
        if pk not in cache:
            cache[pk] = (
                Order.objects.filter(pk=pk).only("pk", "status", "payment_status").first()
                if pk is not None
                else None
            )
        return cache[pk]

    def _pending_offline_payment(self, request: HttpRequest, object_id) -> Payment | None:
        cache = request.__dict__.setdefault("_orders_admin_payment", {})
        pk = _pk(object_id)
        if pk not in cache:
            cache[pk] = (
                Payment.objects.filter(
                    order_id=pk, kind=PaymentKind.OFFLINE, status=PaymentRecordStatus.PENDING
                )
                .order_by("pk")
                .first()
                if pk is not None
                else None
            )
        return cache[pk]

    def _may_change(self, request) -> bool:
        return request.user.has_perm("billing.change_order")

    def _in_status(self, request, object_id, statuses) -> bool:
        if not self._may_change(request):
            return False
        if object_id is None:
            return True
        order = self._state(request, object_id)
        return order is not None and order.status in statuses

    def has_deliver_permission(self, request, object_id=None) -> bool:
        return self._in_status(request, object_id, (OrderStatus.PROCESSING,))

    def has_complete_permission(self, request, object_id=None) -> bool:
        return self._in_status(request, object_id, (OrderStatus.DELIVERED,))

    def has_cancel_permission(self, request, object_id=None) -> bool:
        return self._in_status(request, object_id, CANCELLABLE)

    def has_milestone_delivered_permission(self, request, object_id=None) -> bool:
        if not self._in_status(request, object_id, DELIVERABLE):
            return False
        return object_id is None or (
            DeliveryMilestone.objects.filter(
                order_id=_pk(object_id), status=DeliveryMilestoneStatus.PENDING
            ).exists()
        )

    def has_instalment_paid_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm("billing.change_order"):
            return False
        return object_id is None or (
            PaymentMilestone.objects.filter(
                order_id=_pk(object_id), status=PaymentMilestoneStatus.UNPAID
            )
            .exclude(order__status=OrderStatus.CANCELLED)
            .exists()
        )

    def has_review_payment_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm("billing.change_payment"):
            return False
        return object_id is None or self._pending_offline_payment(request, object_id) is not None

    # --- columns ---

    @display(description=_("goods total"), ordering="goods_total")
    def goods_total_display(self, obj: Order) -> str:
        return format_money(obj.goods_total, obj.currency)

    @display(description=_("total payable"), ordering="payable_total")
    def payable_display(self, obj: Order) -> str:
        return format_money(obj.payable_total, obj.currency)

    @label_display(description=_("order status"), labels=ORDER_STATUS_LABELS, ordering="status")
    def status_label(self, obj: Order):
        return obj.status, obj.get_status_display()

    @label_display(
        description=_("payment status"), labels=PAYMENT_STATUS_LABELS, ordering="payment_status"
    )
    def payment_status_label(self, obj: Order):
        return obj.payment_status, obj.get_payment_status_display()

    # --- saving: the order row itself is never written from the form ---

    def save_model(self, request, obj, form, change) -> None:
        """Every order field is read only: milestones and attachments save in their inlines."""

    def save_formset(self, request, form, formset, change) -> None:
        """Inline rows are written by the fulfilment services, never by ``formset.save()``.

        The ``*_objects`` lists feed the admin's change message (history log)."""
        order = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is DeliveryMilestone:
            self._save_plan(request, order, formset, kind="delivery")
        elif formset.model is PaymentMilestone:
            self._save_plan(request, order, formset, kind="payment")
        elif formset.model is OrderAttachment:
            for inline_form in formset.extra_forms:
                upload = inline_form.cleaned_data.get("upload")
                if inline_form.has_changed() and upload is not None:
                    formset.new_objects.append(
                        attachment_add(
                            order_id=order.pk,
                            actor=request.user,
                            title=inline_form.cleaned_data.get("title", ""),
                            upload=upload,
                        )
                    )
        # The other inlines are read only: nothing to save.

    def _save_plan(self, request, order: Order, formset, *, kind: str) -> None:
        delivery = kind == "delivery"
        for inline_form in formset.forms:
            instance = inline_form.instance
            if instance.pk and formset._should_delete_form(inline_form):
                (milestone_delete if delivery else payment_milestone_delete)(
                    milestone_id=instance.pk, actor=request.user
                )
                formset.deleted_objects.append(instance)
                continue
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            data = dict(inline_form.cleaned_data)
            fields = {
                "stage": data.get("stage", ""),
                "remarks": data.get("remarks", ""),
                "position": data.get("position"),
            }
            if delivery:
                fields.update(
                    planned_date=data.get("planned_date"),
                    acceptance_criteria=data.get("acceptance_criteria", ""),
                )
            else:
                fields.update(amount=data.get("amount"), due_date=data.get("due_date"))
            if instance.pk:
                saved = (milestone_update if delivery else payment_milestone_update)(
                    milestone_id=instance.pk, actor=request.user, **fields
                )
                formset.changed_objects.append((saved, inline_form.changed_data))
            else:
                saved = (milestone_add if delivery else payment_milestone_add)(
                    order_id=order.pk, actor=request.user, **fields
                )
                formset.new_objects.append(saved)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of a service while saving the inlines rolls everything back and says why."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BillingError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- private files ---

    def get_urls(self):
        return [
            self.object_path(
                "attachments/<int:attachment_id>/",
                self.attachment_view,
                name="billing_order_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, order: Order, attachment_id: int) -> HttpResponse:
        attachment = get_object_or_404(OrderAttachment, pk=attachment_id, order=order)
        return private_file_response(
            attachment.file,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )

    # --- detail actions ---

    def _summary(self, order: Order) -> list[tuple[str, object]]:
        return [
            (_("order no."), order.number),
            (_("channel"), order.company.name),
            (_("customer company"), order.customer_company),
            (_("total payable"), format_money(order.payable_total, order.currency)),
            (_("order status"), order.get_status_display()),
            (_("payment status"), order.get_payment_status_display()),
        ]

    @action(
        description=_("Deliver"),
        url_path="deliver",
        permissions=["deliver"],
        icon="local_shipping",
        variant=ActionVariant.PRIMARY,
    )
    def deliver_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)

        def perform(data) -> str:
            order_deliver(
                order_id=order.pk,
                actor=request.user,
                delivery_content=data["delivery_content"],
            )
            return gettext("Order %(number)s is delivered; the company was e-mailed.") % {
                "number": order.number
            }

        return self._form_action(
            request,
            order,
            DeliverForm(posted(request), initial={"delivery_content": order.delivery_content}),
            perform=perform,
            title=gettext("Deliver the order"),
            description=gettext(
                "Records the delivery content and moves the order from “Processing” to "
                "“Delivered”. The buyer then confirms receipt."
            ),
            submit_label=gettext("Deliver"),
            summary=self._summary,
        )

    @action(
        description=_("Complete"),
        url_path="complete",
        permissions=["complete"],
        icon="task_alt",
        variant=ActionVariant.SUCCESS,
    )
    def complete_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)

        def perform(data) -> str:
            order_complete(order_id=order.pk, actor=request.user, by_staff=True)
            return gettext("Order %(number)s is completed.") % {"number": order.number}

        return self._form_action(
            request,
            order,
            forms.Form(posted(request)),
            perform=perform,
            title=gettext("Complete the order"),
            description=gettext(
                "Normally the buyer confirms receipt. Complete the order here only when the "
                "buyer agreed outside the portal. A completed order can be reviewed and can no "
                "longer be cancelled."
            ),
            submit_label=gettext("Complete"),
            summary=self._summary,
        )

    def _reversal_notes(self, order: Order) -> list[str]:
        notes = []
        if order.coupon_id:
            notes.append(
                gettext("Coupon %(code)s returns to unused (or expired if past its validity).")
                % {"code": order.coupon.code}
            )
        if order.rebate_amount > 0:
            notes.append(
                gettext("%(amount)s of rebate goes back to the rebate wallet.")
                % {"amount": format_money(order.rebate_amount, order.currency)}
            )
        if order.credit_amount > 0:
            notes.append(
                gettext("%(amount)s charged to the credit line is reversed.")
                % {"amount": format_money(order.credit_amount, order.currency)}
            )
        if order.payments.filter(status=PaymentRecordStatus.PENDING).exists():
            notes.append(gettext("Payments waiting for confirmation are marked failed."))
        if order.payment_status == PaymentStatus.PAID and order.amount_due > 0:
            notes.append(
                gettext(
                    "The payment status becomes “Refund due”: the %(amount)s received goes to "
                    "finance's refunds queue (待退款) until the refund is recorded."
                )
                % {"amount": format_money(order.amount_due, order.currency)}
            )
        elif order.payment_status == PaymentStatus.PAID:
            notes.append(gettext("The payment status becomes “Refunded”."))
        if not notes:
            notes.append(gettext("Nothing was posted for this order; only its status changes."))
        return notes

    @action(
        description=_("Cancel order"),
        url_path="cancel",
        permissions=["cancel"],
        icon="cancel",
        variant=ActionVariant.DANGER,
    )
    def cancel_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)

        def perform(data) -> str:
            order_cancel(
                order_id=order.pk, actor=request.user, reason=data["reason"], by_staff=True
            )
            return gettext("Order %(number)s is cancelled and every posting was reversed.") % {
                "number": order.number
            }

        return self._form_action(
            request,
            order,
            CancelOrderForm(posted(request)),
            perform=perform,
            title=gettext("Cancel the order"),
            description=gettext("Cancelling reverses every posting of the order:"),
            notes=self._reversal_notes,
            submit_label=gettext("Cancel order"),
            variant="danger",
            summary=self._summary,
        )

    @action(
        description=_("Mark milestone delivered"),
        url_path="milestone-delivered",
        permissions=["milestone_delivered"],
        icon="flag",
        variant=ActionVariant.DEFAULT,
    )
    def milestone_delivered_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)
        form = MilestoneChoiceForm(
            posted(request),
            queryset=DeliveryMilestone.objects.filter(
                order=order, status=DeliveryMilestoneStatus.PENDING
            ).order_by("position", "pk"),
        )

        def perform(data) -> str:
            milestone = data["milestone"]
            milestone_mark_delivered(milestone_id=milestone.pk, actor=request.user)
            return gettext("“%(stage)s” is delivered; the buyer is asked to confirm it.") % {
                "stage": milestone.stage
            }

        return self._form_action(
            request,
            order,
            form,
            perform=perform,
            title=gettext("Mark a delivery milestone delivered"),
            description=gettext(
                "The buyer then confirms the milestone in the portal; service delivery is "
                "complete when the buyer confirms."
            ),
            submit_label=gettext("Mark delivered"),
            summary=self._summary,
        )

    @action(
        description=_("Mark instalment paid"),
        url_path="instalment-paid",
        permissions=["instalment_paid"],
        icon="paid",
        variant=ActionVariant.DEFAULT,
    )
    def instalment_paid_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)
        form = MilestoneChoiceForm(
            posted(request),
            queryset=PaymentMilestone.objects.filter(
                order=order, status=PaymentMilestoneStatus.UNPAID
            ).order_by("position", "pk"),
        )
        form.fields["milestone"].label = _("Payment milestone")

        def perform(data) -> str:
            milestone = data["milestone"]
            payment_milestone_set_paid(milestone_id=milestone.pk, actor=request.user)
            return gettext("Instalment “%(stage)s” (%(amount)s) is marked paid.") % {
                "stage": milestone.stage,
                "amount": format_money(milestone.amount, milestone.currency),
            }

        return self._form_action(
            request,
            order,
            form,
            perform=perform,
            title=gettext("Mark a payment milestone paid"),
            submit_label=gettext("Mark paid"),
            summary=self._summary,
        )

    def _payment_or_back(self, request, order: Order) -> Payment | None:
        payment = self._pending_offline_payment(request, order.pk)
        if payment is None:
            self.message_user(
                request,
                gettext("No offline transfer of this order is waiting for confirmation."),
                messages.INFO,
            )
        return payment

    def _payment_summary(self, order: Order, payment: Payment) -> list[tuple[str, object]]:
        return [
            *self._summary(order),
            (_("payment order no."), payment.reference),
            (_("amount"), format_money(payment.amount, payment.currency)),
            (_("paying bank account"), payment.payer_account),
            (_("payment date"), payment.paid_on),
            (_("transfer reference"), payment.transfer_reference),
        ]

    @action(
        description=_("Confirm offline payment"),
        url_path="confirm-payment",
        permissions=["review_payment"],
        icon="price_check",
        variant=ActionVariant.SUCCESS,
    )
    def confirm_payment_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)
        payment = self._payment_or_back(request, order)
        if payment is None:
            return HttpResponseRedirect(self._change_url(order))

        def perform(data) -> str:
            payment_confirm_offline(payment_id=payment.pk, actor=request.user)
            return gettext("Confirmed the transfer %(reference)s; order %(number)s is paid.") % {
                "reference": payment.reference,
                "number": order.number,
            }

        return self._form_action(
            request,
            order,
            forms.Form(posted(request)),
            perform=perform,
            title=gettext("Confirm the offline payment"),
            description=gettext(
                "Confirm only after the transfer arrived on Blue Cloud's account. The order "
                "then becomes paid and goes to processing."
            ),
            submit_label=gettext("Confirm"),
            summary=lambda order: self._payment_summary(order, payment),
        )

    @action(
        description=_("Reject payment"),
        url_path="reject-payment",
        permissions=["review_payment"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def reject_payment_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._object_or_404(request, object_id)
        payment = self._payment_or_back(request, order)
        if payment is None:
            return HttpResponseRedirect(self._change_url(order))

        def perform(data) -> str:
            payment_reject_offline(payment_id=payment.pk, actor=request.user, reason=data["reason"])
            return gettext("Rejected the transfer %(reference)s of order %(number)s.") % {
                "reference": payment.reference,
                "number": order.number,
            }

        return self._form_action(
            request,
            order,
            RejectPaymentForm(posted(request)),
            perform=perform,
            title=gettext("Reject the offline payment"),
            submit_label=gettext("Reject"),
            variant="danger",
            summary=lambda order: self._payment_summary(order, payment),
        )


# --------------------------------------------------------------------------
# Payments: the offline-payment work queue
# --------------------------------------------------------------------------


class PaymentKindFilter(DefaultingRadioFilter):
    title = _("kind")
    parameter_name = "kind"
    default = PaymentKind.OFFLINE
    options = PaymentKind.choices


@admin.register(Payment)
class PaymentAdmin(OrdersActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
    nav_group = NavGroup.ORDERS
    nav_icon = "payments"
    nav_order = 20

    review_statuses = PaymentRecordStatus
    pending_status = PaymentRecordStatus.PENDING
    pending_filter = {"kind": PaymentKind.OFFLINE}
    review_permissions = ("billing.change_payment",)
    confirm_service = staticmethod(payment_confirm_offline)
    reject_service = staticmethod(payment_reject_offline)
    service_object_arg = "payment_id"

    list_display = (
        "reference",
        "order_link",
        "company",
        "amount_display",
        "payer_account",
        "paid_on",
        "transfer_reference",
        "status_label",
        "created_at",
    )
    list_select_related = ("order__company",)
    list_filter = (PaymentKindFilter, ReviewStatusFilter, ("paid_on", RangeDateFilter))
    search_fields = (
        "reference",
        "order__number",
        "order__company__name",
        "payer_account",
        "transfer_reference",
    )
    search_help_text = _(
        "Search by payment order no., order no., company, paying account or transfer reference"
    )
    ordering = ("-created_at", "-pk")
    fields = (
        "reference",
        "order",
        "kind",
        "provider",
        "amount",
        "currency",
        "status",
        "payer_account",
        "paid_on",
        "transfer_reference",
        "created_at",
        "completed_at",
        "reviewed_by",
        "rejection_reason",
    )
    readonly_fields = fields
    actions = ("confirm_selected",)
    actions_detail = ("confirm_detail", "reject_detail")

    @display(description=_("order"), ordering="order__number")
    def order_link(self, obj: Payment) -> str:
        url = reverse("admin:billing_order_change", args=[obj.order_id])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.order.number)

    @display(description=_("channel"), ordering="order__company__name")
    def company(self, obj: Payment) -> str:
        return obj.order.company.name

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Payment) -> str:
        return format_money(obj.amount, obj.currency)

    @label_display(description=_("status"), labels=PAYMENT_RECORD_LABELS, ordering="status")
    def status_label(self, obj: Payment):
        return obj.status, obj.get_status_display()

    def has_confirm_permission(self, request, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def has_reject_permission(self, request, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def _summary(self, payment: Payment) -> list[tuple[str, object]]:
        return [
            (_("payment order no."), payment.reference),
            (_("order"), payment.order.number),
            (_("channel"), payment.order.company.name),
            (_("amount"), format_money(payment.amount, payment.currency)),
            (_("paying bank account"), payment.payer_account),
            (_("payment date"), payment.paid_on),
            (_("transfer reference"), payment.transfer_reference),
            (_("status"), payment.get_status_display()),
        ]

    @staticmethod
    def _label(payment: Payment) -> dict:
        return {"reference": payment.reference, "number": payment.order.number}

    @action(
        description=_("Confirm"),
        url_path="confirm",
        permissions=["confirm"],
        icon="check_circle",
        variant=ActionVariant.SUCCESS,
    )
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: forms.Form(posted(request)),
            message=lambda payment, _result, _data: (
                gettext("Confirmed the transfer %(reference)s; order %(number)s is paid.")
                % self._label(payment)
            ),
            title=gettext("Confirm the offline payment"),
            description=gettext(
                "Confirm only after the transfer arrived on Blue Cloud's account. The order "
                "then becomes paid and goes to processing."
            ),
            submit_label=gettext("Confirm"),
        )

    @action(
        description=_("Reject"),
        url_path="reject",
        permissions=["reject"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.reject,
            form=lambda: RejectPaymentForm(posted(request)),
            message=lambda payment, _result, _data: (
                gettext("Rejected the transfer %(reference)s of order %(number)s.")
                % self._label(payment)
            ),
            title=gettext("Reject the offline payment"),
            submit_label=gettext("Reject"),
            variant="danger",
        )

    def _bulk_check(self, payment: Payment) -> str | None:
        if payment.kind != PaymentKind.OFFLINE:
            return gettext("not an offline transfer")
        if payment.status == PaymentRecordStatus.SUCCEEDED:
            return ALREADY
        return None

    @admin.action(description=_("Confirm selected offline payments"), permissions=["confirm"])
    def confirm_selected(self, request: HttpRequest, queryset) -> None:
        self.apply_to_selected(
            request,
            queryset.select_related("order").order_by("pk"),
            lambda payment: self.confirm(request, payment),
            label=lambda payment: f"{payment.reference} ({payment.order.number})",
            check=self._bulk_check,
            # A concurrent confirmation may have won between the read and the lock.
            outcome=lambda result: None if result.reviewed_by_id == request.user.pk else ALREADY,
            done_text=gettext("%(count)d payment(s) confirmed: %(items)s."),
            already_text=gettext("%(count)d payment(s) were already confirmed: %(items)s."),
            failed_text=gettext("%(count)d payment(s) could not be confirmed: %(details)s"),
        )


# --------------------------------------------------------------------------
# Invoice requests (申请开票): the finance queue
# --------------------------------------------------------------------------


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(OrdersActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
    nav_group = NavGroup.ORDERS
    nav_icon = "request_quote"
    nav_order = 30

    review_statuses = InvoiceRequestStatus
    pending_status = InvoiceRequestStatus.PENDING
    review_permissions = ("billing.change_invoicerequest",)
    confirm_service = staticmethod(invoice_issue)
    reject_service = staticmethod(invoice_reject)
    service_object_arg = "request_id"
    confirm_fields = ("invoice_number", "pdf")

    list_display = (
        "order_link",
        "company",
        "invoice_type",
        "title",
        "tax_id",
        "amount_display",
        "status_label",
        "invoice_number",
        "requested_by",
        "created_at",
    )
    list_select_related = ("order__company", "requested_by")
    list_filter = (ReviewStatusFilter, "invoice_type", ("created_at", DateOfDateTimeFilter))
    search_fields = ("order__number", "order__company__name", "title", "tax_id", "invoice_number")
    search_help_text = _("Search by order no., company, invoice title, tax ID or invoice number")
    ordering = ("created_at", "pk")
    fields = (
        "order",
        "invoice_type",
        "title",
        "tax_id",
        "address_phone",
        "bank_account",
        "email",
        "amount",
        "currency",
        "status",
        "requested_by",
        "created_at",
        "invoice_number",
        "pdf_link",
        "rejection_reason",
        "processed_by",
        "processed_at",
    )
    readonly_fields = fields
    actions_detail = ("issue_detail", "reject_detail")

    @display(description=_("order"), ordering="order__number")
    def order_link(self, obj: InvoiceRequest) -> str:
        url = reverse("admin:billing_order_change", args=[obj.order_id])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.order.number)

    @display(description=_("channel"), ordering="order__company__name")
    def company(self, obj: InvoiceRequest) -> str:
        return obj.order.company.name

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: InvoiceRequest) -> str:
        return format_money(obj.amount, obj.currency)

    @label_display(description=_("status"), labels=INVOICE_STATUS_LABELS, ordering="status")
    def status_label(self, obj: InvoiceRequest):
        return obj.status, obj.get_status_display()

    @display(description=_("invoice PDF"))
    def pdf_link(self, obj: InvoiceRequest) -> str:
        if not obj.invoice_pdf:
            return "—"
        url = reverse("admin:billing_invoicerequest_pdf", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.pdf_filename)

    def get_urls(self):
        return [
            self.object_path("pdf/", self.pdf_view, name="billing_invoicerequest_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, invoice: InvoiceRequest) -> HttpResponse:
        if not invoice.invoice_pdf:
            raise Http404
        return private_file_response(
            invoice.invoice_pdf, filename=invoice.pdf_filename, content_type="application/pdf"
        )

    def has_issue_permission(self, request, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def has_reject_permission(self, request, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def _summary(self, invoice: InvoiceRequest) -> list[tuple[str, object]]:
        return [
            (_("order"), invoice.order.number),
            (_("channel"), invoice.order.company.name),
            (_("invoice type"), invoice.get_invoice_type_display()),
            (_("invoice title"), invoice.title),
            (_("tax ID"), invoice.tax_id),
            (_("address and phone"), invoice.address_phone),
            (_("bank and account"), invoice.bank_account),
            (_("e-mail"), invoice.email),
            (_("amount"), format_money(invoice.amount, invoice.currency)),
        ]

    @action(
        description=_("Issue invoice"),
        url_path="issue",
        permissions=["issue"],
        icon="receipt",
        variant=ActionVariant.SUCCESS,
    )
    def issue_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: IssueInvoiceForm(
                posted(request), request.FILES if request.method == "POST" else None
            ),
            message=lambda invoice, _result, data: (
                gettext(
                    "Invoice %(invoice)s recorded for order %(number)s; the company was e-mailed."
                )
                % {"invoice": data["invoice_number"], "number": invoice.order.number}
            ),
            title=gettext("Issue the invoice"),
            description=gettext(
                "Record the invoice number and upload the issued invoice PDF; the buyer can "
                "download it from the order page."
            ),
            submit_label=gettext("Issue invoice"),
        )

    @action(
        description=_("Reject"),
        url_path="reject",
        permissions=["reject"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.reject,
            form=lambda: RejectInvoiceForm(posted(request)),
            message=lambda invoice, _result, _data: (
                gettext(
                    "Rejected the invoice request of order %(number)s; the company was e-mailed."
                )
                % {"number": invoice.order.number}
            ),
            title=gettext("Reject the invoice request"),
            submit_label=gettext("Reject"),
            variant="danger",
        )
