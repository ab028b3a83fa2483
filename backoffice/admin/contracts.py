"""Console: contracts (template versions and the agreed e-order contracts).

A template version that a contract used is read-only; staff change the clauses by
publishing a new version (``template_publish_new_version``), which becomes the active one.
Agreed contracts are read-only; their stored PDF is downloaded, never re-rendered.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.widgets import UnfoldAdminTextareaWidget

from backoffice.core.files import private_file_response
from contracts.constants import MERGE_FIELDS, PAYMENT_TERMS_FIELDS, PaymentMethod
from contracts.models import (
    CLAUSE_TEXT_MAX,
    CLAUSE_TITLE_MAX,
    CLAUSES_MAX,
    Contract,
    ContractTemplate,
)
from contracts.pdf import render_contract_pdf
from contracts.services import (
    ContractError,
    contract_preview_html,
    contract_render_pdf,
    contract_sample_data,
    template_activate,
    template_create,
    template_publish_new_version,
    template_update,
)

from .base import BaseAdmin, ReadOnlyAdmin, guarded_action

_HEADING = re.compile(r"^##[ \t]*(.*)$")
CLAUSES_TEXT_MAX = CLAUSES_MAX * (CLAUSE_TITLE_MAX + CLAUSE_TEXT_MAX + 8)


def clauses_to_text(clauses) -> str:
    """``[{"title": "定价方式", "text": "…"}]`` → ``## 定价方式\\n…`` blocks."""
    if isinstance(clauses, str):
        return clauses
    blocks = []
    for clause in clauses or []:
        if not isinstance(clause, dict):
            continue
        heading = f"## {clause.get('title', '')}".rstrip()
        blocks.append(f"{heading}\n{clause.get('text', '')}".rstrip())
    return "\n\n".join(blocks)


def clauses_from_text(text: str) -> list[dict[str, str]]:
    """The inverse of ``clauses_to_text``; text before the first heading is an untitled clause."""
    clauses: list[dict[str, str]] = []
    title, lines, started = "", [], False
    for line in text.replace("\r\n", "\n").split("\n"):
        match = _HEADING.match(line)
        if match:
            if started or "".join(lines).strip():
                clauses.append({"title": title, "text": "\n".join(lines).strip()})
            title, lines, started = match.group(1).strip(), [], True
        else:
            lines.append(line)
    if started or "".join(lines).strip():
        clauses.append({"title": title, "text": "\n".join(lines).strip()})
    return clauses


def _merge_fields_help(fields: dict[str, str]) -> str:
    return format_html_join(", ", "<code>{{{{ {} }}}}</code> {}", fields.items())


class ClausesField(forms.Field):
    """The clauses as editable text: ``## title`` starts a clause, the lines below are its text."""

    widget = UnfoldAdminTextareaWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", UnfoldAdminTextareaWidget(attrs={"rows": 24}))
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = str(CLAUSES_TEXT_MAX)

    def prepare_value(self, value):
        return clauses_to_text(value)

    def to_python(self, value):
        text = value or ""
        if len(text) > CLAUSES_TEXT_MAX:
            raise ValidationError(_("The clauses are too long."), code="max_length")
        return clauses_from_text(text)

    def validate(self, value):
        super().validate(value)
        errors = ContractTemplate.clause_errors(value)
        if errors:
            raise ValidationError(errors)

    def has_changed(self, initial, data):
        return clauses_from_text(clauses_to_text(initial)) != self.to_python(data)


