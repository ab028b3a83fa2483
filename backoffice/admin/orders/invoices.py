"""Invoice requests (申请开票): the finance queue."""

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant

from backoffice.core.files import private_file_response
from backoffice.core.money import format_money
from billing.models import InvoiceRequest, InvoiceRequestStatus
from billing.services.invoices import (
    invoice_issue,
    invoice_reject,
)

from ..base import ReadOnlyAdmin, guarded_action, posted, status_column
from ..partners.common import DateOfDateTimeFilter
from ..queues import ReviewQueueAdmin, ReviewStatusFilter
from .common import (
    INVOICE_STATUS_LABELS,
    IssueInvoiceForm,
    OrderRowColumnsMixin,
    OrdersActionMixin,
    RejectInvoiceForm,
)


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(OrderRowColumnsMixin, OrdersActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
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
    # Issuing needs the invoice number and PDF: the row's 确认 opens the issue page.
    row_confirm_detail = "issue_detail"
    row_confirm_needs_input = True

    status_label = status_column(INVOICE_STATUS_LABELS)

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

    @guarded_action("issue", _("Issue invoice"), icon="receipt", variant=ActionVariant.SUCCESS)
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

    def decision_params(self, invoice: InvoiceRequest) -> dict:
        return {"number": invoice.order.number}

    reject_page = {
        "title": _("Reject the invoice request"),
        "form": RejectInvoiceForm,
        "message": _("Rejected the invoice request of order %(number)s; the company was e-mailed."),
    }
