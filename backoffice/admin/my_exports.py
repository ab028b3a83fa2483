"""我的导出: a staff member's own large exports, their progress and their files."""

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from backoffice.core.files import XLSX_CONTENT_TYPE, private_file_response
from backoffice.core.models import ExportJob, ExportJobStatus

from .base import ReadOnlyAdmin, guarded_action, status_column

EXPORT_JOB_LABELS = {
    ExportJobStatus.QUEUED: "info",
    ExportJobStatus.RUNNING: "warning",
    ExportJobStatus.DONE: "success",
    ExportJobStatus.FAILED: "danger",
}
#: While a job runs, its page and the list reload themselves every few seconds (Alpine).
RELOAD_MS = 3000


class FileJobAdminMixin:
    """A job row that builds a file (an export): its download link and download action,
    through the console's one scoped lookup. No export of the jobs themselves."""

    actions_detail = ["download_detail"]

    def has_export_permission(self, request) -> bool:
        return False

    def has_download_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    @display(description=_("File"))
    def download_link(self, job):
        if job.status != ExportJobStatus.DONE:
            return "—"
        opts = self.opts
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_download_detail", args=[job.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, _("Download"))

    @guarded_action("download", _("Download"), icon="download")
    def download_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self.scoped_object(request, object_id)
        if job.status != ExportJobStatus.DONE or not job.file:
            raise Http404
        return private_file_response(
            job.file, filename=job.filename, content_type=XLSX_CONTENT_TYPE
        )


@admin.register(ExportJob)
class ExportJobAdmin(FileJobAdminMixin, ReadOnlyAdmin):
    """Every staff member sees only the exports they asked for, superusers included: a file
    holds what its requester's role could see, nobody else's business."""

    list_display = (
        "filename",
        "status_label",
        "progress",
        "total_rows",
        "created_at",
        "finished_at",
        "download_link",
    )
    list_display_links = ("filename",)
    list_filter = ("status",)
    search_fields = ("filename",)
    fields = (
        "filename",
        "title",
        "status",
        "progress",
        "total_rows",
        "created_at",
        "finished_at",
        "error",
        "download_link",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(requested_by=request.user)

    status_label = status_column(EXPORT_JOB_LABELS, _("Status"))

    @display(description=_("Progress"))
    def progress(self, job: ExportJob) -> SafeString:
        bar = render_to_string(
            "unfold/components/progress.html",
            {
                "value": job.percent,
                "description": f"{job.done_rows:,} / {job.total_rows:,}",
                "title": job.get_status_display(),
            },
        )
        if job.status in (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING):
            reload = f'<div x-data x-init="setTimeout(() => location.reload(), {RELOAD_MS})"></div>'
            bar = f'<div data-testid="export-progress">{bar}{reload}</div>'
        else:
            bar = f'<div data-testid="export-progress">{bar}</div>'
        return mark_safe(bar)  # noqa: S308 - unfold's template, numbers only
