"""The billing events partners receive by webhook (``partners.webhooks``).

One function per event, called where it happens, inside its transaction (beside the
notice of ``billing.notices``). Nothing is built unless the company has an active
endpoint subscribed to the type (one query). Payloads are stable JSON: ids, numbers,
ISO dates, and amounts as ``{"amount": "1234.50", "currency": "CNY"}``.
"""

from backoffice.core.money import to_money
from partners.webhooks.services import EventSpec, webhook_event_record, webhook_events_record


def money(amount, currency: str) -> dict[str, str]:
    return {"amount": f"{to_money(amount):.2f}", "currency": currency}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _order_payload(order) -> dict:
    return {
        "order": {
            "id": order.pk,
            "number": order.number,
            "status": order.status,
            "payment_status": order.payment_status,
            "payment_method": order.payment_method,
            "total": money(order.payable_total, order.currency),
            "goods_total": money(order.goods_total, order.currency),
            "end_customer_id": order.end_customer_id,
            "created_at": _iso(order.created_at),
            "paid_at": _iso(order.paid_at),
            "cancelled_at": _iso(order.cancelled_at),
            "cancel_reason": order.cancel_reason,
        }
    }


def order_event(order, *, type: str) -> None:
    """``order.paid``, ``order.delivered``, ``order.completed`` or ``order.cancelled``."""
    webhook_event_record(company=order.company_id, type=type, payload=lambda: _order_payload(order))


def statements_ready_event(statements) -> None:
    """``statement.ready`` for each of ``statements`` (待确认), once per statement: one
    query for all their companies' endpoints, bulk inserts."""

    def payload(statement):
        return lambda: {
            "statement": {
                "id": statement.pk,
                "number": statement.number,
                "period": f"{statement.period_start:%Y-%m}",
                "period_start": _iso(statement.period_start),
                "period_end": _iso(statement.period_end),
                "status": statement.status,
                "order_count": statement.order_count,
                "sales_amount": money(statement.sales_amount, statement.currency),
                "share_amount": money(statement.share_amount, statement.currency),
                "adjustment_total": money(statement.adjustment_total, statement.currency),
                "total_payable": money(statement.total_payable, statement.currency),
            }
        }

    webhook_events_record(
        type="statement.ready",
        events=[EventSpec(s.company_id, payload(s), f"statement.ready:{s.pk}") for s in statements],
    )


def bill_due_event(bill) -> None:
    """``bill.due``: the bill is due within 3 days (with its reminder), once per bill."""
    account = bill.account
    webhook_event_record(
        company=account.company_id,
        type="bill.due",
        key=f"bill.due:{bill.pk}",
        payload=lambda: {
            "bill": {
                "id": bill.pk,
                "number": bill.number,
                "status": bill.status,
                "amount": money(bill.amount, account.currency),
                "period_start": _iso(bill.period_start),
                "period_end": _iso(bill.period_end),
                "due_date": _iso(bill.due_date),
            }
        },
    )


def repayment_confirmed_event(repayment, *, bills) -> None:
    """``repayment.confirmed``: an offline repayment confirmed by finance, or an online one."""
    account = repayment.account
    webhook_event_record(
        company=account.company_id,
        type="repayment.confirmed",
        payload=lambda: {
            "repayment": {
                "id": repayment.pk,
                "method": repayment.method,
                "amount": money(repayment.amount, account.currency),
                "paid_on": _iso(repayment.paid_on),
                "confirmed_at": _iso(repayment.reviewed_at),
                "bills": [{"id": bill.pk, "number": bill.number} for bill in bills],
            }
        },
    )
