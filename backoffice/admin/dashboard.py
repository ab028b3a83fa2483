"""Dashboard: figures come from domain selectors only; empty states, never fake numbers.

Each domain contributes cards through a function added to ``CARD_PROVIDERS``; a
provider returns cards only for what the staff member may see.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backoffice.selectors import task_queue_stats
from billing.selectors import overdue_bill_count, repayments_awaiting_review_count
from partners.models import Company, CompanyStatus
from partners.selectors import pending_application_count, user_counts


@dataclass(frozen=True)
class Card:
    title: str
    value: int | str
    icon: str
    link: str = ""
    hint: str = ""


def _partner_cards(request: HttpRequest) -> list[Card]:
    if not request.user.has_perm("partners.view_user"):
        return []
    counts = user_counts()
    link = reverse("admin:partners_user_changelist")
    return [
        Card(_("Active staff"), counts["staff"], "badge", f"{link}?is_staff__exact=1"),
        Card(
            _("Active partner users"), counts["partner_users"], "group", f"{link}?is_staff__exact=0"
        ),
    ]


def _company_cards(request: HttpRequest) -> list[Card]:
    if not request.user.has_perm("partners.view_company"):
        return []
    # One COUNT on an indexed column; move to partners.selectors when it grows.
    enabled = Company.objects.filter(status=CompanyStatus.ENABLED).count()
    link = reverse("admin:partners_company_changelist")
    return [Card(_("Enabled companies"), enabled, "apartment", f"{link}?status__exact=enabled")]


def _task_cards(request: HttpRequest) -> list[Card]:
    if not request.user.has_perm("django_q.view_failure"):
        return []
    stats = task_queue_stats()
    return [
        Card(
            _("Queued tasks"),
            stats["queued"],
            "schedule",
            reverse("admin:django_q_ormq_changelist"),
        ),
        Card(
            _("Failed tasks (7 days)"),
            stats["failed_7d"],
            "error",
            reverse("admin:django_q_failure_changelist"),
            hint=_("Tasks that ran out of retries."),
        ),
    ]


CARD_PROVIDERS: list[Callable[[HttpRequest], list[Card]]] = [
    _partner_cards,
    _company_cards,
    _task_cards,
]


def _registration_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待审核注册申请: shown to staff who may see applications, when any are waiting."""
    if not request.user.has_perm("partners.view_registrationapplication"):
        return []
    count = pending_application_count()
    if not count:
        return []
    link = reverse("admin:partners_registrationapplication_changelist")
    return [(_("Pending registrations"), count, f"{link}?status=pending")]


def _offline_repayment_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待确认线下还款: offline repayments waiting for finance to confirm or reject."""
    if not request.user.has_perm("billing.view_repayment"):
        return []
    count = repayments_awaiting_review_count()
    if not count:
        return []
    link = reverse("admin:billing_repayment_changelist")
    return [(_("Offline repayments to confirm"), count, f"{link}?status=submitted")]


def _overdue_bill_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """逾期账单: credit bills past their due date and not repaid."""
    if not request.user.has_perm("billing.view_bill"):
        return []
    count = overdue_bill_count()
    if not count:
        return []
    link = reverse("admin:billing_bill_changelist")
    return [(_("Overdue bills"), count, f"{link}?status__exact=overdue")]


# Work queues (registrations to review, payments to confirm, ...) are appended by
# the domain issues; each returns (title, count, link) for items needing action.
WORK_QUEUE_PROVIDERS: list[Callable[[HttpRequest], list[tuple[str, int, str]]]] = [
    _registration_queue,
    _offline_repayment_queue,
    _overdue_bill_queue,
]


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    cards = [card for provider in CARD_PROVIDERS for card in provider(request)]
    queues = [item for provider in WORK_QUEUE_PROVIDERS for item in provider(request)]
    context.update({"kpi_cards": cards, "work_queues": queues})
    return context


def environment_callback(request: HttpRequest) -> list[str] | None:
    if settings.DEBUG:
        return [str(_("Development")), "warning"]
    return None


def _offline_payment_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待确认线下付款: offline order payments waiting for finance to confirm or reject."""
    from billing.selectors_fulfilment import pending_offline_payment_count

    if not request.user.has_perm("billing.view_payment"):
        return []
    count = pending_offline_payment_count()
    if not count:
        return []
    link = reverse("admin:billing_payment_changelist")
    return [(_("Offline payments to confirm"), count, f"{link}?kind=offline&status=pending")]


def _invoice_request_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待开票申请: invoice requests waiting to be issued or rejected."""
    from billing.selectors_fulfilment import pending_invoice_request_count

    if not request.user.has_perm("billing.view_invoicerequest"):
        return []
    count = pending_invoice_request_count()
    if not count:
        return []
    link = reverse("admin:billing_invoicerequest_changelist")
    return [(_("Invoice requests to issue"), count, f"{link}?status=pending")]


WORK_QUEUE_PROVIDERS += [_offline_payment_queue, _invoice_request_queue]
