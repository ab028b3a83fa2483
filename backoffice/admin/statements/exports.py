"""Large exports: the Excel files built by a task."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import StatementExport

from ..base import ReadOnlyAdmin, status_column
from ..my_exports import FileJobAdminMixin
from .common import EXPORT_STATUS_LABELS


@admin.register(StatementExport)
class StatementExportAdmin(FileJobAdminMixin, ReadOnlyAdmin):
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

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(requested_by=request.user)

    status_label = status_column(EXPORT_STATUS_LABELS, _("Status"))
