"""Bills and repayments (还款): the repayment review queue."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from backoffice.core.money import format_money
from billing.models import Bill, BillStatus, Repayment, RepaymentStatus
from billing.rules import OPEN_BILL_STATUSES
from billing.services.bills import (
    repayment_confirm,
    repayment_reject,
)
from billing.services.credit import (
    local_today,
)

from ..base import ReadOnlyAdmin, money_column, status_column
from ..queues import ALREADY, ReviewQueueAdmin, ReviewStatusFilter
from .common import FinanceActionMixin, RejectRepaymentForm, RepaymentColumnsMixin, _period

BILL_STATUS_LABELS = {
    BillStatus.PENDING: "warning",
    BillStatus.OVERDUE: "danger",
    BillStatus.SETTLED: "success",
}


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "company",
        "amount_display",
        "period",
        "due_date",
        "status_label",
        "days_remaining",
        "created_at",
    )
    list_select_related = ("account__company",)
    list_filter = (
        "status",
        ("account__currency", admin.ChoicesFieldListFilter),
        ("due_date", RangeDateFilter),
    )
    search_fields = ("number", "account__company__name")
    search_help_text = _("Search by bill no. or company name")
    fields = (
        "number",
        "account",
        "period_start",
        "period_end",
        "amount_display",
        "due_date",
        "status",
        "settled_at",
        "reminder_sent_at",
        "overdue_notice_sent_at",
        "created_at",
    )
    readonly_fields = fields

    @display(description=_("company"), ordering="account__company__name")
    def company(self, obj: Bill) -> str:
        return obj.account.company.name

    amount_display = money_column("amount", _("amount"), ordering="amount", currency_of="account")

    @display(description=_("billing period"), ordering="period_start")
    def period(self, obj: Bill) -> str:
        return _period(obj)

    status_label = status_column(BILL_STATUS_LABELS)

    @display(description=_("days remaining"))
    def days_remaining(self, obj: Bill) -> int | str:
        if obj.status not in OPEN_BILL_STATUSES:
            return "—"
        return (obj.due_date - local_today()).days


REPAYMENT_STATUS_LABELS = {
    RepaymentStatus.SUBMITTED: "warning",
    RepaymentStatus.CONFIRMED: "success",
    RepaymentStatus.REJECTED: "danger",
}


@admin.register(Repayment)
class RepaymentAdmin(RepaymentColumnsMixin, FinanceActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
    review_statuses = RepaymentStatus
    pending_status = RepaymentStatus.SUBMITTED
    review_permissions = ("billing.change_repayment",)
    confirm_service = staticmethod(repayment_confirm)
    reject_service = staticmethod(repayment_reject)
    service_object_arg = "repayment_id"

    list_display = (
        "company",
        "amount_display",
        "method",
        "payer_account",
        "paid_on",
        "bill_numbers",
        "submitted_by",
        "created_at",
        "status_label",
    )
    list_select_related = ("account__company", "submitted_by")
    list_filter = (ReviewStatusFilter, "method", ("paid_on", RangeDateFilter))
    search_fields = ("account__company__name", "payer_account", "bills__number")
    search_help_text = _("Search by company name, paying account or bill no.")
    fields = (
        "account",
        "method",
        "amount_display",
        "payer_account",
        "paid_on",
        "provider_reference",
        "status",
        "submitted_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
    )
    readonly_fields = fields
    actions = ("confirm_selected",)
    actions_detail = ("confirm_detail", "reject_detail")

    status_label = status_column(REPAYMENT_STATUS_LABELS)

    # --- permissions: who may review; the state decides which buttons show ---

    def has_confirm_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def has_reject_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        if not self.is_pending(request, object_id):
            return []  # confirmed or rejected: nothing left to review
        return actions

    def _summary(self, repayment: Repayment) -> list[tuple[str, object]]:
        currency = repayment.account.currency
        return [
            (_("company"), repayment.account.company.name),
            (_("amount"), format_money(repayment.amount, currency)),
            (_("method"), repayment.get_method_display()),
            (_("paying bank account"), repayment.payer_account),
            (_("payment date"), repayment.paid_on),
            (_("bills"), ", ".join(bill.number for bill in repayment.bills.all())),
            (_("submitted by"), repayment.submitted_by),
            (_("status"), repayment.get_status_display()),
        ]

    def reviewed_response(self, request, repayment: Repayment) -> HttpResponse | None:
        if repayment.status == RepaymentStatus.SUBMITTED:
            return None
        if repayment.status == RepaymentStatus.CONFIRMED:
            self.message_user(
                request,
                gettext("This repayment is already confirmed; nothing was posted again."),
                messages.INFO,
            )
        else:
            self.message_user(
                request,
                gettext("This repayment was rejected: %(reason)s")
                % {"reason": repayment.rejection_reason},
                messages.WARNING,
            )
        return HttpResponseRedirect(self._change_url(repayment))

    def decision_params(self, repayment: Repayment) -> dict:
        return {
            "amount": format_money(repayment.amount, repayment.account.currency),
            "company": repayment.account.company.name,
        }

    confirm_page = {
        "title": _("Confirm the offline repayment"),
        "description": _(
            "Confirm only after the transfer arrived on Blue Cloud's account. Confirming "
            "settles the bills and restores the available credit."
        ),
        "message": _(
            "Confirmed the repayment of %(amount)s from %(company)s; its bills are "
            "settled and the credit is available again."
        ),
    }
    reject_page = {
        "title": _("Reject the offline repayment"),
        "form": RejectRepaymentForm,
        "message": _("Rejected the repayment of %(amount)s from %(company)s."),
    }

    @admin.action(description=_("Confirm selected repayments"), permissions=["confirm"])
    def confirm_selected(self, request: HttpRequest, queryset) -> None:
        self.apply_to_selected(
            request,
            queryset.select_related("account__company").order_by("pk"),
            lambda repayment: self.confirm(request, repayment),
            label=lambda repayment: "{company} {amount}".format(**self.decision_params(repayment)),
            check=lambda repayment: (
                ALREADY if repayment.status == RepaymentStatus.CONFIRMED else None
            ),
            done_text=gettext("%(count)d repayment(s) confirmed: %(items)s."),
            already_text=gettext("%(count)d repayment(s) were already confirmed: %(items)s."),
            failed_text=gettext("%(count)d repayment(s) could not be confirmed: %(details)s"),
        )
