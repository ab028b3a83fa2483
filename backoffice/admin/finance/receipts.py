"""Receipts (到账登记) and Blue Cloud's receiving bank accounts.

Finance records a bank transfer for a company in two steps (the company, then the
transfer and what it pays: ``receipt_forms``); the post goes through
``billing.services.receipts.receipt_post``, above the four-eyes threshold as a posting a
second finance user approves. A receipt is read-only here; what is left on it is
allocated later by the "Allocate remainder" action (``receipt_allocate``).
"""

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from backoffice.core.files import private_file_response
from backoffice.core.money import format_money
from billing.models import (
    BankAccount,
    Receipt,
    ReceiptAllocation,
    ReceiptAllocationKind,
    ReceiptStatus,
)
from billing.selectors.receipts import ALLOCATABLE_RECEIPT_STATUSES
from billing.services.receipts import RECEIPT_PERMISSION

from ..base import BaseAdmin, OwnerScopedMixin, ReadOnlyInline, money_column, status_column
from ..queues import object_pk
from .receipt_actions import ReceiptActionsMixin

RECEIPT_STATUS_LABELS = {
    ReceiptStatus.AWAITING_APPROVAL: "warning",
    ReceiptStatus.UNALLOCATED: "info",
    ReceiptStatus.PARTLY_ALLOCATED: "info",
    ReceiptStatus.ALLOCATED: "success",
    ReceiptStatus.REJECTED: "danger",
}


@admin.register(BankAccount)
class BankAccountAdmin(BaseAdmin):
    """Blue Cloud's own receiving accounts: reference data, deactivated rather than deleted."""

    list_display = ("name", "bank_name", "account_number", "currency", "active")
    list_filter = ("currency", "active")
    search_fields = ("name", "bank_name", "account_number")
    search_help_text = _("Search by name, bank or account no.")
    ordering = ("name", "pk")
    fields = ("name", "bank_name", "account_number", "currency", "active", "created_at")
    readonly_fields = ("created_at",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # receipts name the account

    def has_import_permission(self, request) -> bool:
        return False


def receipt_link(receipt: Receipt) -> str:
    url = reverse("admin:billing_receipt_change", args=[receipt.pk])
    return format_html('<a class="text-primary-600" href="{}">{}</a>', url, receipt.number)


class ReceiptAllocationInline(ReadOnlyInline):
    model = ReceiptAllocation
    fields = ("kind", "target", "amount_display", "created_by", "created_at")
    readonly_fields = fields
    verbose_name = _("allocation")
    verbose_name_plural = _("allocations")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("receipt", "payment__order", "repayment", "created_by")
        )

    @display(description=_("paid"))
    def target(self, obj: ReceiptAllocation) -> str:
        if obj.kind == ReceiptAllocationKind.PAYMENT:
            url = reverse("admin:billing_payment_change", args=[obj.payment_id])
            text = gettext("Order %(number)s (transfer %(reference)s)") % {
                "number": obj.payment.order.number,
                "reference": obj.payment.reference,
            }
        else:
            url = reverse("admin:billing_repayment_change", args=[obj.repayment_id])
            text = gettext("Repayment %(amount)s") % {
                "amount": format_money(obj.repayment.amount, obj.receipt.currency)
            }
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, text)

    amount_display = money_column("amount", _("amount"), currency_of="receipt")


@admin.register(Receipt)
class ReceiptAdmin(ReceiptActionsMixin, OwnerScopedMixin, BaseAdmin):
    action_form_name = "receipts"
    action_form_multipart = "auto"

    list_display = (
        "number_display",
        "company",
        "amount_display",
        "remainder_display",
        "value_date",
        "bank_reference",
        "payer_name",
        "bank_account",
        "status_label",
        "created_at",
    )
    list_select_related = ("company", "bank_account")
    list_filter = (
        "status",
        ("currency", admin.ChoicesFieldListFilter),
        "bank_account",
        ("value_date", RangeDateFilter),
    )
    search_fields = ("bank_reference", "payer_name", "payer_account", "company__name")
    # The "Post a receipt" form's company search (scoped like the company list).
    autocomplete_fields = ("company",)
    search_help_text = _("Search by bank reference, payer or company name")
    fields = (
        "number_display",
        "company",
        "bank_account",
        "amount_display",
        "allocated_display",
        "remainder_display",
        "value_date",
        "bank_reference",
        "payer_name",
        "payer_account",
        "memo",
        "attachment_link",
        "status",
        "pending",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    inlines = (ReceiptAllocationInline,)
    actions_detail = ("allocate_detail",)

    # --- permissions: posted through the services only, never edited ---

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm(RECEIPT_PERMISSION)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return False

    def has_allocate_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm(RECEIPT_PERMISSION):
            return False
        if object_id is None:
            return True
        pk = object_pk(object_id)
        return Receipt.objects.filter(pk=pk, status__in=ALLOCATABLE_RECEIPT_STATUSES).exists()

    # --- columns ---

    @display(description=_("receipt no."), ordering="pk")
    def number_display(self, obj: Receipt) -> str:
        return obj.number

    amount_display = money_column("amount", _("amount"), ordering="amount")

    allocated_display = money_column("allocated", _("allocated"), ordering="allocated")

    remainder_display = money_column("remainder", _("unallocated"))

    @display(description=_("attachment"))
    def attachment_link(self, obj: Receipt) -> str:
        if not obj.attachment:
            return "—"
        url = reverse("admin:billing_receipt_attachment", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.attachment_name)

    status_label = status_column(RECEIPT_STATUS_LABELS)

    # --- the attachment, through the one scoped lookup ---

    def get_urls(self):
        return [
            self.object_path(
                "attachment/", self.attachment_view, name="billing_receipt_attachment"
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request: HttpRequest, receipt: Receipt) -> HttpResponse:
        if not receipt.attachment:
            raise Http404
        return private_file_response(
            receipt.attachment, filename=receipt.attachment_name or f"{receipt.number}"
        )
