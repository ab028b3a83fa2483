"""Dashboard: figures come from domain selectors only; empty states, never fake numbers.

Each domain contributes cards through a function added to ``CARD_PROVIDERS``; a
provider returns cards only for what the staff member may see.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from backoffice.core.selectors import task_queue_stats
from partners.models import Company, CompanyStatus
from partners.selectors import pending_applications, user_counts

from .scope import company_owner_q, is_owner_scoped


@dataclass(frozen=True)
class Card:
    title: str
    value: int | str
    icon: str
    link: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Queue:
    """A work queue: its open items and where its link goes. The items are counted later,
    with every other queue's, in one query (``work_queues``). ``open_sole``: when exactly
    one item is waiting, the link opens it directly (queue → 通过 → confirm)."""

    title: str
    items: QuerySet
    link: str
    open_sole: bool = False


def work_queues(request: HttpRequest) -> list[tuple[str, int, str]]:
    """(title, open count, link) of every queue the staff member may see: one query.

    Kept on the request: the dashboard and the sidebar's badges ask on the same page."""
    cached = getattr(request, "_work_queues", None)
    if cached is None:
        cached = request._work_queues = _count_work_queues(request)
    return cached


def _count_work_queues(request: HttpRequest) -> list[tuple[str, int, str]]:
    from backoffice.core.selectors import counts_with_sole_ids

    queues = [queue for provider in WORK_QUEUE_PROVIDERS for queue in provider(request)]
    rows = []
    for queue, (count, sole_id) in zip(
        queues, counts_with_sole_ids([queue.items for queue in queues]), strict=True
    ):
        link = queue.link
        if queue.open_sole and count == 1:
            opts = queue.items.model._meta
            link = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[sole_id])
        rows.append((queue.title, count, link))
    return rows


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


def _owner_scoped(request: HttpRequest, queryset):
    """销售 count only their own objects: the rule of the model's OwnerScopedMixin admin."""
    if not is_owner_scoped(request):
        return queryset
    from django.contrib import admin

    return queryset.filter(admin.site._registry[queryset.model].owner_q(request.user))


def _model_queue(
    request: HttpRequest,
    title,
    model: str,
    items: Callable[[], QuerySet],
    query: str = "",
    *,
    scoped: bool = False,
) -> list[Queue]:
    """The queue of ``model``'s changelist (``app_label.model_name``, filtered by ``query``),
    shown to staff who may view that model; ``scoped``: 销售 count only their own."""
    app_label, model_name = model.split(".")
    if not request.user.has_perm(f"{app_label}.view_{model_name}"):
        return []
    pending = _owner_scoped(request, items()) if scoped else items()
    link = reverse(f"admin:{app_label}_{model_name}_changelist")
    return [Queue(title, pending, f"{link}?{query}" if query else link)]


def _registration_queue(request: HttpRequest) -> list[Queue]:
    """待审核注册申请: shown to staff who may see applications."""
    if not request.user.has_perm("partners.view_registrationapplication"):
        return []
    pending = pending_applications()
    if is_owner_scoped(request):  # 销售: only applications naming them as owner
        pending = pending.filter(business_owner=request.user)
    # The list, even for one application: its row's 确认 approves (two clicks from here).
    link = reverse("admin:partners_registrationapplication_changelist") + "?status=pending"
    return [Queue(_("Pending registrations"), pending, link)]


@dataclass(frozen=True)
class ModelQueue:
    """A work queue on one changelist, a row of ``WORK_QUEUE_PROVIDERS``: ``selector`` is the
    dotted path of the domain selector giving its open items, imported when counted."""

    title: str
    model: str
    selector: str
    query: str = ""
    scoped: bool = False

    def __call__(self, request: HttpRequest) -> list[Queue]:
        items = import_string(self.selector)
        return _model_queue(request, self.title, self.model, items, self.query, scoped=self.scoped)


def _refund_queues(request: HttpRequest) -> list[Queue]:
    """待退款: money a provider confirmed that goes back (late or surplus payments)."""
    from billing.models import OnlineRepayment, PaymentRecordStatus, RefundDue

    due = PaymentRecordStatus.REFUND_DUE
    return _model_queue(
        request,
        _("Payments to refund"),
        "billing.refunddue",
        lambda: RefundDue.objects.filter(status=due),
    ) + _model_queue(
        request,
        _("Online repayments to refund"),
        "billing.onlinerepayment",
        lambda: OnlineRepayment.objects.filter(status=due),
        f"status={due}",
    )


# Work queues (registrations to review, payments to confirm, ...): each returns the Queue
# objects of items needing action. Zero-count queues are listed too (greyed), so staff
# always see the full list.
WORK_QUEUE_PROVIDERS: list[Callable[[HttpRequest], list[Queue]]] = [
    _registration_queue,
    # 待确认线下还款: offline repayments waiting for finance to confirm or reject.
    ModelQueue(
        _("Offline repayments to confirm"),
        "billing.repayment",
        "billing.selectors.repayments_awaiting_review",
        "status=submitted",
    ),
    # 逾期账单: credit bills past their due date and not repaid.
    ModelQueue(
        _("Overdue bills"),
        "billing.bill",
        "billing.selectors.overdue_bills",
        "status__exact=overdue",
    ),
    # 待确认线下付款: offline order payments waiting for finance to confirm or reject.
    ModelQueue(
        _("Offline payments to confirm"),
        "billing.payment",
        "billing.selectors.fulfilment.pending_offline_payments",
        "kind=offline&status=pending",
    ),
    # 待开票申请: invoice requests waiting to be issued or rejected.
    ModelQueue(
        _("Invoice requests to issue"),
        "billing.invoicerequest",
        "billing.selectors.fulfilment.pending_invoice_requests",
        "status=pending",
    ),
    # 未匹配银行流水: imported bank credits no rule matched, until finance decides.
    ModelQueue(
        _("Unmatched bank lines"),
        "billing.bankstatementline",
        "billing.selectors.bankstatements.unmatched_bank_lines",
        "status=unmatched",
    ),
    _refund_queues,
    # 未关闭工单: consultation tickets that are new or in progress.
    ModelQueue(
        _("Open consultation tickets"),
        "catalog.consultationticket",
        "catalog.selectors.open_tickets",
        "status=open",
        scoped=True,
    ),
    # 试用申请: trial requests that are new or in progress.
    ModelQueue(
        _("Open trial requests"),
        "catalog.trialrequest",
        "catalog.selectors.open_trial_requests",
        "status=open",
        scoped=True,
    ),
    # 有异议的分账单: statements a partner disputed (销售: their companies' only).
    ModelQueue(
        _("Disputed statements"),
        "billing.statement",
        "billing.statements.selectors.disputed_statements",
        "status__exact=disputed",
        scoped=True,
    ),
    # 待复核财务操作: finance postings above the threshold waiting for a second user.
    ModelQueue(
        _("Finance postings to approve"),
        "billing.pendingposting",
        "billing.selectors.pending_postings",
        "status=pending",
    ),
]


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    from .dashboard_figures import dashboard_figures

    cards = [card for provider in CARD_PROVIDERS for card in provider(request)]
    context.update(
        {"kpi_cards": cards, "work_queues": work_queues(request), **dashboard_figures(request)}
    )
    return context


def environment_callback(request: HttpRequest) -> list[str] | None:
    if settings.DEBUG:
        return [str(_("Development")), "warning"]
    return None
