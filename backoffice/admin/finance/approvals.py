"""Four-eyes: postings above FOUR_EYES_THRESHOLD waiting for a second finance user."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant

from backoffice.core.money import format_money
from billing.models import PendingPosting, PendingPostingKind, PendingPostingStatus
from billing.services.approvals import posting_approve, posting_reject

from ..base import ReadOnlyAdmin, guarded_action, posted, status_column, text_field
from ..queues import ReviewQueueAdmin, ReviewStatusFilter
from .common import FinanceActionMixin

PENDING_STATUS_LABELS = {
    PendingPostingStatus.PENDING: "warning",
    PendingPostingStatus.APPROVED: "success",
    PendingPostingStatus.REJECTED: "danger",
}


class RejectPostingForm(forms.Form):
    reason = text_field(_("Rejection reason"), _("Required. The maker sees it in the queue."))


def _terms(tier, rate) -> str:
    """“金牌级 · 6.00%”, or the tier's own rate when the company has none of its own."""
    if rate is None:
        return gettext("%(tier)s · the tier's rate (%(rate)s)") % {
            "tier": tier.name,
            "rate": f"{tier.revenue_share_rate * 100:.2f}%",
        }
    return f"{tier.name} · {rate * 100:.2f}%"


def _new_terms(pending: PendingPosting) -> str:
    return _terms(pending.tier, pending.revenue_share_rate)


def _current_terms(company) -> str:
    return _terms(company.tier, company.revenue_share_rate)


@admin.register(PendingPosting)
class PendingPostingAdmin(FinanceActionMixin, ReviewQueueAdmin, ReadOnlyAdmin):
    review_statuses = PendingPostingStatus
    pending_status = PendingPostingStatus.PENDING
    review_permissions = ("billing.change_creditaccount", "billing.change_rebatewallet")
    confirm_service = staticmethod(posting_approve)
    reject_service = staticmethod(posting_reject)
    service_object_arg = "pending_id"
    service_actor_arg = "checker"

    list_display = (
        "kind",
        "company",
        "amount_display",
        "term_days",
        "reason",
        "maker",
        "created_at",
        "status_label",
        "checker",
        "result_reference",
    )
    list_select_related = ("company", "maker", "checker", "tier")
    list_filter = (ReviewStatusFilter, "kind", "currency")
    search_fields = ("company__name", "reason", "result_reference")
    search_help_text = _("Search by company name, reason or transaction no.")
    ordering = ("created_at", "pk")
    fields = (
        "kind",
        "company",
        "currency",
        "amount_display",
        "term_days",
        "reason",
        "maker",
        "created_at",
        "status",
        "checker",
        "decided_at",
        "rejection_reason",
        "result_reference",
    )
    readonly_fields = fields
    actions_detail = ("approve_posting_detail", "reject_posting_detail")
    row_confirm_detail = "approve_posting_detail"
    row_reject_detail = "reject_posting_detail"

    @display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PendingPosting) -> str:
        if obj.kind == PendingPostingKind.COMPANY_TERMS:
            return _new_terms(obj)
        return format_money(obj.amount, obj.currency)

    status_label = status_column(PENDING_STATUS_LABELS)

    def has_approve_posting_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def has_reject_posting_permission(self, request, object_id=None) -> bool:
        return self.may_review(request)

    def pending_rows(self, request):
        # Four eyes: the maker's own posting waits for somebody else.
        return super().pending_rows(request).exclude(maker=request.user)

    def get_actions_detail(self, request, object_id):
        actions = super().get_actions_detail(request, object_id)
        waiting = self.is_pending(request, object_id)
        return actions if waiting else []  # decided, or the viewer's own posting

    def _summary(self, pending: PendingPosting) -> list[tuple[str, object]]:
        rows = [(_("kind"), pending.get_kind_display()), (_("company"), pending.company.name)]
        if pending.kind == PendingPostingKind.COMPANY_TERMS:
            rows += [
                (_("current terms"), _current_terms(pending.company)),
                (_("new terms"), _new_terms(pending)),
            ]
        else:
            rows.append((_("amount"), format_money(pending.amount, pending.currency)))
        if pending.term_days:
            rows.append((_("term (days)"), pending.term_days))
        return [*rows, (_("reason"), pending.reason), (_("entered by"), pending.maker)]

    def reviewed_response(self, request, pending: PendingPosting) -> HttpResponse | None:
        if request.method != "GET" or pending.status == PendingPostingStatus.PENDING:
            return None
        self.message_user(
            request,
            gettext("This posting was already decided (%(status)s).")
            % {"status": pending.get_status_display()},
            messages.INFO,
        )
        return HttpResponseRedirect(self._change_url(pending))

    @staticmethod
    def _approved_message(pending, approved: PendingPosting, data) -> str:
        if approved.kind == PendingPostingKind.COMPANY_TERMS:
            return gettext("Approved: %(company)s has its new terms now (%(terms)s).") % {
                "company": approved.company.name,
                "terms": _new_terms(approved),
            }
        return gettext("Approved: the posting is in the ledger (%(reference)s).") % {
            "reference": approved.result_reference
        }

    def row_confirmed_message(self, pending: PendingPosting, approved: PendingPosting) -> str:
        return self._approved_message(pending, approved, None)

    @guarded_action(
        "approve_posting",
        _("Approve"),
        icon="check_circle",
        variant=ActionVariant.SUCCESS,
        url_path="approve",
    )
    def approve_posting_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: forms.Form(posted(request)),
            message=self._approved_message,
            title=gettext("Approve the finance posting"),
            description=gettext(
                "Approving writes the posting to the ledger now, in your name as the second "
                "finance user. You cannot approve a posting you entered yourself."
            ),
            submit_label=gettext("Approve"),
        )

    @guarded_action(
        "reject_posting", _("Reject"), icon="block", variant=ActionVariant.DANGER, url_path="reject"
    )
    def reject_posting_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.decision_action(request, object_id, reject=True)

    reject_page = {
        "title": _("Reject the finance posting"),
        "form": RejectPostingForm,
        "message": _("Rejected: nothing was posted."),
    }
