"""Billing services: every change to money state goes through these functions.

- ``balances``: balance rows created with the company
- ``wallet``: rebate wallet postings (grant, claw back, spend, reverse, half-yearly run)
- ``credit``: credit line postings (limit, charge, offline charge, reverse, repay), bills
- ``coupons``: campaigns, issue, redeem, restore, expiry
"""

from .balances import balance_rows_create

__all__ = ["balance_rows_create"]
