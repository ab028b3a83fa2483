"""Invoice requests of an order (申请开票, decision 10).

The buyer asks (``invoice_request_create``); finance issues it with a number and a PDF
(``invoice_issue``) or rejects it with a reason (``invoice_reject``). Like the rest of
fulfilment (``billing.services.fulfilment``), every change runs in one transaction with
the changed row locked, and a refusal is a ``FulfilmentError``.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.money import format_money
from billing.models import (
    InvoiceRequest,
    InvoiceRequestStatus,
    InvoiceType,
    Order,
    OrderStatus,
    PaymentStatus,
)

from .fulfilment import (
    FulfilmentError,
    _checked_upload,
    _full_clean,
    _history_user,
    _lock_order,
    _mail_company,
    _record_step,
    _require_company_user,
    _require_staff,
    _text,
)

INVOICE_NUMBER_MAX_LENGTH = 40
REASON_MAX_LENGTH = 200


# --------------------------------------------------------------------------
# Invoice requests (申请开票)
# --------------------------------------------------------------------------


def invoice_requestable_problem(order: Order) -> str:
    """Why ``order`` cannot get a new invoice request now ("" when it can). No locking."""
    if order.status == OrderStatus.CANCELLED:
        return _("A cancelled order cannot be invoiced.")
    if order.payment_status != PaymentStatus.PAID:
        return _("An invoice can be requested once the order is paid.")
    if order.payable_total <= 0:
        return _("Nothing was paid for this order, so there is nothing to invoice.")
    taken = set(
        InvoiceRequest.objects.filter(
            order_id=order.pk,
            status__in=(InvoiceRequestStatus.PENDING, InvoiceRequestStatus.ISSUED),
        ).values_list("status", flat=True)
    )
    if InvoiceRequestStatus.ISSUED in taken:
        return _("This order has already been invoiced.")
    if InvoiceRequestStatus.PENDING in taken:
        return _("An invoice request for this order is already waiting to be invoiced.")
    return ""


@transaction.atomic
def invoice_request_create(
    *,
    order_id: int,
    user,
    invoice_type: str,
    title: str,
    tax_id: str,
    email: str,
    address_phone: str = "",
    bank_account: str = "",
) -> InvoiceRequest:
    """申请开票 by a user of the ordering company, for a paid, not cancelled order."""
    order = _lock_order(order_id)
    _require_company_user(user, order)
    problem = invoice_requestable_problem(order)
    if problem:
        raise FulfilmentError(problem, code="not_requestable")
    invoice = InvoiceRequest(
        order=order,
        invoice_type=invoice_type,
        title=str(title or "").strip(),
        tax_id="".join(str(tax_id or "").split()).upper(),
        address_phone=str(address_phone or "").strip(),
        bank_account=str(bank_account or "").strip(),
        email=str(email or "").strip(),
        amount=order.payable_total,
        currency=order.currency,
        requested_by=user,
    )
    _full_clean(invoice, exclude=("invoice_pdf",))
    if invoice.invoice_type == InvoiceType.SPECIAL:
        missing = {}
        if not invoice.address_phone:
            missing["address_phone"] = [_("A VAT special invoice needs the address and phone.")]
        if not invoice.bank_account:
            missing["bank_account"] = [_("A VAT special invoice needs the bank and account.")]
        if missing:
            raise FulfilmentError(missing, code="special_fields")
    _history_user(invoice, user)
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as exc:  # a concurrent twin won the one-open-request constraint
        raise FulfilmentError(
            _("An invoice request for this order is already waiting to be invoiced."),
            code="duplicate",
        ) from exc
    return invoice


def _lock_pending_request(request_id: int) -> InvoiceRequest:
    invoice = InvoiceRequest.objects.select_for_update().select_related("order").get(pk=request_id)
    if invoice.status != InvoiceRequestStatus.PENDING:
        raise FulfilmentError(
            _("This invoice request is already “%(status)s”.")
            % {"status": invoice.get_status_display()},
            code="processed",
        )
    return invoice


@transaction.atomic
def invoice_issue(*, request_id: int, actor, invoice_number: str, pdf) -> InvoiceRequest:
    """已开票: finance records the invoice number and uploads the invoice PDF."""
    _require_staff(actor)
    invoice = _lock_pending_request(request_id)
    invoice_number = _text(
        invoice_number,
        field="invoice_number",
        label=_("Invoice number"),
        max_length=INVOICE_NUMBER_MAX_LENGTH,
        required=True,
    )
    checked = _checked_upload(pdf, field="pdf", missing=_("Upload the invoice PDF."))
    if checked.content_type != "application/pdf":
        raise FulfilmentError({"pdf": [_("The invoice must be a PDF file.")]}, code="pdf_type")
    checked.store(invoice.invoice_pdf, f"{invoice_number}.pdf")
    invoice.invoice_number = invoice_number
    invoice.status = InvoiceRequestStatus.ISSUED
    invoice.processed_by = actor
    invoice.processed_at = timezone.now()
    _history_user(invoice, actor)
    invoice.save(
        update_fields=["invoice_pdf", "invoice_number", "status", "processed_by", "processed_at"]
    )
    _mail_company(
        invoice.order,
        template="billing/mail/invoice_issued",
        context={
            "invoice_number": invoice_number,
            "invoice_type": str(invoice.get_invoice_type_display()),
            "title": invoice.title,
            "amount": format_money(invoice.amount, invoice.currency),
        },
        submitter=invoice.requested_by,
    )
    return invoice


@transaction.atomic
def invoice_reject(*, request_id: int, actor, reason: str) -> InvoiceRequest:
    """已驳回 with the reason the buyer sees; the buyer may then request again."""
    _require_staff(actor)
    reason = _text(
        reason, field="reason", label=_("Reason"), max_length=REASON_MAX_LENGTH, required=True
    )
    invoice = _lock_pending_request(request_id)
    _record_step(
        invoice,
        actor,
        who="processed_by",
        when="processed_at",
        status=InvoiceRequestStatus.REJECTED,
        rejection_reason=reason,
    )
    _mail_company(
        invoice.order,
        template="billing/mail/invoice_rejected",
        context={"reason": reason, "title": invoice.title},
        submitter=invoice.requested_by,
    )
    return invoice
