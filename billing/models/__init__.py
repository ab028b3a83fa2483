"""Billing: the money of orders and partners.

Balance rows (rebate wallets, credit accounts; opened with every company through the
``company_created`` hook) and their append-only ledgers, coupons, carts and orders with
their payments, credit bills and repayments, fulfilment (delivery and payment milestones,
attachments, invoices), revenue-share statements, finance's four-eyes postings, and
receipts (bank transfers finance posts and allocates). Every balance changes only through
a ledger entry written under the row's lock; CHECK and unique constraints make an
overdraft or a double settlement impossible.
"""

from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES, Currency

# Imported by subdomain in about the order the models were declared in the former single
# module, so the app registry (and the reverse-relation lists built from it) keeps its order.
# isort: off
from .ledger import LedgerEntry
from .wallet import RebateEntry, RebateEntryType, RebateRun, RebateWallet
from .credit import CreditAccount, CreditEntry, CreditEntryType, CreditLimitChange, CreditPayCode
from .bills import (
    SETTLING_REPAYMENT_STATUSES,
    Bill,
    BillItem,
    BillStatus,
    Repayment,
    RepaymentBill,
    RepaymentMethod,
    RepaymentStatus,
)
from .coupons import Coupon, CouponCampaign, CouponMove, CouponMoveKind, CouponQuota, CouponStatus
from .cart import CartLine
from .orders import (
    CheckoutSubmission,
    Order,
    OrderEvent,
    OrderLine,
    OrderPaymentMethod,
    OrderStatus,
    PaymentStatus,
)
from .payments import (
    MONEY_RECEIVED_STATUSES,
    OnlineRepayment,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    ReceivedMoney,
    RefundDue,
    RefundMethod,
)
from .fulfilment import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    OrderAttachment,
    PaymentMilestone,
    PaymentMilestoneStatus,
    order_attachment_upload_to,
)
from .invoices import (
    TAX_ID_VALIDATOR,
    InvoiceRequest,
    InvoiceRequestStatus,
    InvoiceType,
    invoice_pdf_upload_to,
)
from .statements import (
    Statement,
    StatementAdjustment,
    StatementEvent,
    StatementExport,
    StatementExportStatus,
    StatementLine,
    StatementRollup,
    StatementStatus,
    statement_export_upload_to,
    statement_voucher_upload_to,
)
from .approvals import PendingPosting, PendingPostingKind, PendingPostingStatus
from .receipts import (
    POSTED_RECEIPT_STATUSES,
    BankAccount,
    Receipt,
    ReceiptAllocation,
    ReceiptAllocationKind,
    ReceiptStatus,
    receipt_attachment_upload_to,
)
from .delegated import (
    LIMIT_TYPES,
    DelegatedCreditEntry,
    DelegatedCreditEntryType,
    DelegatedCreditLine,
)
from .bankstatements import (
    BankImportStatus,
    BankLineStatus,
    BankStatementImport,
    BankStatementLine,
    BankStatementProfile,
)
# isort: on

__all__ = [
    "BankImportStatus",
    "BankLineStatus",
    "BankStatementImport",
    "BankStatementLine",
    "BankStatementProfile",
    "Currency",
    "MONEY_DIGITS",
    "MONEY_PLACES",
    "LedgerEntry",
    "RebateWallet",
    "RebateEntryType",
    "RebateEntry",
    "RebateRun",
    "CreditAccount",
    "CreditEntryType",
    "CreditEntry",
    "CreditLimitChange",
    "CreditPayCode",
    "BillStatus",
    "Bill",
    "BillItem",
    "RepaymentMethod",
    "RepaymentStatus",
    "SETTLING_REPAYMENT_STATUSES",
    "Repayment",
    "RepaymentBill",
    "CouponCampaign",
    "CouponStatus",
    "CouponQuota",
    "CouponMove",
    "CouponMoveKind",
    "Coupon",
    "CartLine",
    "OrderStatus",
    "PaymentStatus",
    "OrderPaymentMethod",
    "Order",
    "OrderLine",
    "OrderEvent",
    "CheckoutSubmission",
    "PaymentKind",
    "PaymentRecordStatus",
    "MONEY_RECEIVED_STATUSES",
    "RefundMethod",
    "ReceivedMoney",
    "Payment",
    "RefundDue",
    "OnlineRepayment",
    "order_attachment_upload_to",
    "DeliveryMilestoneStatus",
    "DeliveryMilestone",
    "PaymentMilestoneStatus",
    "PaymentMilestone",
    "OrderAttachment",
    "invoice_pdf_upload_to",
    "InvoiceType",
    "InvoiceRequestStatus",
    "TAX_ID_VALIDATOR",
    "InvoiceRequest",
    "statement_voucher_upload_to",
    "statement_export_upload_to",
    "StatementStatus",
    "Statement",
    "StatementLine",
    "StatementRollup",
    "StatementAdjustment",
    "StatementEvent",
    "StatementExportStatus",
    "StatementExport",
    "PendingPostingKind",
    "PendingPostingStatus",
    "PendingPosting",
    "BankAccount",
    "ReceiptStatus",
    "POSTED_RECEIPT_STATUSES",
    "Receipt",
    "ReceiptAllocationKind",
    "ReceiptAllocation",
    "receipt_attachment_upload_to",
    "LIMIT_TYPES",
    "DelegatedCreditLine",
    "DelegatedCreditEntryType",
    "DelegatedCreditEntry",
]


def _keep_history_models_here() -> None:
    """Keep the historical models (``HistoricalOrder``, …) in ``billing.models``.

    simple_history puts a historical model in its model's module, but in the app's
    package (``billing``) when that module is not ``billing.models``: re-home them here,
    where they were when the models were a single module (``from billing.models import
    HistoricalOrder``, ``manage.py shell``'s automatic imports).
    """
    for name, model in list(globals().items()):
        attribute = getattr(getattr(model, "_meta", None), "simple_history_manager_attribute", None)
        if not isinstance(model, type) or name.startswith("Historical") or attribute is None:
            continue
        history_model = getattr(model, attribute).model
        history_model.__module__ = __name__
        globals()[history_model.__name__] = history_model


_keep_history_models_here()
