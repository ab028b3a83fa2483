"""Console: 待退款 (refunds due). Money a payment provider confirmed that is not kept.

An order payment that arrived after its order was cancelled (by a reseller, by staff or
by the 15-minute automatic cancellation), a payment for an order already paid, the money
of an order cancelled after payment, and an online repayment whose bills were settled
meanwhile: each is recorded as a refund due, never dropped. Finance refunds it by hand
(a bank transfer) or through the provider's refund call, then records it here; both
detail actions call ``billing.services.payments``.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextInputWidget

from backoffice.core.money import format_money
from billing.models import (
    OnlineRepayment,
    PaymentRecordStatus,
    RefundDue,
    RefundMethod,
)
from billing.payments import PROVIDERS, provider_configured
from billing.services.errors import BillingError
from billing.services.payments import (
    online_repayment_refund_record,
    payment_refund_record,
    payment_refund_via_provider,
)

from .base import (
    ActionPageMixin,
    OwnerScopedMixin,
    ReadOnlyAdmin,
    guarded_action,
    posted,
    status_column,
    text_field,
)
from .finance.common import RepaymentColumnsMixin
from .orders.common import OrderRowColumnsMixin
from .queues import DefaultingRadioFilter

REFUND_STATUS_LABELS = {
    PaymentRecordStatus.PENDING: "warning",
    PaymentRecordStatus.SUCCEEDED: "success",
    PaymentRecordStatus.FAILED: "danger",
    PaymentRecordStatus.REFUND_DUE: "danger",
    PaymentRecordStatus.REFUNDED: "info",
}


class RecordRefundForm(forms.Form):
    reference = forms.CharField(
        label=_("Refund reference"),
        max_length=64,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("The bank transfer's reference (or the provider's refund no.)."),
    )
    note = text_field(_("Note"), required=False)


class RefundNoteForm(forms.Form):
    note = text_field(_("Note"), required=False)


class RefundStatusFilter(DefaultingRadioFilter):
    """Opens on 待退款 (refund due), the queue; 已退款 and all rows are one click away."""

    title = _("status")
    parameter_name = "status"
    default = PaymentRecordStatus.REFUND_DUE
    options = [
        (PaymentRecordStatus.REFUND_DUE, PaymentRecordStatus.REFUND_DUE.label),
        (PaymentRecordStatus.REFUNDED, PaymentRecordStatus.REFUNDED.label),
    ]


# What a refund due's page shows of the refund, last.
REFUND_RECORD_FIELDS = (
    "refund_reason",
    "refund_method",
    "refund_reference",
    "refund_note",
    "refunded_by",
    "refunded_at",
)


class RefundActionsMixin(ActionPageMixin):
    """The two detail actions of a refund due, shared by order payments and online
    repayments: record a refund made by hand, or refund through the provider."""

    actions_detail = ("record_refund_detail", "refund_via_provider_detail")

    action_errors = (BillingError,)
    change_permission = ""  # "billing.change_<model>"

    def _may_refund(self, request) -> bool:
        return request.user.has_perm(self.change_permission)

    def _is_due(self, request, object_id) -> bool:
        cache = request.__dict__.setdefault("_refund_admin_due", {})
        if object_id not in cache:
            try:
                pk = int(str(object_id))
            except (TypeError, ValueError):
                pk = None
            cache[object_id] = (
                pk is not None
                and self.model.objects.filter(pk=pk, status=PaymentRecordStatus.REFUND_DUE).exists()
            )
        return cache[object_id]

    def has_record_refund_permission(self, request, object_id=None) -> bool:
        return self._may_refund(request) and (object_id is None or self._is_due(request, object_id))

    def has_refund_via_provider_permission(self, request, object_id=None) -> bool:
        if not self.has_record_refund_permission(request, object_id):
            return False
        if object_id is None:
            return True
        provider = self.model.objects.filter(pk=object_id).values_list("provider", flat=True)
        name = provider.first() or ""
        return name in PROVIDERS and name != "sandbox" and provider_configured(name)

    def _not_due(self, request, obj) -> HttpResponse:
        self.message_user(
            request,
            gettext("No refund is due for this payment; nothing was recorded."),
            messages.INFO,
        )
        return HttpResponseRedirect(self._change_url(obj))

    # The service recording a refund made by hand, and the keyword both refund services
    # take the row's pk under.
    record_service: Callable
    refund_target_arg = ""

    def _record(self, obj, request, data):
        return self.record_service(
            **{self.refund_target_arg: obj.pk},
            actor=request.user,
            method=RefundMethod.MANUAL,
            reference=data["reference"],
            note=data.get("note", ""),
        )

    def _via_provider(self, obj, request, data):
        return payment_refund_via_provider(
            **{self.refund_target_arg: obj.pk}, actor=request.user, note=data.get("note", "")
        )

    def _refund_action(
        self, request: HttpRequest, object_id: str, form_class, *, perform, **page
    ) -> HttpResponse:
        """A refund page: only while the refund is due; back to the queue when done."""
        obj = self._object_or_404(request, object_id)
        if obj.status != PaymentRecordStatus.REFUND_DUE:
            return self._not_due(request, obj)
        return self._form_action(
            request,
            obj,
            form_class(posted(request)),
            perform=lambda data: perform(obj, data),
            success_url=self._changelist_url(),
            summary=self._summary,
            **page,
        )

    @guarded_action(
        "record_refund", _("Record refund"), icon="currency_exchange", variant=ActionVariant.PRIMARY
    )
    def record_refund_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(obj, data) -> str:
            self._record(obj, request, data)
            return gettext("Recorded the refund of %(amount)s (%(reference)s).") % {
                "amount": format_money(obj.amount, obj.currency),
                "reference": data["reference"],
            }

        return self._refund_action(
            request,
            object_id,
            RecordRefundForm,
            perform=perform,
            title=gettext("Record the refund"),
            description=gettext(
                "Record the refund only after the money went back to the payer's account."
            ),
            submit_label=gettext("Record refund"),
        )

    @guarded_action(
        "refund_via_provider",
        _("Refund through the provider"),
        icon="undo",
        variant=ActionVariant.WARNING,
    )
    def refund_via_provider_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(obj, data) -> str:
            refunded = self._via_provider(obj, request, data)
            return gettext("%(provider)s refunded %(amount)s (%(reference)s).") % {
                "provider": obj.provider,
                "amount": format_money(obj.amount, obj.currency),
                "reference": refunded.refund_reference,
            }

        return self._refund_action(
            request,
            object_id,
            RefundNoteForm,
            perform=perform,
            title=gettext("Refund through the payment provider"),
            description=gettext(
                "The provider sends the money back to the payer's account; the refund is "
                "then recorded here."
            ),
            submit_label=gettext("Refund"),
            variant="danger",
        )


@admin.register(RefundDue)
class RefundDueAdmin(OrderRowColumnsMixin, RefundActionsMixin, OwnerScopedMixin, ReadOnlyAdmin):
    """待退款 of order payments."""

    owner_scope_path = "order__company"
    change_permission = "billing.change_refunddue"
    record_service = staticmethod(payment_refund_record)
    refund_target_arg = "payment_id"

    list_display = (
        "reference",
        "order_link",
        "company",
        "amount_display",
        "provider",
        "confirmed_at",
        "refund_reason",
        "status_label",
    )
    list_select_related = ("order__company",)
    list_filter = (RefundStatusFilter,)
    search_fields = ("reference", "order__number", "order__company__name")
    search_help_text = _("Search by payment order no., order no. or company")
    ordering = ("confirmed_at", "pk")
    fields = (
        "reference",
        "order",
        "kind",
        "provider",
        "provider_txn_id",
        "amount",
        "currency",
        "status",
        "confirmed_at",
        *REFUND_RECORD_FIELDS,
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status__in=[PaymentRecordStatus.REFUND_DUE, PaymentRecordStatus.REFUNDED])
        )

    status_label = status_column(REFUND_STATUS_LABELS)

    def _summary(self, payment: RefundDue) -> list[tuple[str, object]]:
        return [
            (_("payment order no."), payment.reference),
            (_("order"), payment.order.number),
            (_("channel"), payment.order.company.name),
            (_("amount"), format_money(payment.amount, payment.currency)),
            (_("provider"), payment.provider),
            (_("money received"), payment.confirmed_at),
            (_("why a refund is due"), payment.refund_reason),
        ]


class OnlineRepaymentStatusFilter(RefundStatusFilter):
    """Online repayments open on the refund queue too; every status is one click away."""

    options = PaymentRecordStatus.choices


@admin.register(OnlineRepayment)
class OnlineRepaymentAdmin(
    RepaymentColumnsMixin, RefundActionsMixin, OwnerScopedMixin, ReadOnlyAdmin
):
    """线上还款 at the payment provider, with the refunds due among them."""

    owner_scope_path = "account__company"
    change_permission = "billing.change_onlinerepayment"
    record_service = staticmethod(online_repayment_refund_record)
    refund_target_arg = "online_repayment_id"

    list_display = (
        "reference",
        "company",
        "amount_display",
        "bill_numbers",
        "provider",
        "created_at",
        "confirmed_at",
        "status_label",
    )
    list_select_related = ("account__company",)
    list_filter = (OnlineRepaymentStatusFilter,)
    search_fields = ("reference", "account__company__name")
    search_help_text = _("Search by payment order no. or company")
    fields = (
        "reference",
        "account",
        "amount",
        "provider",
        "provider_txn_id",
        "status",
        "repayment",
        "started_by",
        "created_at",
        "confirmed_at",
        *REFUND_RECORD_FIELDS,
    )
    readonly_fields = fields

    status_label = status_column(REFUND_STATUS_LABELS)

    def _summary(self, online: OnlineRepayment) -> list[tuple[str, object]]:
        return [
            (_("payment order no."), online.reference),
            (_("company"), online.account.company.name),
            (_("amount"), format_money(online.amount, online.account.currency)),
            (_("bills"), ", ".join(bill.number for bill in online.bills.all())),
            (_("provider"), online.provider),
            (_("money received"), online.confirmed_at),
            (_("why a refund is due"), online.refund_reason),
        ]
