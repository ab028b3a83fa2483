"""Bank reconciliation (银行流水对账): column profiles, statement imports, and the lines
with their proposals. Finance confirms selected lines in one action (each a receipt
through ``billing.services.bankstatements``; four-eyes above the threshold), re-targets a
line, or ignores it. Unmatched lines are the dashboard's 未匹配银行流水 queue."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from backoffice.core.money import format_money
from billing.models.bankstatements import (
    OPEN_BANK_LINE_STATUSES,
    BankFileFormat,
    BankImportStatus,
    BankLineStatus,
    BankStatementImport,
    BankStatementLine,
    BankStatementProfile,
    MatchConfidence,
)
from billing.selectors.bankstatements import open_targets
from billing.services.bankstatements import (
    bank_line_ignore,
    bank_line_retarget,
    bank_lines_confirm,
    bank_lines_rematch,
    bank_statement_upload,
)
from partners.models import Company

from ..base import (
    ActionPageMixin,
    BaseAdmin,
    ReadOnlyAdmin,
    guarded_action,
    label_display,
    money_column,
    posted,
    status_column,
)
from ..queues import DefaultingRadioFilter
from ..scope import company_owner_q, is_owner_scoped

LINE_STATUS_LABELS = {
    BankLineStatus.PROPOSED: "info",
    BankLineStatus.UNMATCHED: "warning",
    BankLineStatus.AWAITING_APPROVAL: "warning",
    BankLineStatus.CONFIRMED: "success",
    BankLineStatus.IGNORED: "",
}
CONFIDENCE_LABELS = {
    MatchConfidence.HIGH: "success",
    MatchConfidence.MEDIUM: "info",
    MatchConfidence.LOW: "warning",
}
IMPORT_STATUS_LABELS = {
    BankImportStatus.PENDING: "",
    BankImportStatus.RUNNING: "info",
    BankImportStatus.DONE: "success",
    BankImportStatus.FAILED: "danger",
}


@admin.register(BankStatementProfile)
class BankStatementProfileAdmin(BaseAdmin):
    """列映射: new bank formats are rows here, not code."""

    list_display = ("name", "date_columns", "amount_columns", "encoding", "date_format", "active")
    list_filter = ("active", "encoding")
    search_fields = ("name",)
    ordering = ("name",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # imports name their profile: deactivate instead


# --------------------------------------------------------------------------
# Imports: the upload page, and each import's progress
# --------------------------------------------------------------------------


class UploadForm(forms.Form):
    bank_account = forms.ModelChoiceField(
        label=_("Bank account"), queryset=None, widget=UnfoldAdminSelectWidget
    )
    file_format = forms.ChoiceField(
        label=_("Format"), choices=BankFileFormat.choices, widget=UnfoldAdminSelectWidget
    )
    profile = forms.ModelChoiceField(
        label=_("Column profile"),
        queryset=BankStatementProfile.objects.filter(active=True),
        required=False,
        help_text=_("For CSV and Excel files; MT940 needs none."),
        widget=UnfoldAdminSelectWidget,
    )
    file = forms.FileField(label=_("Statement file"), widget=UnfoldAdminFileFieldWidget)

    def __init__(self, *args, **kwargs):
        from billing.models import BankAccount

        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = BankAccount.objects.filter(active=True)


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ActionPageMixin, ReadOnlyAdmin):
    action_form_name = "bank-import"
    action_form_multipart = "always"

    list_display = (
        "file_name",
        "bank_account",
        "file_format",
        "status_label",
        "progress",
        "credit_lines",
        "new_lines",
        "created_by",
        "created_at",
    )
    list_select_related = ("bank_account", "created_by")
    list_filter = ("status", "file_format")
    search_fields = ("file_name",)
    fields = (
        "file_name",
        "bank_account",
        "profile",
        "file_format",
        "status",
        "progress",
        "credit_lines",
        "new_lines",
        "error",
        "lines_link",
        "created_by",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    status_label = status_column(IMPORT_STATUS_LABELS)

    @display(description=_("progress"))
    def progress(self, obj: BankStatementImport):
        return format_html(
            '<progress max="100" value="{}" data-import-progress></progress> {} / {} ({}%)',
            obj.progress_percent,
            obj.rows_done,
            obj.rows_total,
            obj.progress_percent,
        )

    @display(description=_("lines"))
    def lines_link(self, obj: BankStatementImport):
        url = reverse("admin:billing_bankstatementline_changelist")
        return format_html(
            '<a href="{}?statement__id__exact={}&status=all" data-import-lines>{}</a>',
            url,
            obj.pk,
            gettext("Reconcile the lines of this import"),
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.add_bankstatementimport")

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = UploadForm(posted(request), request.FILES or None)

        def perform(data) -> HttpResponse:
            statement = bank_statement_upload(
                actor=request.user,
                bank_account_id=data["bank_account"].pk,
                profile_id=data["profile"].pk if data["profile"] else None,
                file_format=data["file_format"],
                upload=data["file"],
            )
            if statement.status == BankImportStatus.DONE:
                self.message_user(
                    request,
                    gettext(
                        "Imported %(new)d new line(s) of %(total)d credit line(s); "
                        "%(old)d were imported before."
                    )
                    % {
                        "new": statement.new_lines,
                        "total": statement.credit_lines,
                        "old": statement.credit_lines - statement.new_lines,
                    },
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    gettext("The file is large: it is read in the background."),
                    messages.INFO,
                )
            return HttpResponseRedirect(self._change_url(statement))

        return self._form_action(
            request,
            None,
            form,
            perform=perform,
            title=gettext("Import a bank statement"),
            submit_label=gettext("Import"),
            description=gettext(
                "Credit lines are matched to pending payments, repayments and bills. "
                "A bad file is refused whole, with the row and column of the first error."
            ),
            cancel_url=self._changelist_url(),
        )


# --------------------------------------------------------------------------
# Lines: the reconciliation screen
# --------------------------------------------------------------------------


class LineStatusFilter(DefaultingRadioFilter):
    title = _("status")
    parameter_name = "status"
    OPEN = "open"
    default = OPEN

    def lookups(self, request, model_admin):
        return [(self.OPEN, _("Open lines")), *BankLineStatus.choices, (self.ALL, _("All"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.OPEN:
            return queryset.filter(status__in=OPEN_BANK_LINE_STATUSES)
        if value == self.ALL:
            return queryset
        if value not in BankLineStatus.values:
            return queryset.none()
        return queryset.filter(status=value)


class RetargetForm(forms.Form):
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.order_by("name"),
        widget=UnfoldAdminSelectWidget,
    )
    target = forms.ChoiceField(
        label=_("Matched target"), required=False, widget=UnfoldAdminSelectWidget
    )

    def __init__(self, data, line: BankStatementLine, *, request: HttpRequest):
        super().__init__(data, initial={"company": line.company_id})
        if is_owner_scoped(request):  # the same companies as every other console list
            self.fields["company"].queryset = Company.objects.filter(
                company_owner_q(request.user)
            ).order_by("name")
        company_id = line.company_id
        if data and str(data.get("company", "")).isdigit():
            company_id = int(data["company"])
        targets = open_targets(currency=line.currency, company_id=company_id) if company_id else []
        self.fields["target"].choices = [("", "—")] + [
            (f"{t.kind}:{','.join(map(str, t.ids))}", f"{t.label} · {t.amount:,.2f}")
            for t in targets
        ]

    def clean(self):
        data = super().clean()
        if self.is_bound and not data.get("target"):
            self.add_error("target", gettext("Choose one of the company's open items."))
        return data


class IgnoreForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ActionPageMixin, ReadOnlyAdmin):
    action_form_name = "bank-line"

    list_display = (
        "value_date",
        "amount_display",
        "payer_name",
        "payer_account",
        "reference",
        "status_label",
        "confidence_label",
        "rule",
        "target_label",
        "note",
    )
    list_select_related = ("statement",)
    list_filter = (LineStatusFilter, "confidence", "rule", "statement")
    search_fields = ("reference", "payer_name", "payer_account", "dedupe_key", "target_label")
    ordering = ("-value_date", "statement_id", "row", "pk")
    fields = (
        "statement",
        "row",
        "dedupe_key",
        "value_date",
        "amount_display",
        "reference",
        "payer_name",
        "payer_account",
        "status",
        "rule",
        "confidence",
        "company",
        "target_kind",
        "target_label",
        "note",
        "receipt",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields
    actions = ("confirm_selected", "ignore_selected", "rematch_selected")
    actions_detail = ("retarget_detail", "ignore_detail")

    amount_display = money_column("amount", _("amount"), ordering="amount")

    status_label = status_column(LINE_STATUS_LABELS)

    @label_display(description=_("confidence"), labels=CONFIDENCE_LABELS, ordering="confidence")
    def confidence_label(self, obj: BankStatementLine):
        return obj.confidence, obj.get_confidence_display() if obj.confidence else "—"

    # --- permissions ---

    def _may_decide(self, request) -> bool:
        return request.user.has_perm("billing.change_bankstatementline")

    def has_confirm_permission(self, request, object_id=None) -> bool:
        return self._may_decide(request)

    has_ignore_permission = has_confirm_permission
    has_retarget_permission = has_confirm_permission

    def get_actions_detail(self, request, object_id):
        line = self.get_object(request, object_id)
        if line is None or line.status not in OPEN_BANK_LINE_STATUSES:
            return []
        return super().get_actions_detail(request, object_id)

    def _summary(self, line: BankStatementLine) -> list[tuple[str, object]]:
        return [
            (_("value date"), line.value_date),
            (_("amount"), format_money(line.amount, line.currency)),
            (_("payer name"), line.payer_name),
            (_("payer account"), line.payer_account),
            (_("memo"), line.reference),
            (_("target"), line.target_label or "—"),
            (_("note"), line.note),
        ]

    # --- list actions: several lines at once ---

    @admin.action(description=_("Confirm selected lines"), permissions=["confirm"])
    def confirm_selected(self, request: HttpRequest, queryset) -> None:
        result = bank_lines_confirm(
            line_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        if result.confirmed:
            self.message_user(
                request,
                gettext("%(count)d line(s) confirmed: %(items)s.")
                % {
                    "count": len(result.confirmed),
                    "items": "、".join(x.target_label for x in result.confirmed),
                },
                messages.SUCCESS,
            )
        if result.awaiting:
            self.message_user(
                request,
                gettext("%(count)d line(s) above the threshold wait for a second approval.")
                % {"count": len(result.awaiting)},
                messages.INFO,
            )
        if result.refused:
            self.message_user(
                request,
                gettext("%(count)d line(s) could not be confirmed: %(details)s")
                % {
                    "count": len(result.refused),
                    "details": "；".join(
                        f"{format_money(line.amount, line.currency)} {line.payer_name}: {why}"
                        for line, why in result.refused
                    ),
                },
                messages.ERROR,
            )

    @admin.action(description=_("Ignore selected lines"), permissions=["ignore"])
    def ignore_selected(self, request: HttpRequest, queryset) -> None:
        done = 0
        for pk in queryset.filter(status__in=OPEN_BANK_LINE_STATUSES).values_list("pk", flat=True):
            bank_line_ignore(line_id=pk, actor=request.user)
            done += 1
        self.message_user(
            request, gettext("%(count)d line(s) ignored.") % {"count": done}, messages.SUCCESS
        )

    @admin.action(description=_("Match selected lines again"), permissions=["confirm"])
    def rematch_selected(self, request: HttpRequest, queryset) -> None:
        count = bank_lines_rematch(line_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, gettext("%(count)d line(s) matched again.") % {"count": count}, messages.INFO
        )

    # --- detail actions ---

    @guarded_action("retarget", _("Choose the target"), icon="ads_click")
    def retarget_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(line, data) -> str:
            kind, _sep, ids = data["target"].partition(":")
            bank_line_retarget(
                line_id=line.pk,
                actor=request.user,
                company_id=data["company"].pk,
                target_kind=kind,
                target_ids=[int(i) for i in ids.split(",") if i.isdigit()],
            )
            return gettext("The line now targets %(target)s.") % {
                "target": BankStatementLine.objects.get(pk=line.pk).target_label
            }

        return self._object_action(
            request,
            object_id,
            lambda line: RetargetForm(posted(request), line, request=request),
            perform=perform,
            title=gettext("Choose the line's target"),
            submit_label=gettext("Save"),
            description=gettext(
                "Choose the company, save to list its open items, then choose the item."
            ),
            summary=self._summary,
        )

    @guarded_action("ignore", _("Ignore"), icon="visibility_off", variant=ActionVariant.DANGER)
    def ignore_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(line, data) -> str:
            bank_line_ignore(line_id=line.pk, actor=request.user, note=data["note"])
            return gettext("The line is ignored.")

        return self._object_action(
            request,
            object_id,
            IgnoreForm,
            perform=perform,
            title=gettext("Ignore the bank line"),
            submit_label=gettext("Ignore"),
            summary=self._summary,
        )
