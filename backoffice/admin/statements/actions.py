"""A statement's detail actions: generate, confirm, resolve, adjust, voucher, complete."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from backoffice.core.money import format_money
from billing.models import Statement
from billing.statements.services import (
    generate_statements,
    previous_period,
)
from billing.statements.workflow import (
    statement_adjust,
    statement_complete,
    statement_confirm,
    statement_resolve,
    statement_upload_voucher,
)

from ..base import guarded_action, posted
from .common import AdjustForm, ConfirmForm, GenerateForm, ResolveForm, VoucherForm


class StatementActionsMixin:
    """Each action's GET shows a form page, its POST calls one statements service."""

    action_target_arg = "statement_id"

    def _object_or_404(self, request, object_id) -> Statement:
        """The statement of a detail action (its id is used as is, not admin-unquoted)."""
        obj = self.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        return obj

    def _summary(self, statement: Statement) -> list[tuple[str, object]]:
        return [
            (_("Statement no."), statement.number),
            (_("Company"), statement.company_name),
            (_("Billing period"), statement.period_label),
            (_("Status"), statement.get_status_display()),
            (_("Sales amount"), format_money(statement.sales_amount, statement.currency)),
            (_("Statement amount"), format_money(statement.total_payable, statement.currency)),
        ]

    @guarded_action(
        "generate", _("Generate statements"), icon="play_circle", variant=ActionVariant.PRIMARY
    )
    def generate(self, request: HttpRequest) -> HttpResponse:
        # Not _form_action: a list action with no object, and a report of many outcomes.
        form = GenerateForm(posted(request), initial={"period": previous_period().key})
        if request.method == "POST" and form.is_valid():
            company = form.cleaned_data["company"]
            result = generate_statements(
                period=form.cleaned_data["period"],
                company_id=company.pk if company else None,
                actor=request.user,
            )
            level = messages.WARNING if result["failed"] else messages.SUCCESS
            self.message_user(
                request,
                gettext(
                    "%(period)s: %(created)d created, %(regenerated)d regenerated, "
                    "%(kept)d left untouched (disputed, confirmed or later), %(failed)d failed."
                )
                % result,
                level,
            )
            for error in result["errors"]:
                self.message_user(request, error, messages.ERROR)
            url = reverse("admin:billing_statement_changelist")
            return HttpResponseRedirect(f"{url}?period={result['period']}")
        return self._action_page(
            request,
            None,
            form,
            title=gettext("Generate statements"),
            description=gettext(
                "Creates one statement per company and currency for the month's orders. "
                "Statements that are to be confirmed are rebuilt; disputed, confirmed and "
                "later ones are left untouched."
            ),
            submit_label=gettext("Generate"),
            cancel_url=reverse("admin:billing_statement_changelist"),
        )

    @guarded_action(
        "confirm", _("Confirm on behalf"), icon="task_alt", variant=ActionVariant.PRIMARY
    )
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            ConfirmForm,
            statement_confirm,
            message=gettext("Statement %(number)s is confirmed."),
            title=gettext("Confirm the statement on behalf of the partner"),
            description=gettext("A confirmed statement can no longer be changed."),
            submit_label=gettext("Confirm"),
        )

    @guarded_action("resolve", _("Resolve dispute"), icon="gavel", variant=ActionVariant.WARNING)
    def resolve_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            ResolveForm,
            statement_resolve,
            message=gettext("The dispute on %(number)s is resolved."),
            fields=("resolution", "note"),
            title=gettext("Resolve the dispute"),
            description=lambda statement: (
                gettext("The partner's reason: %(reason)s") % {"reason": statement.dispute_reason}
            ),
            submit_label=gettext("Resolve"),
            variant="danger",
        )

    @guarded_action("adjust", _("Add adjustment"), icon="exposure")
    def adjust_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            AdjustForm,
            statement_adjust,
            message=gettext("Adjustment added to %(number)s."),
            fields=("amount", "reason"),
            title=gettext("Add an adjustment"),
            description=gettext(
                "A separate, reasoned line of the statement. Only while it is to be confirmed."
            ),
            submit_label=gettext("Add"),
        )

    @guarded_action(
        "voucher", _("Upload voucher"), icon="upload_file", variant=ActionVariant.PRIMARY
    )
    def voucher_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            lambda _statement: VoucherForm(posted(request), request.FILES or None),
            statement_upload_voucher,
            message=gettext("Statement %(number)s is paid."),
            fields=(("upload", "voucher"), "paid_on", "reference"),
            title=gettext("Upload the payment voucher"),
            description=gettext("Records the payment; the statement becomes paid."),
            submit_label=gettext("Upload"),
        )

    @guarded_action("complete", _("Complete"), icon="done_all", variant=ActionVariant.SUCCESS)
    def complete_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._service_action(
            request,
            object_id,
            ConfirmForm,
            statement_complete,
            message=gettext("Statement %(number)s is completed."),
            title=gettext("Complete the statement"),
            submit_label=gettext("Complete"),
        )
