"""Payments: the offline-payment work queue."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter

from backoffice.core.money import format_money
from billing.models import Payment, PaymentKind, PaymentRecordStatus
from billing.services.orders import payment_confirm_offline, payment_reject_offline

from ..base import ReadOnlyAdmin, status_column
from ..queues import ALREADY, DefaultingRadioFilter, ReviewQueueAdmin, ReviewStatusFilter
from .common import (
    OFFLINE_PAYMENT_CONFIRM,
    OFFLINE_PAYMENT_REJECT,
    PAYMENT_RECORD_LABELS,
    OrderRowColumnsMixin,
    OrdersActionMixin,
)
from .inlines import PAYMENT_TRANSFER_FIELDS


class PaymentKindFilter(DefaultingRadioFilter):
    title = _("kind")
    parameter_name = "kind"
    default = PaymentKind.OFFLINE
    options = PaymentKind.choices


PROVIDER_LABELS = {
    "bank": _("Offline transfer"),
    "alipay": _("Alipay"),
    "sandbox": _("Sandbox payment"),
}


@admin.register(Payment)
class PaymentAdmin(OrderRowColumnsMixin, OrdersActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
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
    fields = (
        "reference",
        "order",
        "kind",
        "provider_label",
        "amount",
        "currency",
        "status",
        *PAYMENT_TRANSFER_FIELDS,
        "reviewed_by",
        "rejection_reason",
    )
    readonly_fields = fields
    actions = ("confirm_selected",)
    actions_detail = ("confirm_detail", "reject_detail")

    status_label = status_column(PAYMENT_RECORD_LABELS)

    @admin.display(description=_("provider"))
    def provider_label(self, payment: Payment) -> str:
        """The channel in words (线下转账, 支付宝), not its code (``bank``, ``alipay``)."""
        return str(PROVIDER_LABELS.get(payment.provider, payment.provider or "—"))

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

    def decision_params(self, payment: Payment) -> dict:
        return {"reference": payment.reference, "number": payment.order.number}

    confirm_page = OFFLINE_PAYMENT_CONFIRM
    reject_page = OFFLINE_PAYMENT_REJECT

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
