"""Payments: the offline-payment work queue."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from backoffice.core.money import format_money
from billing.models import Payment, PaymentKind, PaymentRecordStatus
from billing.services.orders import payment_confirm_offline, payment_reject_offline

from ..base import ReadOnlyAdmin, label_display, posted
from ..navigation import NavGroup
from ..queues import ALREADY, DefaultingRadioFilter, ReviewQueueAdmin, ReviewStatusFilter
from .common import PAYMENT_RECORD_LABELS, OrdersActionMixin, RejectPaymentForm


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
