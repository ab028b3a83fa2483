"""The company page's unallocated receipts (到账未分配): posted transfers with money left
that finance can still allocate (only staff who may view receipts see the section)."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from billing.models import Receipt
from billing.selectors.receipts import ALLOCATABLE_RECEIPT_STATUSES

from ..base import ReadOnlyInline, money_column


class CompanyReceiptInline(ReadOnlyInline):
    model = Receipt
    fk_name = "company"
    fields = (
        "receipt_number",
        "value_date",
        "bank_reference",
        "amount_display",
        "remainder_display",
    )
    readonly_fields = fields
    verbose_name = _("unallocated receipt")
    verbose_name_plural = _("unallocated receipts")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status__in=ALLOCATABLE_RECEIPT_STATUSES)
            .order_by("value_date", "pk")
        )

    @display(description=_("receipt no."))
    def receipt_number(self, obj: Receipt) -> str:
        url = reverse("admin:billing_receipt_change", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.number)

    amount_display = money_column("amount", _("amount"))

    remainder_display = money_column("remainder", _("unallocated"))
