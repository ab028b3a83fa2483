"""Console exports (django-import-export) that finance can sum, written once for every admin.

* **Typed xlsx.** The xlsx file is written by the kernel's typed sheets
  (``backoffice.core.workbook``): amounts (``Decimal``) are numbers shown ``#,##0.00``,
  dates and times real Excel dates, text escaped against formulas. A resource's
  ``dehydrate_*`` methods return native values (``ExportResource.money``/``moment``);
  other formats (CSV...) keep the library's text rendering.
* **Names.** The sheet is the model's plural name and the file
  ``<verbose name>-<local date>.xlsx`` (``订单-2026-12-03.xlsx``), in the active language;
  the download header carries the Chinese name RFC 6266-encoded (``filename*``).
* **xlsx preselected** on the export form.
* **Large exports** (more rows than ``settings.EXPORT_ASYNC_THRESHOLD``) are recorded as a
  kernel ``ExportJob`` and built by a django-q2 task (``run_export_job``): the task
  rebuilds the request of the requester (their role scope, the list's filters, the ticked
  rows, the chosen columns), so the file never holds more than they can see. The job's
  page (我的导出, ``my_exports.py``) shows the progress; a notice is shown on the next
  console page once the file is ready (``announce_ready_exports``, called by the site's
  ``each_context``; it queries only while the session waits for a job).

Imports nothing of the console's ModelAdmins (``base`` imports this module).
"""

import copy
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop, ngettext_lazy
from import_export import resources
from import_export.formats.base_formats import XLSX
from unfold.contrib.import_export.forms import ExportForm, SelectableFieldsExportForm

from backoffice.core.exports import PROGRESS_EVERY, export_job_request, export_job_run
from backoffice.core.files import workbook_response
from backoffice.core.models import ExportJob, ExportJobStatus
from backoffice.core.money import to_money
from backoffice.core.workbook import sheet_title, write_table_workbook

#: The session key of the export jobs whose "ready" notice is still due.
WAITING_KEY = "backoffice_export_jobs_waiting"
TASK = "backoffice.admin.exports.run_export_job"


# --------------------------------------------------------------------------
# Resources: native values
# --------------------------------------------------------------------------


class ExportResource(resources.ModelResource):
    """The console resources' base: helpers for ``dehydrate_*`` methods that return the
    values a spreadsheet can compute with (the xlsx writer types and formats them)."""

    @staticmethod
    def money(value) -> Decimal | None:
        """An amount, rounded to the cent: a number cell shown ``#,##0.00``."""
        return None if value is None else to_money(value)

    @staticmethod
    def moment(value: datetime | None) -> datetime | None:
        """A date and time as the console shows it (local wall time): a date cell."""
        return None if value is None else timezone.localtime(value)


_LABELLED: dict[type, type] = {}


def labelled_columns(resource_class: type) -> type:
    """``resource_class`` with every column it names after a model field (the library's
    default: ``name``, ``company``) named by the field's verbose name (名称, 公司) in the
    active language, for the export form, its field list and the file's headers. Columns
    a resource names itself keep their name; imports keep the library's names."""
    if resource_class not in _LABELLED:
        model = getattr(resource_class._meta, "model", None)
        columns = {}
        for name, column in resource_class.fields.items():
            try:
                verbose = model._meta.get_field(name).verbose_name if model else None
            except FieldDoesNotExist:
                verbose = None
            if verbose and column.column_name == name:
                column = copy.copy(column)
                column.column_name = capfirst(verbose)
            columns[name] = column
        labelled = type(
            resource_class.__name__, (resource_class,), {"__module__": resource_class.__module__}
        )
        labelled.fields = columns  # after the metaclass, which sets the inherited ones
        _LABELLED[resource_class] = labelled
    return _LABELLED[resource_class]