class ContractTemplateForm(forms.ModelForm):
    clauses = ClausesField(label=_("Clauses"))

    class Meta:
        model = ContractTemplate
        fields = (
            "name",
            "clauses",
            "payment_terms_online",
            "payment_terms_offline",
            "payment_terms_credit",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A read-only (used) version renders without these form fields.
        if "clauses" in self.fields:
            self.fields["clauses"].help_text = format_html(
                "{}<br>{} {}",
                _("Start each clause with a line “## title”; the lines below are its text."),
                _("Merge fields:"),
                _merge_fields_help(MERGE_FIELDS),
            )
        for method in PaymentMethod.values:
            field = self.fields.get(f"payment_terms_{method}")
            if field is not None:
                field.help_text = format_html(
                    "{} {}", _("Merge fields:"), _merge_fields_help(PAYMENT_TERMS_FIELDS)
                )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.is_used:
            raise ValidationError(
                _("This version is used by agreed contracts: publish a new version instead.")
            )
        return cleaned


@admin.register(ContractTemplate)
class ContractTemplateAdmin(BaseAdmin):
    form = ContractTemplateForm
    list_display = (
        "__str__",
        "name",
        "version",
        "is_active",
        "contract_count",
        "created_at",
        "created_by",
    )
    list_filter = ("is_active", "name")
    list_select_related = ("created_by",)
    search_fields = ("name",)
    search_help_text = _("Search by name")
    ordering = ("name", "-version")
    actions_detail = ["publish_new_version", "activate_version", "preview_pdf"]
    actions_row = ["publish_new_version"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_contract_count=Count("contracts"))

    @display(description=_("Contracts"), ordering="_contract_count")
    def contract_count(self, obj: ContractTemplate) -> int:
        return obj._contract_count

    @display(description=_("Clauses"))
    def clauses_display(self, obj: ContractTemplate):
        return format_html(
            "<ol class='bo-clauses'>{}</ol>",
            format_html_join(
                "",
                "<li><strong>{}</strong><div class='bo-clause-text'>{}</div></li>",
                ((c.get("title", ""), c.get("text", "")) for c in obj.clauses or []),
            ),
        )

    def get_fieldsets(self, request, obj=None):
        meta = (_("Version"), {"fields": ("version", "is_active", "created_at", "created_by")})
        terms = ("payment_terms_online", "payment_terms_offline", "payment_terms_credit")
        if obj is None:
            return ((None, {"fields": ("name", "clauses", *terms)}),)
        if not self.has_change_permission(request, obj):
            return ((None, {"fields": ("name", "clauses_display", *terms)}), meta)
        return ((None, {"fields": ("name", "clauses", *terms)}), meta)

    def get_readonly_fields(self, request, obj=None):
        fields = ["version", "is_active", "created_at", "created_by", "clauses_display"]
        if obj is not None:
            fields.append("name")
        return fields

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_used:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_active or obj.is_used):
            return False
        return super().has_delete_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        # Versions are created through the services (numbering, one active version).
        return False

    def has_publish_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("contracts.add_contracttemplate")

    def has_activate_permission(self, request, object_id=None) -> bool:
        if not request.user.has_perm("contracts.change_contracttemplate"):
            return False
        # Offered only on versions that are not already the active one.
        if object_id is None:
            return True
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            return True  # the action itself answers 404
        return not ContractTemplate.objects.filter(pk=pk, is_active=True).exists()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        terms = {method: data[f"payment_terms_{method}"] for method in PaymentMethod.values}
        if change:
            saved = template_update(
                template=obj, clauses=data["clauses"], payment_terms=terms, actor=request.user
            )
        else:
            saved = template_create(
                name=data["name"], clauses=data["clauses"], payment_terms=terms, actor=request.user
            )
        # The admin goes on with ``obj`` (log entry, redirect): give it the saved row.
        for field in ContractTemplate._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state = saved._state

    def _object(self, request, object_id) -> ContractTemplate:
        template = self.get_object(request, object_id)
        if template is None:
            raise Http404
        return template

    def _confirm(self, request, template, *, question, detail, submit_label) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": question,
            "question": question,
            "detail": detail,
            "submit_label": submit_label,
            "original": template,
            "cancel_url": reverse("admin:contracts_contracttemplate_change", args=[template.pk]),
        }
        return TemplateResponse(request, "contracts/admin/confirm.html", context)

    @guarded_action(
        "publish", _("Publish new version"), icon="content_copy", url_path="publish-new-version"
    )
    def publish_new_version(self, request: HttpRequest, object_id) -> HttpResponse:
        template = self._object(request, object_id)
        if request.method != "POST":
            return self._confirm(
                request,
                template,
                question=_("Publish a new version of “%(template)s”?") % {"template": template},
                detail=_(
                    "The clauses are copied into the next version, which becomes the active "
                    "one; edit it before partners agree to it. Agreed contracts keep their "
                    "version and PDF."
                ),
                submit_label=_("Publish new version"),
            )
        new = template_publish_new_version(
            template=template, clauses=template.clauses, actor=request.user
        )
        self.message_user(
            request,
            _("Version %(version)s is now active.") % {"version": new.version},
            messages.SUCCESS,
        )
        return redirect("admin:contracts_contracttemplate_change", new.pk)

    @guarded_action("activate", _("Make this the active version"), icon="check_circle")
    def activate_version(self, request: HttpRequest, object_id) -> HttpResponse:
        template = self._object(request, object_id)
        if request.method != "POST":
            return self._confirm(
                request,
                template,
                question=_("Make “%(template)s” the active version?") % {"template": template},
                detail=_("New contracts will use this version."),
                submit_label=_("Make this the active version"),
            )
        try:
            template_activate(template=template, actor=request.user)
        except ContractError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, _("“%(template)s” is now active.") % {"template": template})
        return redirect("admin:contracts_contracttemplate_change", template.pk)

    @guarded_action("view", _("Sample PDF"), icon="picture_as_pdf", url_path="sample-pdf")
    def preview_pdf(self, request: HttpRequest, object_id) -> HttpResponse:
        """This version's clauses on demo data, to check the layout (nothing is stored)."""
        template = self._object(request, object_id)
        response = HttpResponse(
            render_contract_pdf(contract_sample_data(), template), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="template-v{template.version}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "company",
        "total_display",
        "agreed_by",
        "agreed_at",
        "template",
        "order_number",
        "download_link",
    )
    list_filter = ("currency", "agreed_at")
    list_select_related = ("company", "agreed_by", "template")
    search_fields = ("number", "company__name", "order_number")
    search_help_text = _("Search by contract number, company or order number")
    date_hierarchy = "agreed_at"
    fields = (
        "number",
        "company",
        "agreed_by",
        "agreed_at",
        "template",
        "total_display",
        "order_number",
        "sha256",
        "download_link",
        "document",
    )
    readonly_fields = fields
    actions_detail = ["download_pdf"]

    @display(description=_("Total amount"), ordering="total")
    def total_display(self, obj: Contract) -> str:
        return f"{obj.get_currency_display()} {obj.total:,.2f}"

    @display(description=_("PDF"))
    def download_link(self, obj: Contract):
        url = reverse("admin:contracts_contract_download_pdf", args=[obj.pk])
        return format_html('<a href="{}" class="text-primary-600">{}</a>', url, _("Download"))

    @display(description=_("Document"))
    def document(self, obj: Contract):
        return format_html("<div>{}</div>", _safe_preview(obj.snapshot))

    def has_download_permission(self, request, object_id=None) -> bool:
        return self.has_view_permission(request)

    @guarded_action("download", _("Download PDF"), icon="download", url_path="pdf")
    def download_pdf(self, request: HttpRequest, object_id) -> HttpResponse:
        contract = self.get_object(request, object_id)
        if contract is None:
            raise Http404
        if not self.has_view_permission(request, contract):
            raise PermissionDenied
        if not contract.pdf:  # rendered after the order commits: the task may not have run
            contract = contract_render_pdf(contract_id=contract.pk)
        return private_file_response(
            contract.pdf, filename=contract.pdf_filename, content_type="application/pdf"
        )


def _safe_preview(snapshot: dict):
    """The stored document as HTML (the template autoescapes every value)."""
    return mark_safe(contract_preview_html(snapshot))  # noqa: S308 - rendered, autoescaped
