"""A statement's files: the payment voucher, the PDF and the Excel exports."""

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action

from backoffice.core.files import private_file_response, workbook_response
from billing.models import Statement
from billing.statements.constants import EXPORT_INLINE_MAX_LINES
from billing.statements.excel import write_statements_workbook
from billing.statements.pdf import pdf_filename, render_statement_pdf
from billing.statements.selectors import line_count
from billing.statements.services import StatementError, statement_export_request

from ..base import guarded_action


class StatementFilesMixin:
    """The voucher view, PDF and Excel downloads, and the Excel export of selected rows
    (a large one runs as a task)."""

    # --- pages ---

    def get_urls(self):
        return [
            self.object_path("voucher-file/", self.voucher_view, name="billing_statement_voucher"),
            *super().get_urls(),
        ]

    def voucher_view(self, request: HttpRequest, statement: Statement) -> HttpResponse:
        # No voucher yet: ``private_file_response`` answers 404.
        return private_file_response(
            statement.voucher,
            filename=statement.voucher_name or f"voucher-{statement.number}",
            content_type=statement.voucher_content_type,
        )

    @guarded_action("download", _("Download statement PDF"), icon="picture_as_pdf", url_path="pdf")
    def pdf_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        statement = self._object_or_404(request, object_id)
        response = HttpResponse(render_statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{pdf_filename(statement)}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @guarded_action("download", _("Download statement Excel"), icon="table_view", url_path="excel")
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
