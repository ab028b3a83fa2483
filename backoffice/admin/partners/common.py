"""What the partner admins share (and other console modules use): per-row counts, a
date filter for datetimes, and the staff-only qualification file views and previews."""

from functools import partial

from django import forms
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display
from unfold.utils import parse_date_str
from unfold.widgets import UnfoldAdminSelectWidget

from backoffice.core.files import private_file_response
from partners.models import QualificationFile, Tier

from ..base import NoEditingMixin


def _count_of(model, fk: str):
    """A per-row count as a correlated subquery: immune to joins added by search or filters."""
    counted = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def tier_choice_field(help_text) -> forms.ModelChoiceField:
    """A choice of membership tier, in rank order."""
    return forms.ModelChoiceField(
        label=_("Membership tier"),
        queryset=Tier.objects.order_by("rank"),
        widget=UnfoldAdminSelectWidget,
        help_text=help_text,
    )


# --------------------------------------------------------------------------
# Qualification files: inline preview and download, staff only
# --------------------------------------------------------------------------


def qualification_file_response(file: QualificationFile, *, inline: bool) -> HttpResponse:
    """A qualification file of an object the caller already resolved through the console's
    scoped lookup (``ScopedViewsMixin.object_path``): never looked up by its own id alone."""
    previewable = file.is_image or file.content_type == "application/pdf"
    inline = inline and previewable
    response = private_file_response(
        file.file, filename=file.original_name, content_type=file.content_type, inline=inline
    )
    if inline:
        # Shown inside the console's own detail page (an iframe for a PDF, <img> for an
        # image). The response keeps its sandboxing policy (no script, no origin, even
        # for the PDF viewer's document) and may be framed by the console only.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] += "; frame-ancestors 'self'"
    return response


class QualificationFileViewsMixin:
    """Preview and download of the qualification files of one in-scope object
    (an application or a company): ``<object_id>/files/<file_id>/preview|download/``."""

    # The QualificationFile field that points at this admin's model.
    file_owner_field: str

    def _file_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        return [
            self.object_path(
                "files/<int:file_id>/preview/",
                partial(self._file_view, inline=True),
                name=f"{prefix}_file_preview",
            ),
            self.object_path(
                "files/<int:file_id>/download/",
                partial(self._file_view, inline=False),
                name=f"{prefix}_file_download",
            ),
        ]

    def _file_view(self, request: HttpRequest, obj, *, file_id: int, inline: bool):
        file = get_object_or_404(QualificationFile, pk=file_id, **{self.file_owner_field: obj})
        return qualification_file_response(file, inline=inline)


class QualificationFilePreviewMixin(NoEditingMixin):
    """Read-only inline rows of qualification files with an inline preview."""

    model = QualificationFile
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ("original_name", "file_size", "uploaded_at", "preview")
    readonly_fields = fields
    verbose_name = _("qualification file")
    verbose_name_plural = _("qualification files")

    @display(description=_("size"))
    def file_size(self, obj: QualificationFile) -> str:
        return f"{obj.size / 1024:.0f} KB" if obj.size >= 1024 else f"{obj.size} B"

    @display(description=_("Preview"))
    def preview(self, obj: QualificationFile) -> str:
        if obj is None or obj.pk is None:
            return "—"
        owner_id = getattr(obj, f"{self.fk_name}_id")
        prefix = f"admin:partners_{self.parent_model._meta.model_name}_file"
        return render_to_string(
            "admin/partners/file_preview.html",
            {
                "file": obj,
                "is_pdf": obj.content_type == "application/pdf",
                "preview_url": reverse(f"{prefix}_preview", args=[owner_id, obj.pk]),
                "download_url": reverse(f"{prefix}_download", args=[owner_id, obj.pk]),
            },
        )


class ApplicationFileInline(QualificationFilePreviewMixin, StackedInline):
    fk_name = "application"


class CompanyFileInline(QualificationFilePreviewMixin, StackedInline):
    fk_name = "company"
    collapsible = True


class DateOfDateTimeFilter(RangeDateFilter):
    """unfold's date range applied to the calendar date of a datetime (``to`` is inclusive)."""

    def queryset(self, request, queryset):
        filters = {}
        value_from = self.used_parameters.get(f"{self.parameter_name}_from")
        if value_from and isinstance(value_from, str) and (day := parse_date_str(value_from)):
            filters[f"{self.parameter_name}__date__gte"] = day
        value_to = self.used_parameters.get(f"{self.parameter_name}_to")
        if value_to and isinstance(value_to, str) and (day := parse_date_str(value_to)):
            filters[f"{self.parameter_name}__date__lte"] = day
        return queryset.filter(**filters)
