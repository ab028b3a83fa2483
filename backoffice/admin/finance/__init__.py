"""Console: finance (财务). Rebate wallets, credit lines, bills, repayments, receipts, coupons.

Balances and ledger entries are read-only here. Every posting goes through a detail
action: GET shows an unfold-styled form page, POST calls one ``billing.services``
function. A ``BillingError`` becomes a form error (or an error message), never a
success. Postings that could be submitted twice carry a one-time token, passed to
the service as its idempotency key, so a double submit posts once.

Modules: ``common`` (formatting, forms, ``FinanceActionMixin``), ``wallets``, ``credit``,
``bills`` (bills and the repayment queue), ``receipts`` (到账登记 and the receiving bank
accounts; forms in ``receipt_forms``, posting pages in ``receipt_actions``), ``coupons``,
``approvals`` (the four-eyes queue) and
``reconciliation`` (bank statement import and matching).
Importing the package registers their admins, in this order.
"""

# Registered in the console's historical order.
# isort: off
from .wallets import RebateEntryAdmin, RebateWalletAdmin
from .credit import CreditAccountAdmin, CreditEntryAdmin
from .bills import BillAdmin, RepaymentAdmin
from .receipts import BankAccountAdmin, ReceiptAdmin
from .coupon_quotas import CouponMoveAdmin, CouponQuotaAdmin
from .coupons import CouponAdmin, CouponCampaignAdmin
from .approvals import PendingPostingAdmin
from .reconciliation import (
    BankStatementImportAdmin,
    BankStatementLineAdmin,
    BankStatementProfileAdmin,
)

# isort: on

__all__ = [
    "BankStatementImportAdmin",
    "BankStatementLineAdmin",
    "BankStatementProfileAdmin",
    "BankAccountAdmin",
    "BillAdmin",
    "CouponAdmin",
    "CouponCampaignAdmin",
    "CouponMoveAdmin",
    "CouponQuotaAdmin",
    "CreditAccountAdmin",
    "CreditEntryAdmin",
    "PendingPostingAdmin",
    "RebateEntryAdmin",
    "RebateWalletAdmin",
    "ReceiptAdmin",
    "RepaymentAdmin",
]
