"""Billing's webhook events: stored by the services where they happen, with stable
payloads (amounts as strings with their currency), once where they are once-only, and
in constant queries for a whole statement run."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from billing.services import bills as bill_services
from billing.services import credit
from billing.services.fulfilment import order_complete, order_deliver
from billing.services.orders import order_cancel
from billing.webhooks import statements_ready_event
from partners.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookEventType
from tests.billing.helpers import (
    charge_credit,
    make_company,
    make_partner_user,
    set_credit_limit,
    submit_offline_repayment,
)
from tests.billing.order_helpers import Shop, paid_order
from tests.billing.statements.helpers import make_statement
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONEY = re.compile(r"^-?\d+\.\d{2}$")


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    """Events and deliveries are stored; nothing is sent (no network in these tests)."""
    monkeypatch.setattr("partners.webhooks.services.enqueue_on_commit", lambda *a, **k: None)


def subscribe(company) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        company=company, url="https://erp.example.com/hooks", events=WebhookEventType.values
    )


def events(type_: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(type=type_).order_by("pk"))


def assert_money(value: dict, currency: str = "CNY") -> None:
    assert set(value) == {"amount", "currency"}
    assert MONEY.match(value["amount"]) and value["currency"] == currency


def test_an_order_lifecycle_sends_paid_delivered_completed():
    shop = Shop()
    subscribe(shop.company)
    order = paid_order(shop)
    (paid,) = events("order.paid")
    data = paid.payload["order"]
    assert (data["id"], data["number"], data["status"]) == (order.pk, order.number, "processing")
    assert data["payment_status"] == "paid"
    assert_money(data["total"])
    assert data["total"]["amount"] == f"{order.payable_total:.2f}"
    assert WebhookDelivery.objects.filter(event=paid).count() == 1

    order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-1")
    order_complete(order_id=order.pk, actor=shop.staff, by_staff=True)
    assert [e.payload["order"]["status"] for e in events("order.delivered")] == ["delivered"]
    assert [e.payload["order"]["status"] for e in events("order.completed")] == ["completed"]


def test_a_cancelled_order_sends_order_cancelled():
    shop = Shop()
    subscribe(shop.company)
    order = shop.place(payment_method="offline")
    order_cancel(order_id=order.pk, actor=shop.user)
    (cancelled,) = events("order.cancelled")
    assert cancelled.company_id == shop.company.pk
    assert cancelled.payload["order"]["status"] == "cancelled"
    assert cancelled.payload["order"]["cancelled_at"]


def test_no_endpoint_no_event():
    shop = Shop()
    paid_order(shop)
    assert not WebhookEvent.objects.exists()


def test_statement_ready_is_batched_and_once_per_statement():
    def run(count: int) -> int:
        statements = []
        for _ in range(count):
            company = make_company()
            subscribe(company)
            statements.append(make_statement(company))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            statements_ready_event(statements)
        return len(queries), statements

    few, _ = run(2)
    many, statements = run(8)
    assert many == few  # endpoints, keys, events, deliveries: the same queries for any count
    assert WebhookEvent.objects.filter(type="statement.ready").count() == 10
    statements_ready_event(statements)  # a re-run (regeneration) stores nothing again
    assert WebhookEvent.objects.filter(type="statement.ready").count() == 10
    payload = events("statement.ready")[-1].payload["statement"]
    assert payload["number"] == statements[-1].number
    assert_money(payload["total_payable"])
    assert payload["period"] == "2026-10"


def test_bill_due_and_repayment_confirmed():
    company, staff = make_company(), UserFactory(is_staff=True, is_superuser=True)
    user = make_partner_user(company)
    set_credit_limit(company, staff, "1000", term_days=30)
    subscribe(company)
    charge_credit(company, "95.5", key="b1")
    assert bill_services.bills_generate(until=credit.local_today()) == 1
    bill = company.credit_accounts.get(currency="CNY").bills.get()
    soon = timezone.now() + timedelta(days=28)
    assert bill_services.bills_mark_overdue_and_remind(now=soon)["reminded"] == 1
    assert bill_services.bills_mark_overdue_and_remind(now=soon)["reminded"] == 0
    (due,) = events("bill.due")
    assert due.payload["bill"]["number"] == bill.number
    assert due.payload["bill"]["amount"] == {"amount": "95.50", "currency": "CNY"}
    assert due.payload["bill"]["due_date"] == bill.due_date.isoformat()

    repayment = submit_offline_repayment(
        company, [bill], user, payer_account="6222 0000", paid_on=date.today()
    )
    assert not events("repayment.confirmed")  # submitted is not confirmed
    bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
    bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)  # twice: once
    (confirmed,) = events("repayment.confirmed")
    data = confirmed.payload["repayment"]
    assert data["amount"] == {"amount": "95.50", "currency": "CNY"}
    assert data["bills"] == [{"id": bill.pk, "number": bill.number}]
