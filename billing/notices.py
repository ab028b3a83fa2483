"""The decisions a partner waits on, told by mail and in the portal's 消息中心.

One function per kind; each is one call at the place the decision is made, inside its
transaction (``backoffice.core.notifications.notify``: the message and the outbox mail
are written there, the mail leaves after the commit). Who hears it is one rule,
``partners.selectors.company_notice_users``: the company's 管理员 and signed-in 协同管理员,
and the user who submitted the thing decided. Templates: ``billing/mail/<kind>``.
"""

from backoffice.core.mail import route_url
from backoffice.core.money import format_money
from backoffice.core.notifications import Notice, notified_keys, notify, notify_many
from billing.models import PaymentRecordStatus, RepaymentStatus
from partners.selectors import companies_notice_users, company_notice_users

ORDER_PAGE = "portal:account_order_detail"
CREDIT_PAGE = "portal:assets_credit"
COUPONS_PAGE = "portal:assets_coupons"
STATEMENT_PAGE = "portal:account_statement_detail"


def company_notify(
    *,
    company_id: int,
    kind: str,
    context: dict,
    link_name: str,
    link_args=(),
    submitter=None,
    key: str | None = None,
) -> int:
    users = company_notice_users(company_id=company_id, include_co_admins=True, also=submitter)
    return notify(
        users=users,
        kind=kind,
        template=f"billing/mail/{kind}",
        context=context,
        link_name=link_name,
        link_args=link_args,
        key=key,
    )


def order_notify(order, *, kind: str, context: dict | None = None, submitter=None) -> int:
    """A decision about ``order``: its payment, delivery, completion or invoice; told also
    to ``submitter`` (default: the user who placed the order)."""
    return company_notify(
        company_id=order.company_id,
        kind=kind,
        context={
            "order_number": order.number,
            "order_url": route_url(ORDER_PAGE, order.number),
            **(context or {}),
        },
        link_name=ORDER_PAGE,
        link_args=(order.number,),
        submitter=submitter or order.placed_by,
    )


def payment_decided_notify(*, order, payment) -> int:
    """Finance confirmed or rejected an offline transfer (with the reason)."""
    confirmed = payment.status != PaymentRecordStatus.REJECTED
    return order_notify(
        order,
        kind="payment_confirmed" if confirmed else "payment_rejected",
        context={
            "amount": format_money(payment.amount, payment.currency),
            "reason": payment.rejection_reason,
        },
    )


def repayment_decided_notify(repayment, *, bills: str) -> int:
    """Finance confirmed or rejected an offline repayment (with the reason)."""
    confirmed = repayment.status != RepaymentStatus.REJECTED
    account = repayment.account
    return company_notify(
        company_id=account.company_id,
        kind="repayment_confirmed" if confirmed else "repayment_rejected",
        context={
            "amount": format_money(repayment.amount, account.currency),
            "bills": bills,
            "reason": repayment.rejection_reason,
        },
        link_name=CREDIT_PAGE,
        submitter=repayment.submitted_by,
    )


def bill_notify(bill, *, kind: str) -> int:
    """``bill_issued``, ``bill_due_soon`` or ``bill_overdue``: once per bill and user."""
    account = bill.account
    return company_notify(
        company_id=account.company_id,
        kind=kind,
        context={
            "number": bill.number,
            "amount": format_money(bill.amount, account.currency),
            "due_date": bill.due_date.isoformat(),
        },
        link_name=CREDIT_PAGE,
        key=f"{kind}:{bill.pk}",
    )


def _statement_context(statement) -> dict:
    return {
        "number": statement.number,
        "period": f"{statement.period_start:%Y-%m}",
        "amount": format_money(statement.total_payable, statement.currency),
    }


def statement_ready_notify(statement) -> int:
    """A statement is 待确认: once per statement and user, however often it is refreshed."""
    return company_notify(
        company_id=statement.company_id,
        kind="statement_ready",
        context=_statement_context(statement),
        link_name=STATEMENT_PAGE,
        link_args=(statement.pk,),
        key=f"statement_ready:{statement.pk}",
    )


def statements_ready_notify(statements) -> int:
    """``statement_ready_notify`` for each of ``statements`` not told yet, in a fixed number
    of queries however many there are (a month's run tells every company): one finds the
    statements told already, one the recipients, one writes the messages and one the mails.
    The notice's key still guarantees once-only."""
    keys = {f"statement_ready:{statement.pk}": statement for statement in statements}
    done = notified_keys(keys)
    todo = {key: statement for key, statement in keys.items() if key not in done}
    if not todo:
        return 0
    recipients = companies_notice_users(
        company_ids={statement.company_id for statement in todo.values()},
        include_co_admins=True,
    )
    kind = "statement_ready"
    return notify_many(
        Notice(
            users=recipients[statement.company_id],
            kind=kind,
            template=f"billing/mail/{kind}",
            context=_statement_context(statement),
            link_name=STATEMENT_PAGE,
            link_args=(statement.pk,),
            key=key,
        )
        for key, statement in todo.items()
    )


def statement_dispute_answered_notify(statement, *, regenerated: bool, note: str) -> int:
    """Blue Cloud answered a dispute: regenerated the statement, or confirmed it."""
    return company_notify(
        company_id=statement.company_id,
        kind="statement_dispute_answered",
        context={**_statement_context(statement), "regenerated": regenerated, "note": note},
        link_name=STATEMENT_PAGE,
        link_args=(statement.pk,),
        submitter=statement.disputed_by,
    )


def coupons_moved_notify(*, quota, reseller, kind: str, count: int, reason: str) -> int:
    """A distributor handed coupons of its quota to ``reseller`` (``hand_out``) or took
    unused ones back (``reclaim``): the sub-reseller is told."""
    campaign = quota.campaign
    return company_notify(
        company_id=reseller.pk,
        kind="coupons_handed_out" if kind == "hand_out" else "coupons_reclaimed",
        context={
            "distributor": quota.distributor.name,
            "campaign": campaign.name,
            "face_value": format_money(campaign.face_value, campaign.currency),
            "count": count,
            "reason": reason,
        },
        link_name=COUPONS_PAGE,
    )
