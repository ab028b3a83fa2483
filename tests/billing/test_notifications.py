"""Every decision a partner waits on is told by mail and in the 消息中心 (issue 16.3).

One test per kind, both ways: the decision commits → a message per recipient and its mail
in the outbox, sent after the commit (text and HTML, "云睐：" prefix, an absolute link);
the decision rolls back → neither.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction

from backoffice.core.models import Notification, OutboundEmail
from billing.models import Bill, Statement
from billing.services import bills as bill_services
from billing.services import credit
from billing.services.fulfilment import order_complete, order_deliver
from billing.services.invoices import invoice_issue, invoice_request_create
from billing.services.orders import (
    payment_confirm_offline,
    payment_reject_offline,
    payment_submit_offline,
)
from billing.statements.services import generate_statements
from billing.statements.workflow import Resolution, statement_dispute, statement_resolve
from partners.models import CompanyRole
from tests.billing.helpers import charge_credit, make_partner_user, submit_offline_repayment
from tests.billing.order_helpers import Shop
from tests.billing.statements.files import pdf_upload
from tests.billing.statements.helpers import Seller, local
from tests.billing.test_fulfilment import invoice_fields
from tests.partners.factories import CompanyFactory, admin_of

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


class Rollback(Exception):
    pass


# --------------------------------------------------------------------------
# Each kind: a set-up (before the decision) and the decision itself
# --------------------------------------------------------------------------


def _offline_order(shop):
    order = shop.place(payment_method="offline")
    payment = payment_submit_offline(
        order_id=order.pk, user=shop.user, payer_account="6222", paid_on=date.today()
    )
    return order, payment


def _paid_order(shop):
    order, payment = _offline_order(shop)
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    return order


def _bill(shop, *, due_in: int | None = None):
    charge_credit(shop.company, "100", order_number="c1", key="c1", days_ago=1)
    bill_services.bills_generate(until=credit.local_today())
    bill = Bill.objects.get(account__company=shop.company)
    if due_in is not None:
        Bill.objects.filter(pk=bill.pk).update(due_date=credit.local_today() + timedelta(due_in))
    return bill


def payment_confirmed(shop):
    _order, payment = _offline_order(shop)
    return lambda: payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)


def payment_rejected(shop):
    _order, payment = _offline_order(shop)
    return lambda: payment_reject_offline(
        payment_id=payment.pk, actor=shop.staff, reason="金额与订单不符"
    )


def repayment_confirmed(shop):
    repayment = submit_offline_repayment(shop.company, [_bill(shop)], shop.user)
    return lambda: bill_services.repayment_confirm(repayment_id=repayment.pk, actor=shop.staff)


def repayment_rejected(shop):
    repayment = submit_offline_repayment(shop.company, [_bill(shop)], shop.user)
    return lambda: bill_services.repayment_reject(
        repayment_id=repayment.pk, actor=shop.staff, reason="未收到款项"
    )


def bill_issued(shop):
    charge_credit(shop.company, "100", order_number="c1", key="c1", days_ago=1)
    return lambda: bill_services.bills_generate(until=credit.local_today())


def bill_due_soon(shop):
    _bill(shop, due_in=3)
    return bill_services.bills_mark_overdue_and_remind


def bill_overdue(shop):
    _bill(shop, due_in=-1)
    return bill_services.bills_mark_overdue_and_remind


def _seller(shop) -> Seller:
    seller = Seller(shop.company)
    seller.admin = shop.user
    seller.orders(2, at=local(2026, 10, 5), total="500.00")
    return seller


def statement_ready(shop):
    shop.company.revenue_share_rate = Decimal("0.1000")
    shop.company.save(update_fields=["revenue_share_rate"])
    _seller(shop)
    return lambda: generate_statements(period="2026-10")


def statement_dispute_answered(shop):
    statement_ready(shop)()
    statement = Statement.objects.get(company=shop.company)
    statement_dispute(statement_id=statement.pk, actor=shop.user, reason="订单数不对")
    return lambda: statement_resolve(
        statement_id=statement.pk,
        actor=shop.staff,
        resolution=Resolution.REGENERATE,
        note="已补录订单",
    )


def order_delivered(shop):
    order = _paid_order(shop)
    return lambda: order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-1")


def order_completed(shop):
    order = _paid_order(shop)
    order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-1")
    return lambda: order_complete(order_id=order.pk, actor=shop.staff, by_staff=True)


def invoice_issued(shop):
    order = _paid_order(shop)
    request = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    return lambda: invoice_issue(
        request_id=request.pk, actor=shop.staff, invoice_number="No.0001", pdf=pdf_upload()
    )


KINDS = {
    f.__name__: f
    for f in (
        payment_confirmed,
        payment_rejected,
        repayment_confirmed,
        repayment_rejected,
        bill_issued,
        bill_due_soon,
        bill_overdue,
        statement_ready,
        statement_dispute_answered,
        order_delivered,
        order_completed,
        invoice_issued,
    )
}
#: A phrase of each kind's Chinese subject or body (the reason, where there is one).
MUST_SAY = {
    "payment_rejected": "金额与订单不符",
    "repayment_rejected": "未收到款项",
    "statement_dispute_answered": "已补录订单",
    "invoice_issued": "No.0001",
}


@pytest.fixture
def shop(settings):
    settings.SITE_URL = SITE
    shop = Shop()
    shop.co_admin = make_partner_user(
        shop.company, email="co-admin@example.com", role=CompanyRole.CO_ADMIN
    )
    return shop


def _kind_rows(kind: str):
    template = f"billing/mail/{kind}"
    return (
        list(Notification.objects.filter(kind=kind).order_by("pk")),
        list(OutboundEmail.objects.filter(template=template).order_by("pk")),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_decision_is_told_after_commit(kind, shop, django_capture_on_commit_callbacks):
    decide = KINDS[kind](shop)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide()
    notices, emails = _kind_rows(kind)
    recipients = {shop.user.email, shop.co_admin.email}
    assert {n.recipient.email for n in notices} == recipients
    assert {e.to for e in emails} == recipients and all(e.status == "sent" for e in emails)
    sent = [m for m in mail.outbox if m.to[0] in recipients and m.subject.startswith("云睐：")]
    assert len(sent) == 2, [m.subject for m in mail.outbox]
    for message in sent:
        html = {mime: body for body, mime in message.alternatives}["text/html"]
        assert message.subject.count("云睐") == 1
        assert notices[0].link and f"{SITE}{notices[0].link}" in message.body
        assert f'href="{SITE}{notices[0].link}"' in html
        assert "云睐 AggreSmart" in message.body and "云睐 AggreSmart" in html
        if kind in MUST_SAY:
            assert MUST_SAY[kind] in message.body and MUST_SAY[kind] in html


@pytest.mark.parametrize("kind", KINDS)
def test_a_decision_rolled_back_tells_nobody(kind, shop, django_capture_on_commit_callbacks):
    decide = KINDS[kind](shop)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        decide()
        assert _kind_rows(kind) != ([], [])  # written in the transaction ...
        raise Rollback
    assert _kind_rows(kind) == ([], [])  # ... and gone with it
    assert not callbacks and not mail.outbox


def test_the_submitter_is_told_too_once(shop, django_capture_on_commit_callbacks):
    """A repayment submitted by a co-admin of a company whose co-admins are not told of
    credit matters still reaches them; the 管理员 once, however chosen."""
    submitter = make_partner_user(shop.company, email="submitter@example.com", role="co_admin")
    repayment = submit_offline_repayment(shop.company, [_bill(shop)], submitter)
    with django_capture_on_commit_callbacks(execute=True):
        bill_services.repayment_confirm(repayment_id=repayment.pk, actor=shop.staff)
    notices, emails = _kind_rows("repayment_confirmed")
    assert sorted(e.to for e in emails) == sorted(
        [shop.user.email, shop.co_admin.email, "submitter@example.com"]
    )
    assert len(notices) == 3


def test_due_soon_and_overdue_are_told_once_per_bill(shop, django_capture_on_commit_callbacks):
    bill = _bill(shop, due_in=2)
    with django_capture_on_commit_callbacks(execute=True):
        bill_services.bills_mark_overdue_and_remind()
        bill_services.bills_mark_overdue_and_remind()
    Bill.objects.filter(pk=bill.pk).update(due_date=credit.local_today() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        bill_services.bills_mark_overdue_and_remind()
        # Even a second run after a lost flag: the notice's key refuses the repeat.
        Bill.objects.filter(pk=bill.pk).update(status="pending")
        bill_services.bills_mark_overdue_and_remind()
    for kind in ("bill_due_soon", "bill_overdue"):
        notices, emails = _kind_rows(kind)
        assert len(notices) == 2 and len(emails) == 2, kind


def test_regenerating_a_draft_statement_does_not_tell_again(shop):
    statement_ready(shop)()
    generate_statements(period="2026-10")
    notices, emails = _kind_rows("statement_ready")
    assert len(notices) == 2 and len(emails) == 2


def test_an_english_user_gets_english(shop, django_capture_on_commit_callbacks):
    shop.co_admin.language = "en"
    shop.co_admin.save(update_fields=["language"])
    decide = payment_rejected(shop)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide()
    by_to = {m.to[0]: m for m in mail.outbox}
    english, chinese = by_to[shop.co_admin.email], by_to[shop.user.email]
    assert english.subject.startswith("AggreSmart: ") and "rejected" in english.subject
    assert "Reason: 金额与订单不符" in english.body and "Best regards," in english.body
    assert chinese.subject.startswith("云睐：") and "驳回" in chinese.subject


def test_another_company_is_not_told(shop, django_capture_on_commit_callbacks):
    other = CompanyFactory()
    decide = payment_confirmed(shop)
    with django_capture_on_commit_callbacks(execute=True):
        decide()
    assert not Notification.objects.filter(recipient__company=other).exists()


def test_a_months_statements_are_told_in_the_same_queries_for_any_count(
    django_capture_on_commit_callbacks,
):
    """``statements_ready_notify`` (the end of a month's run) asks and writes a fixed number
    of times however many companies it tells, sends every mail after the commit, and tells
    nobody twice on a re-run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.notices import statements_ready_notify
    from tests.billing.statements.helpers import make_statement

    def run(count: int) -> tuple[int, list]:
        statements = []
        for _ in range(count):
            company = CompanyFactory()
            admin_of(company)
            make_partner_user(company, role=CompanyRole.CO_ADMIN)
            statements.append(make_statement(company))
        mail.outbox.clear()
        with (
            django_capture_on_commit_callbacks(execute=True),
            transaction.atomic(),
            CaptureQueriesContext(connection) as queries,
        ):
            told = statements_ready_notify(statements)
        assert told == 2 * count  # the 管理员 and the co-admin of each company
        assert len(mail.outbox) == 2 * count
        return len(queries), statements

    few, _ = run(2)
    many, statements = run(7)
    assert many == few
    assert OutboundEmail.objects.filter(template="billing/mail/statement_ready").count() == 18
    assert all(
        e.status == "sent"
        for e in OutboundEmail.objects.filter(template="billing/mail/statement_ready")
    )
    with transaction.atomic():
        assert statements_ready_notify(statements) == 0  # a re-run (regeneration) tells no one
    assert Notification.objects.filter(kind="statement_ready").count() == 18
