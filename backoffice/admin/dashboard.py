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

from backoffice.admin.base import company_owner_q, is_owner_scoped
from backoffice.selectors import task_queue_stats
from billing.selectors import overdue_bill_count, repayments_awaiting_review_count
from partners.models import ApplicationStatus, Company, CompanyStatus, RegistrationApplication
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
    companies = Company.objects.all()
    if is_owner_scoped(request):  # 销售: only the companies they own
        companies = companies.filter(company_owner_q(request.user))
    enabled = companies.filter(status=CompanyStatus.ENABLED).count()
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
    if is_owner_scoped(request):  # 销售: only applications naming them as owner
        count = RegistrationApplication.objects.filter(
            status=ApplicationStatus.PENDING, business_owner=request.user
        ).count()
    else:
        count = pending_application_count()
    link = reverse("admin:partners_registrationapplication_changelist") + "?status=pending"
    if count == 1:  # one waiting: open it directly (queue → 通过 → confirm)
        pending = RegistrationApplication.objects.filter(status=ApplicationStatus.PENDING)
        if is_owner_scoped(request):
            pending = pending.filter(business_owner=request.user)
        link = _sole_item_link(pending, link)
    return [(_("Pending registrations"), count, link)]


def _offline_repayment_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待确认线下还款: offline repayments waiting for finance to confirm or reject."""
    if not request.user.has_perm("billing.view_repayment"):
        return []
    count = repayments_awaiting_review_count()
    link = reverse("admin:billing_repayment_changelist")
    return [(_("Offline repayments to confirm"), count, f"{link}?status=submitted")]


def _overdue_bill_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """逾期账单: credit bills past their due date and not repaid."""
    if not request.user.has_perm("billing.view_bill"):
        return []
    count = overdue_bill_count()
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
    context.update({"kpi_cards": cards, "work_queues": queues, **dashboard_figures(request)})
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
    link = reverse("admin:billing_payment_changelist")
    return [(_("Offline payments to confirm"), count, f"{link}?kind=offline&status=pending")]


def _invoice_request_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待开票申请: invoice requests waiting to be issued or rejected."""
    from billing.selectors_fulfilment import pending_invoice_request_count

    if not request.user.has_perm("billing.view_invoicerequest"):
        return []
    count = pending_invoice_request_count()
    link = reverse("admin:billing_invoicerequest_changelist")
    return [(_("Invoice requests to issue"), count, f"{link}?status=pending")]


WORK_QUEUE_PROVIDERS += [_offline_payment_queue, _invoice_request_queue]


# --------------------------------------------------------------------------
# Staff-console issue: the remaining work queues and the figures
# Zero-count queues are listed too (greyed), so staff always see the full list.
# --------------------------------------------------------------------------


def _sole_item_link(queryset, fallback: str) -> str:
    """The change page of the only item of a queue, else the queue's changelist."""
    from backoffice.selectors import sole_item_id

    pk = sole_item_id(queryset)
    if pk is None:
        return fallback
    opts = queryset.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])


def _owner_scoped(request: HttpRequest, queryset):
    """销售 count only their own objects: the rule of the model's OwnerScopedMixin admin."""
    if not is_owner_scoped(request):
        return queryset
    from django.contrib import admin

    return queryset.filter(admin.site._registry[queryset.model].owner_q(request.user))


def _scoped_open_count(request: HttpRequest, model_name: str) -> int | None:
    """Open leads assigned to a 销售 user; None for unscoped staff (use the selector)."""
    if not is_owner_scoped(request):
        return None
    from django.apps import apps

    from catalog.models import LeadStatus

    model = apps.get_model("catalog", model_name)
    return _owner_scoped(request, model.objects.exclude(status=LeadStatus.CLOSED)).count()


def _open_ticket_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """未关闭工单: consultation tickets that are new or in progress."""
    from backoffice.selectors import open_ticket_count

    if not request.user.has_perm("catalog.view_consultationticket"):
        return []
    link = reverse("admin:catalog_consultationticket_changelist")
    count = _scoped_open_count(request, "consultationticket")
    if count is None:
        count = open_ticket_count()
    return [(_("Open consultation tickets"), count, f"{link}?status=open")]


def _trial_request_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """试用申请: trial requests that are new or in progress."""
    from backoffice.selectors import open_trial_request_count

    if not request.user.has_perm("catalog.view_trialrequest"):
        return []
    link = reverse("admin:catalog_trialrequest_changelist")
    count = _scoped_open_count(request, "trialrequest")
    if count is None:
        count = open_trial_request_count()
    return [(_("Open trial requests"), count, f"{link}?status=open")]


def _disputed_statement_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """有异议的分账单: statements a partner disputed."""
    from billing.statements.selectors import disputed_statement_count

    if not request.user.has_perm("billing.view_statement"):
        return []
    link = reverse("admin:billing_statement_changelist")
    if is_owner_scoped(request):  # 销售: their companies' statements only
        from billing.models import Statement, StatementStatus

        disputed = Statement.objects.filter(status=StatementStatus.DISPUTED)
        count = _owner_scoped(request, disputed).count()
    else:
        count = disputed_statement_count()
    return [(_("Disputed statements"), count, f"{link}?status__exact=disputed")]


def _pending_posting_queue(request: HttpRequest) -> list[tuple[str, int, str]]:
    """待复核财务操作: finance postings above the threshold waiting for a second user."""
    from backoffice.selectors import pending_posting_count

    if not request.user.has_perm("billing.view_pendingposting"):
        return []
    link = reverse("admin:billing_pendingposting_changelist")
    return [(_("Finance postings to approve"), pending_posting_count(), f"{link}?status=pending")]


WORK_QUEUE_PROVIDERS += [
    _open_ticket_queue,
    _trial_request_queue,
    _disputed_statement_queue,
    _pending_posting_queue,
]


def dashboard_figures(request: HttpRequest) -> dict:
    """Sales this month, top solutions, new partners and credit near limits.

    Each figure is one selector query, shown to staff with the view permission of
    its model. Company-wide figures are not shown to owner-scoped (销售) staff.
    """
    import json

    from backoffice import selectors
    from billing.money import format_money

    user = request.user
    scoped = is_owner_scoped(request)
    figures: dict = {}
    if user.has_perm("billing.view_order") and not scoped:
        sales = selectors.monthly_sales_by_currency()
        for row in sales:
            row["display"] = format_money(row["total"], row["currency"])
        figures["monthly_sales"] = sales
        figures["monthly_sales_chart"] = json.dumps(
            {
                "labels": [row["currency"] for row in sales],
                "datasets": [
                    {
                        "label": str(_("Sales this month")),
                        # Decimal as a string: Chart.js parses it; money never becomes a float here.
                        "data": [str(row["total"]) for row in sales],
                    }
                ],
            }
        )
        figures["top_solutions"] = selectors.top_solutions_this_month()
    if user.has_perm("partners.view_company") and not scoped:
        figures["new_partners"] = selectors.new_partners()
    if user.has_perm("billing.view_creditaccount") and not scoped:
        rows = selectors.credit_near_limit()
        for row in rows:
            row["percent"] = int(row["usage"] * 100)
            row["used_display"] = format_money(row["used"], row["currency"])
            row["limit_display"] = format_money(row["credit_limit"], row["currency"])
        figures["credit_near_limit"] = rows
    return {"figures": figures}
