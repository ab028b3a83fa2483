"""Large exports: the Excel files built by a task."""

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from backoffice.core.files import private_file_response
from billing.models import StatementExport, StatementExportStatus

from ..base import ReadOnlyAdmin, status_column
from ..navigation import NavGroup
from .common import EXPORT_STATUS_LABELS


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

    status_label = status_column(EXPORT_STATUS_LABELS, _("Status"))

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