def typed_rows(
    resource, queryset, fields, progress: Callable[[int], None] | None = None
) -> Iterable[list]:
    """The export's rows as native values (what ``Resource.export`` does, streamed)."""
    resource.before_export(queryset, export_fields=fields)
    queryset = resource.filter_export(queryset, export_fields=fields)
    count = 0
    for count, obj in enumerate(resource.iter_queryset(queryset), start=1):  # noqa: B007
        yield resource.export_resource(obj, selected_fields=fields, force_native_type=True)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(count)


def export_filename(opts, extension: str) -> str:
    """``订单-2026-12-03.xlsx``: the model's name in the active language and today's date."""
    return f"{opts.verbose_name}-{timezone.localdate():%Y-%m-%d}.{extension}"


# --------------------------------------------------------------------------
# The export form: xlsx preselected
# --------------------------------------------------------------------------


class XlsxFirstMixin:
    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        index = next((i for i, fmt in enumerate(formats) if issubclass(fmt, XLSX)), None)
        if index is not None:
            self.initial.setdefault("format", str(index))


class XlsxExportForm(XlsxFirstMixin, ExportForm):
    pass


class XlsxSelectableFieldsExportForm(XlsxFirstMixin, SelectableFieldsExportForm):
    def _get_field_label(self, resource, field_name: str) -> str:
        """The column's header (Chinese), not the library's "Goods Total (商品总金额)"."""
        field = resource.fields.get(field_name)
        if field is not None and field.column_name:
            return str(field.column_name)
        return field_name.replace("_", " ").capitalize()


#: Texts of unfold's import-export templates whose msgids the libraries' catalogs lack in
#: Chinese (unfold's export form drops the library's trailing colon): translated in the
#: project catalog, which takes precedence over the apps' catalogs.
TEMPLATE_MSGIDS = (
    gettext_noop("This exporter will export the following fields"),
    gettext_noop("View traceback"),
    gettext_noop("Resource"),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len"),
)


# --------------------------------------------------------------------------
# The ModelAdmin side
# --------------------------------------------------------------------------


class TypedExportMixin:
    """For ``BaseAdmin``: typed xlsx, Chinese names, xlsx first, large exports as tasks."""

    export_form_class = XlsxSelectableFieldsExportForm

    def get_export_resource_classes(self, request):
        return [labelled_columns(cls) for cls in super().get_export_resource_classes(request)]

    def get_export_filename(self, request, queryset, file_format) -> str:
        return export_filename(self.model._meta, file_format.get_extension())

    def _export_resource(self, request, resource_index: int):
        resource_class = self.get_export_resource_classes(request)[resource_index]
        return resource_class(**self.get_export_resource_kwargs(request))

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        if not isinstance(file_format, XLSX):
            response = super()._do_file_export(file_format, request, queryset, export_form)
            # The library writes the name raw; a Chinese one needs RFC 6266's filename*.
            filename = self.get_export_filename(request, queryset, file_format)
            response["Content-Disposition"] = content_disposition_header(True, filename)
            return response
        if not self.has_export_permission(request):
            raise PermissionDenied
        fields = self.get_export_resource_fields_from_form(export_form)
        index = self.get_resource_index(export_form)
        total = queryset.count()
        if total > settings.EXPORT_ASYNC_THRESHOLD:
            return self._queue_export(request, export_form, index, fields, total)
        resource = self._export_resource(request, index)
        write = partial(
            write_table_workbook,
            title=sheet_title(self.model._meta.verbose_name_plural),
            headers=resource.get_export_headers(selected_fields=fields),
            rows=typed_rows(resource, queryset, fields),
        )
        return workbook_response(
            write,
            filename=self.get_export_filename(request, queryset, file_format),
        )

    def _queue_export(self, request, export_form, index, fields, total):
        opts = self.model._meta
        selected = []
        if export_form is not None and "export_items" in export_form.changed_data:
            selected = [str(pk) for pk in export_form.cleaned_data["export_items"]]
        job = export_job_request(
            actor=request.user,
            task=TASK,
            model_label=opts.label_lower,
            title=str(opts.verbose_name_plural)[:100],
            filename=export_filename(opts, "xlsx"),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            query={key: request.GET.getlist(key) for key in request.GET},
            object_ids=selected,
            resource_index=index,
            fields=list(fields or []),
            total_rows=total,
        )
        waiting = request.session.get(WAITING_KEY, [])
        request.session[WAITING_KEY] = [*waiting, job.pk]
        self.message_user(
            request,
            gettext(
                "The export has %(rows)s rows: it is being prepared in the background. "
                "You will be told here when the file is ready (My exports)."
            )
            % {"rows": f"{total:,}"},
            messages.INFO,
        )
        return HttpResponseRedirect(reverse("admin:backoffice_exportjob_change", args=[job.pk]))


