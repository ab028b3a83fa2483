"""Console: revenue-share statements (分账管理) and their Excel exports.

The list shows header totals of the filtered statements (订单总数, 方案总数, 销售额 per
currency, one aggregate query) above the table. Statements are generated, never added
by hand; every change is a detail action whose GET shows a form page and whose POST
calls one ``billing.statements.services`` function (a refusal becomes a form error).
Confirmed and later statements are read-only (``has_change_permission`` is False).
"""

from datetime import date
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    DropdownFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSelect2Widget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.core.files import private_file_response, workbook_response
from backoffice.core.money import format_money
from billing.models import (
    MONEY_DIGITS,
    MONEY_PLACES,
    Statement,
    StatementAdjustment,
    StatementEvent,
    StatementExport,
    StatementExportStatus,
    StatementLine,
    StatementStatus,
)
from billing.statements.constants import EXPORT_INLINE_MAX_LINES, VOUCHER_ACCEPT
from billing.statements.excel import write_statements_workbook
from billing.statements.labels import order_status_label, rate_display
from billing.statements.pdf import pdf_filename, render_statement_pdf
from billing.statements.selectors import line_count, statement_totals
from billing.statements.services import (
    Resolution,
    StatementError,
    generate_statements,
    period_parse,
    previous_period,
    statement_adjust,
    statement_complete,
    statement_confirm,
    statement_export_request,
    statement_resolve,
    statement_upload_voucher,
)
from partners.models import Company

from .base import (
    ActionPageMixin,
    BaseAdmin,
    OwnerScopedMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    label_display,
    posted,
)
from .navigation import NavGroup

S = StatementStatus
STATUS_LABELS = {
    S.DRAFT: "warning",
    S.CONFIRMED: "info",
    S.DISPUTED: "danger",
    S.PAID: "primary",
    S.COMPLETED: "success",
}
EXPORT_STATUS_LABELS = {
    StatementExportStatus.PENDING: "info",
    StatementExportStatus.RUNNING: "warning",
    StatementExportStatus.DONE: "success",
    StatementExportStatus.FAILED: "danger",
}


# --------------------------------------------------------------------------
# Forms of the action pages
# --------------------------------------------------------------------------


class GenerateForm(forms.Form):
    period = forms.CharField(
        label=_("Billing period"),
        max_length=7,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "2026-10"}),
        help_text=_("The month as YYYY-MM."),
    )
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.none(),
        required=False,
        widget=UnfoldAdminSelect2Widget,
        help_text=_("Optional: only this company. Empty: every company with orders."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.order_by("name", "pk")

    def clean_period(self):
        try:
            return period_parse(self.cleaned_data["period"])
        except StatementError as exc:
            raise forms.ValidationError(exc.message_dict["period"]) from exc


class ConfirmForm(forms.Form):
    """No fields: the page is the confirmation."""


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label=_("Resolution"),
        choices=[
            (Resolution.REGENERATE, _("Regenerate (back to “to be confirmed”)")),
            (Resolution.CONFIRM, _("Confirm on behalf of the partner")),
        ],
        widget=UnfoldAdminRadioSelectWidget,
    )
    note = forms.CharField(
        label=_("Resolution note"),
        max_length=500,
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


class AdjustForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        widget=UnfoldAdminDecimalFieldWidget,
        help_text=_("Positive adds to the statement amount, negative deducts."),
    )
    reason = forms.CharField(
        label=_("Adjustment reason"),
        max_length=200,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("Required. The partner sees it on the statement."),
    )


class VoucherForm(forms.Form):
    voucher = forms.FileField(
        label=_("Voucher"),
        widget=forms.ClearableFileInput(attrs={"accept": VOUCHER_ACCEPT}),
        help_text=_("PDF, JPG or PNG, at most 10 MB."),
    )
    paid_on = forms.DateField(label=_("Payment date"), widget=UnfoldAdminSingleDateWidget)
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=60,
        widget=UnfoldAdminTextInputWidget,
        help_text=_("Shown to the partner in the 凭证 column."),
    )


