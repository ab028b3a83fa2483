"""Scheduled billing jobs (django-q2). Each is safe to run twice and in two workers at once."""

from billing.services.bills import bills_generate, bills_mark_overdue_and_remind
from billing.services.coupons import coupons_expire
from billing.services.orders import orders_cancel_unpaid
from billing.services.wallet import previous_half_year, rebate_run


def daily_bills() -> dict:
    created = bills_generate()
    return {"bills_created": created, **bills_mark_overdue_and_remind()}


def expire_coupons() -> int:
    return coupons_expire()


def half_yearly_rebates(period: str | None = None) -> dict:
    return rebate_run(period=period or previous_half_year())


def cancel_unpaid_orders() -> int:
    return orders_cancel_unpaid()