# --------------------------------------------------------------------------
# The task
# --------------------------------------------------------------------------


def _requester_request(job: ExportJob) -> HttpRequest:
    """The request the requester made, rebuilt: their user and the list's filters."""
    user = job.requested_by
    if not (user.is_active and user.is_staff):
        raise PermissionDenied("The requester may no longer use the console.")
    app_label, model_name = job.model_label.split(".")
    path = reverse(f"admin:{app_label}_{model_name}_export")
    request = RequestFactory().get(path, data=job.query)
    request.user = user
    return request


def _build(job: ExportJob, handle, progress: Callable[[int], None]) -> int:
    model_admin = next(
        (ma for m, ma in admin.site._registry.items() if m._meta.label_lower == job.model_label),
        None,
    )
    if model_admin is None:
        raise LookupError(f"No console export for {job.model_label}.")
    request = _requester_request(job)
    if not model_admin.has_export_permission(request):
        raise PermissionDenied("The requester may no longer export these rows.")
    with translation.override(job.language):
        queryset = model_admin.get_export_queryset(request)  # scope + filters, again
        if job.object_ids:
            queryset = queryset.filter(pk__in=job.object_ids)
        fields = job.fields or None
        resource = model_admin._export_resource(request, job.resource_index)
        return write_table_workbook(
            handle,
            title=sheet_title(model_admin.model._meta.verbose_name_plural),
            headers=resource.get_export_headers(selected_fields=fields),
            rows=typed_rows(resource, queryset, fields, progress),
        )


def run_export_job(job_id: int) -> int:
    """django-q2 entry point: build one export job; returns its row count."""
    job = export_job_run(job_id=job_id, build=_build)
    return job.done_rows if job is not None and job.status == ExportJobStatus.DONE else 0


# --------------------------------------------------------------------------
# The notice when ready
# --------------------------------------------------------------------------


def announce_ready_exports(request: HttpRequest) -> None:
    """A message for each export of this session that finished since the last page: no
    query unless the session waits for one."""
    session = getattr(request, "session", None)
    waiting = session.get(WAITING_KEY) if session is not None else None
    if not waiting:
        return
    jobs = ExportJob.objects.filter(pk__in=waiting, requested_by=request.user).only(
        "pk", "status", "filename"
    )
    pending = set()
    for job in jobs:
        if job.status not in (ExportJobStatus.DONE, ExportJobStatus.FAILED):
            pending.add(job.pk)
            continue
        url = reverse("admin:backoffice_exportjob_change", args=[job.pk])
        if job.status == ExportJobStatus.DONE:
            text, level = gettext("Your export %(name)s is ready."), messages.SUCCESS
        else:
            text, level = gettext("Your export %(name)s failed."), messages.ERROR
        link = gettext("Open it in My exports")
        messages.add_message(
            request,
            level,
            format_html(
                '{} <a class="underline" href="{}">{}</a>',
                text % {"name": job.filename},
                url,
                link,
            ),
        )
    if pending != set(waiting):
        session[WAITING_KEY] = [pk for pk in waiting if pk in pending]
