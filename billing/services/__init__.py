"""Billing services: every change to money state goes through these functions.

- ``balances``: balance rows created with the company
- ``wallet``: rebate wallet postings (grant, claw back, spend, reverse, half-yearly run)
- ``credit``: credit line postings (limit, charge, offline charge, reverse), credit-pay codes
- ``bills``: bills, overdue reminders, repayments (offline and online)
- ``coupons``: campaigns, issue, redeem, restore, expiry
- ``checkout``: cart, quote, placing an order
- ``orders``: order status changes, cancellation, payments of orders
- ``payments``: provider notifications and refunds (order payments and online repayments)
- ``fulfilment``: delivery and payment milestones, attachments, delivery and completion
- ``invoices``: invoice requests
- ``approvals``: four-eyes finance postings
"""

from .balances import balance_rows_create

__all__ = ["balance_rows_create"]