# --------------------------------------------------------------------------
# Filters and inlines
# --------------------------------------------------------------------------


def statement_months(limit: int = 36) -> list[date]:
    """Months that have statements, newest first: ``statement_periods()`` without the scan.

    Grouping every statement by month reads the whole table on each page view. A period
    always starts on the 1st, so the distinct ``period_start`` values are the months;
    a recursive query walks them newest first with one index probe each (a "loose index
    scan" on the ``period_start`` index), on PostgreSQL and SQLite alike.
    """
    table = connection.ops.quote_name(Statement._meta.db_table)
    column = connection.ops.quote_name("period_start")
    sql = f"""
        WITH RECURSIVE months (day, n) AS (
            SELECT MAX({column}), 1 FROM {table}
            UNION ALL
            SELECT (SELECT MAX(s.{column}) FROM {table} s WHERE s.{column} < months.day), n + 1
            FROM months WHERE months.day IS NOT NULL AND n < %s
        )
        SELECT day FROM months WHERE day IS NOT NULL
    """  # noqa: S608 - only quoted model metadata is interpolated; the limit is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        rows = cursor.fetchall()
    months: list[date] = []
    for (value,) in rows:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        month = day.replace(day=1)
        if month not in months:
            months.append(month)
    return months


class PeriodFilter(DropdownFilter):
    title = _("Billing period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        return [(f"{day:%Y-%m}", f"{day:%Y-%m}") for day in statement_months()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(period_start=period_parse(value).start)
        except StatementError:
            return queryset.none()


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    fields = (
        "order_number",
        "total_display",
        "products",
        "status_display",
        "quantity",
        "transacted_at",
        "in_sales",
    )
    readonly_fields = fields
    ordering = ("-transacted_at", "-pk")
    per_page = 50
    verbose_name = _("statement line")
    verbose_name_plural = _("Statement lines")

    @display(description=_("Order total amount"))
    def total_display(self, obj: StatementLine) -> str:
        return format_money(obj.order_total, obj.statement.currency)

    @display(description=_("Order status"))
    def status_display(self, obj: StatementLine) -> str:
        return order_status_label(obj.order_status)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement")


class StatementAdjustmentInline(ReadOnlyInline):
    model = StatementAdjustment
    fields = ("amount", "reason", "created_by", "created_at")
    readonly_fields = fields
    verbose_name_plural = _("Adjustments")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class StatementEventInline(ReadOnlyInline):
    model = StatementEvent
    fields = ("created_at", "from_display", "to_display", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = _("History")

    @display(description=_("from status"))
    def from_display(self, obj: StatementEvent) -> str:
        return S(obj.from_status).label if obj.from_status else "—"

    @display(description=_("to status"))
    def to_display(self, obj: StatementEvent) -> str:
        return S(obj.to_status).label

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


# --------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------


@admin.register(Statement)
class StatementAdmin(OwnerScopedMixin, ActionPageMixin, BaseAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "request_quote"
    nav_order = 60

    list_display = (
        "number",
        "company_name",
        "period_display",
        "currency",
        "order_count",
        "product_count",
        "sales_display",
        "rate_display",
        "total_display",
        "status_label",
        "voucher_display",
    )
    list_filter = (
        PeriodFilter,
        "status",
        ("company", AutocompleteSelectFilter),
        ("company__tier", RelatedDropdownFilter),
        "currency",
    )
    # Statement numbers match from the start (index-served).
    search_fields = ("^number", "company__name", "company_name")
    search_help_text = _("Search by the start of the statement no., or by company name")
    ordering = ("-period_start", "company_name", "currency", "-pk")
    list_before_template = "admin/statements/totals.html"
    action_form_name = "statements"
    action_form_multipart = "always"
    action_errors = (StatementError,)
    fieldsets = (
        (
            _("Statement"),
            {
                "fields": (
                    "number",
                    "company",
                    "currency",
                    "period_display",
                    "status",
                    "generated_at",
                )
            },
        ),
        (
            _("Statement summary"),
            {
                "fields": (
                    "company_name",
                    "tier_name",
                    "business_owner_name",
                    "address",
                    "order_count",
                    "product_count",
                    "sales_display",
                    "rate_display",
                    "share_display",
                    "adjustments_display",
                    "total_display",
                )
            },
        ),
        (
            _("Confirmation"),
            {
                "fields": (
                    "confirmed_by",
                    "confirmed_at",
                    "dispute_reason",
                    "disputed_by",
                    "disputed_at",
                )
            },
        ),
        (
            _("Payout"),
            {
                "fields": (
                    "voucher_link",
                    "voucher_reference",
                    "paid_on",
                    "paid_recorded_by",
                    "completed_at",
                )
            },
        ),
    )
    readonly_fields = (
        "number",
        "company",
        "currency",
        "period_display",
        "status",
        "generated_at",
        "company_name",
        "tier_name",
        "business_owner_name",
        "address",
        "order_count",
        "product_count",
        "sales_display",
        "rate_display",
        "share_display",
        "adjustments_display",
        "total_display",
        "confirmed_by",
        "confirmed_at",
        "dispute_reason",
        "disputed_by",
        "disputed_at",
        "voucher_link",
        "voucher_reference",
        "paid_on",
        "paid_recorded_by",
        "completed_at",
    )
    inlines = (StatementLineInline, StatementAdjustmentInline, StatementEventInline)
    actions = ["export_excel"]
    actions_list = ["generate"]
    actions_detail = [
        "confirm_detail",
        "resolve_detail",
        "adjust_detail",
        "voucher_detail",
        "complete_detail",
        "pdf_detail",
        "excel_detail",
    ]

    # --- permissions: generated rows, read-only once confirmed ---

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        return False

    def has_export_permission(self, request) -> bool:
        # The Excel export below (escaped, typed cells) replaces the generic one.
        return False

    def _may_change(self, request) -> bool:
        return request.user.has_perm("billing.change_statement")

    def _status_of(self, request, object_id) -> str | None:
        cache = request.__dict__.setdefault("_statement_status", {})
        if object_id not in cache:
            try:
                pk = int(object_id)
            except (TypeError, ValueError):
                cache[object_id] = None
            else:
                cache[object_id] = (
                    Statement.objects.filter(pk=pk).values_list("status", flat=True).first()
                )
        return cache[object_id]

    def _may_when(self, request, object_id, *statuses) -> bool:
        if not self._may_change(request):
            return False
        return object_id is None or self._status_of(request, object_id) in statuses

    def has_generate_permission(self, request) -> bool:
        return request.user.has_perm("billing.add_statement")

    def has_confirm_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.DRAFT, S.DISPUTED)

    def has_resolve_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.DISPUTED)

    def has_adjust_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.DRAFT)

    def has_voucher_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.CONFIRMED)

    def has_complete_permission(self, request, object_id=None) -> bool:
        return self._may_when(request, object_id, S.PAID)

    def has_download_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    def has_export_excel_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is generated: there is nothing to save, changes are detail actions.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- list: header totals of the filtered rows ---

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and context.get("cl") is not None:
            context["statement_totals"] = statement_totals(context["cl"].queryset)
        return response

    # --- columns ---

    @display(description=_("Billing period"), ordering="period_start")
    def period_display(self, obj: Statement) -> str:
        return obj.period_label

    @display(description=_("Sales amount"), ordering="sales_amount")
    def sales_display(self, obj: Statement) -> str:
        return format_money(obj.sales_amount, obj.currency)

    @display(description=_("Revenue-share rate"), ordering="share_rate")
    def rate_display(self, obj: Statement) -> str:
        return rate_display(obj.share_rate)

    @display(description=_("Share payable"))
    def share_display(self, obj: Statement) -> str:
        return format_money(obj.share_amount, obj.currency)

    @display(description=_("Adjustments"))
    def adjustments_display(self, obj: Statement) -> str:
        return format_money(obj.adjustment_total, obj.currency, signed=True)

    @display(description=_("Statement amount"), ordering="total_payable")
    def total_display(self, obj: Statement) -> str:
        return format_money(obj.total_payable, obj.currency)

    @label_display(description=_("Status"), labels=STATUS_LABELS, ordering="status")
    def status_label(self, obj: Statement):
        return obj.status, obj.get_status_display()

    @display(description=_("Voucher"))
    def voucher_display(self, obj: Statement) -> str:
        return obj.voucher_reference or gettext("None")

    @display(description=_("Voucher"))
    def voucher_link(self, obj: Statement):
        if not obj.voucher:
            return gettext("None")
        url = reverse("admin:billing_statement_voucher", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.voucher_name)

    # --- pages ---

    def get_urls(self):
        return [
            self.object_path("voucher-file/", self.voucher_view, name="billing_statement_voucher"),
            *super().get_urls(),
        ]

    def voucher_view(self, request: HttpRequest, statement: Statement) -> HttpResponse:
        if not statement.voucher:
            raise Http404
        return private_file_response(
            statement.voucher,
            filename=statement.voucher_name or f"voucher-{statement.number}",
            content_type=statement.voucher_content_type,
        )

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

    @action(
        description=_("Generate statements"),
        url_path="generate",
        permissions=["generate"],
        icon="play_circle",
        variant=ActionVariant.PRIMARY,
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

    @action(
        description=_("Confirm on behalf"),
        url_path="confirm",
        permissions=["confirm"],
        icon="task_alt",
        variant=ActionVariant.PRIMARY,
    )
    def confirm_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)

        def perform(data) -> str:
            statement_confirm(statement_id=statement.pk, actor=request.user)
            return gettext("Statement %(number)s is confirmed.") % {"number": statement.number}

        return self._form_action(
            request,
            statement,
            ConfirmForm(posted(request)),
            perform=perform,
            title=gettext("Confirm the statement on behalf of the partner"),
            description=gettext("A confirmed statement can no longer be changed."),
            submit_label=gettext("Confirm"),
            summary=self._summary,
        )

    @action(
        description=_("Resolve dispute"),
        url_path="resolve",
        permissions=["resolve"],
        icon="gavel",
        variant=ActionVariant.WARNING,
    )
    def resolve_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)

        def perform(data) -> str:
            statement_resolve(
                statement_id=statement.pk,
                actor=request.user,
                resolution=data["resolution"],
                note=data["note"],
            )
            return gettext("The dispute on %(number)s is resolved.") % {"number": statement.number}

        return self._form_action(
            request,
            statement,
            ResolveForm(posted(request)),
            perform=perform,
            title=gettext("Resolve the dispute"),
            description=gettext("The partner's reason: %(reason)s")
            % {"reason": statement.dispute_reason},
            submit_label=gettext("Resolve"),
            variant="danger",
            summary=self._summary,
        )

    @action(
        description=_("Add adjustment"),
        url_path="adjust",
        permissions=["adjust"],
        icon="exposure",
        variant=ActionVariant.DEFAULT,
    )
    def adjust_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)

        def perform(data) -> str:
            statement_adjust(
                statement_id=statement.pk,
                actor=request.user,
                amount=data["amount"],
                reason=data["reason"],
            )
            return gettext("Adjustment added to %(number)s.") % {"number": statement.number}

        return self._form_action(
            request,
            statement,
            AdjustForm(posted(request)),
            perform=perform,
            title=gettext("Add an adjustment"),
            description=gettext(
                "A separate, reasoned line of the statement. Only while it is to be confirmed."
            ),
            submit_label=gettext("Add"),
            summary=self._summary,
        )

    @action(
        description=_("Upload voucher"),
        url_path="voucher",
        permissions=["voucher"],
        icon="upload_file",
        variant=ActionVariant.PRIMARY,
    )
    def voucher_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)

        def perform(data) -> str:
            statement_upload_voucher(
                statement_id=statement.pk,
                actor=request.user,
                upload=data["voucher"],
                paid_on=data["paid_on"],
                reference=data["reference"],
            )
            return gettext("Statement %(number)s is paid.") % {"number": statement.number}

        return self._form_action(
            request,
            statement,
            VoucherForm(posted(request), request.FILES or None),
            perform=perform,
            title=gettext("Upload the payment voucher"),
            description=gettext("Records the payment; the statement becomes paid."),
            submit_label=gettext("Upload"),
            summary=self._summary,
        )

    @action(
        description=_("Complete"),
        url_path="complete",
        permissions=["complete"],
        icon="done_all",
        variant=ActionVariant.SUCCESS,
    )
    def complete_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)

        def perform(data) -> str:
            statement_complete(statement_id=statement.pk, actor=request.user)
            return gettext("Statement %(number)s is completed.") % {"number": statement.number}

        return self._form_action(
            request,
            statement,
            ConfirmForm(posted(request)),
            perform=perform,
            title=gettext("Complete the statement"),
            submit_label=gettext("Complete"),
            summary=self._summary,
        )

    @action(
        description=_("Download statement PDF"),
        url_path="pdf",
        permissions=["download"],
        icon="picture_as_pdf",
    )
    def pdf_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)
        response = HttpResponse(render_statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{pdf_filename(statement)}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @action(
        description=_("Download statement Excel"),
        url_path="excel",
        permissions=["download"],
        icon="table_view",
    )
    def excel_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)
        return workbook_response(
            partial(write_statements_workbook, [statement.pk]),
            filename=f"statement-{statement.number}.xlsx",
        )

    @action(description=_("Export selected to Excel"), permissions=["export_excel"])
    def export_excel(self, request: HttpRequest, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        if line_count(ids) > EXPORT_INLINE_MAX_LINES:
            try:
                export = statement_export_request(actor=request.user, statement_ids=ids)
            except StatementError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return None
            url = reverse("admin:billing_statementexport_change", args=[export.pk])
            self.message_user(
                request,
                format_html(
                    '{} <a class="underline" href="{}">{}</a>',
                    gettext("The export is large and is being prepared in the background."),
                    url,
                    gettext("Open the export (download when ready)"),
                ),
                messages.INFO,
            )
            return None
        return workbook_response(
            partial(write_statements_workbook, ids), filename="statements.xlsx"
        )


# --------------------------------------------------------------------------
# Large exports
# --------------------------------------------------------------------------


@admin.register(StatementExport)
class StatementExportAdmin(ReadOnlyAdmin):
    nav_group = NavGroup.FINANCE
    nav_icon = "download"
    nav_order = 65

    list_display = (
        "created_at",
        "requested_by",
        "status_label",
        "statement_count",
        "row_count",
        "finished_at",
        "download_link",
    )
    list_select_related = ("requested_by",)
    list_filter = ("status",)
    ordering = ("-created_at", "-pk")
    fields = (
        "created_at",
        "requested_by",
        "status",
        "statement_count",
        "row_count",
        "finished_at",
        "error",
        "download_link",
    )
    readonly_fields = fields
    actions_detail = ["download_detail"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(requested_by=request.user)

    def has_export_permission(self, request) -> bool:
        return False

    def has_download_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    @label_display(description=_("Status"), labels=EXPORT_STATUS_LABELS, ordering="status")
    def status_label(self, obj: StatementExport):
        return obj.status, obj.get_status_display()

    @display(description=_("File"))
    def download_link(self, obj: StatementExport):
        if obj.status != StatementExportStatus.DONE:
            return "—"
        url = reverse("admin:billing_statementexport_download_detail", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, _("Download"))

    @action(
        description=_("Download"), url_path="download", permissions=["download"], icon="download"
    )
    def download_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        export = self.get_object(request, str(object_id))
        if export is None or export.status != StatementExportStatus.DONE or not export.file:
            raise Http404
        return private_file_response(
            export.file,
            filename=export.filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
