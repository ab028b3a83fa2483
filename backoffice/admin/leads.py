"""Console: lead queues, 咨询工单 (consultation tickets) and 试用申请 (trial requests).

The queues open on the open leads (new + in progress). Blue Cloud promises to
contact requesters within 1 working day: the 逾期 column marks new leads past it.
Assignment, status moves and mail replies go through ``catalog.leads``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextareaWidget

from backoffice.core.files import private_file_response
from catalog.leads import (
    REPLY_MAX_LENGTH,
    lead_assign,
    lead_is_overdue,
    lead_reply,
    lead_set_status,
    lead_update,
)
from catalog.models import ConsultationTicket, LeadStatus, TrialRequest
from partners.models import User

from .base import ActionPageMixin, BaseAdmin, OwnerScopedMixin, guarded_action, status_column
from .queues import DefaultingRadioFilter

STATUS_LABELS = {
    LeadStatus.NEW: "warning",
    LeadStatus.IN_PROGRESS: "info",
    LeadStatus.CLOSED: "success",
}


class LeadStatusFilter(DefaultingRadioFilter):
    """Defaults to the open leads, so the changelist opens as the work queue."""

    title = _("status")
    parameter_name = "status"
    OPEN = "open"
    default = OPEN
    options = [(OPEN, _("Open leads")), *LeadStatus.choices]

    def queryset(self, request, queryset):
        if self.value() == self.OPEN:
            return queryset.exclude(status=LeadStatus.CLOSED)
        return super().queryset(request, queryset)


class LeadChangeForm(forms.ModelForm):
    """Staff edit the assignee (active staff only) and the internal notes; the rest is read-only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = User.objects.filter(
                is_staff=True, is_active=True
            ).order_by("email")


class ReplyForm(forms.Form):
    message = forms.CharField(
        label=_("Reply"),
        max_length=REPLY_MAX_LENGTH,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 8}),
        help_text=_("E-mailed to the requester and kept in the internal notes."),
    )


class LeadAdmin(OwnerScopedMixin, ActionPageMixin, BaseAdmin):
    owner_user_fields = ("assignee",)
    # A salesperson works the leads assigned to them; assigning is 运营's.
    owner_readonly_fields = ("assignee",)

    form = LeadChangeForm
    list_select_related = ("solution", "assignee")
    list_filter = (LeadStatusFilter, "created_at")
    list_filter_submit = True
    search_fields = ("name", "email", "phone", "company_name", "solution__name")
    search_help_text = _("Search by name, e-mail, phone, company or solution")
    autocomplete_fields = ()
    actions = ("assign_to_me", "mark_in_progress", "mark_closed")
    actions_detail = ("reply_detail",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # leads come from the portal

    def has_import_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        editable = {"assignee", "internal_notes"}
        fixed = [
            f.name for f in self.model._meta.fields if f.name not in editable and f.name != "id"
        ]
        return [*fixed, *(f for f in super().get_readonly_fields(request, obj) if f not in fixed)]

    # --- columns ---

    status_label = status_column(STATUS_LABELS)

    @display(description=_("Overdue"), label={"overdue": "danger"})
    def overdue(self, obj):
        if lead_is_overdue(obj):
            return "overdue", gettext("Overdue")
        return ""

    # --- edit form: assignee and notes through the service ---

    def save_model(self, request, obj, form, change):
        if not change:  # pragma: no cover - adding is disabled
            raise ValidationError(gettext("Leads are created from the portal."))
        lead_update(
            lead=obj,
            # (read-only for sales: the lead keeps its assignee)
            assignee=form.cleaned_data.get("assignee", obj.assignee),
            internal_notes=form.cleaned_data.get("internal_notes", ""),
            actor=request.user,
        )

    # --- bulk actions ---

    def _bulk(self, request: HttpRequest, queryset, apply, done_text: str) -> None:
        done, failed = 0, []
        for lead in queryset.order_by("pk"):
            try:
                apply(lead)
            except ValidationError as exc:
                failed.append(f"{lead}: {' '.join(exc.messages)}")
            else:
                done += 1
        if done:
            self.message_user(request, done_text % {"count": done}, messages.SUCCESS)
        if failed:
            self.message_user(
                request,
                gettext("%(count)d lead(s) not changed: %(details)s")
                % {"count": len(failed), "details": "；".join(failed)},
                messages.ERROR,
            )

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset) -> None:
        self._bulk(
            request,
            queryset,
            lambda lead: lead_assign(lead=lead, assignee=request.user, actor=request.user),
            gettext("%(count)d lead(s) assigned to you."),
        )

    @admin.action(description=_("Set status: in progress"), permissions=["change"])
    def mark_in_progress(self, request: HttpRequest, queryset) -> None:
        self._bulk(
            request,
            queryset,
            lambda lead: lead_set_status(
                lead=lead, status=LeadStatus.IN_PROGRESS, actor=request.user
            ),
            gettext("%(count)d lead(s) set to in progress."),
        )

    @admin.action(description=_("Set status: closed"), permissions=["change"])
    def mark_closed(self, request: HttpRequest, queryset) -> None:
        self._bulk(
            request,
            queryset,
            lambda lead: lead_set_status(lead=lead, status=LeadStatus.CLOSED, actor=request.user),
            gettext("%(count)d lead(s) closed."),
        )

    # --- reply by mail (intermediate page) ---

    def _summary(self, lead) -> list[tuple[str, object]]:
        return [
            (pgettext_lazy("person", "name"), lead.name),
            (_("e-mail"), lead.email),
            (_("phone"), lead.phone),
            (_("company name"), lead.company_name),
            (_("solution"), lead.solution),
            (_("status"), lead.get_status_display()),
        ]

    @guarded_action(
        "change", _("Reply"), icon="reply", variant=ActionVariant.PRIMARY, url_path="reply"
    )
    def reply_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(lead, data) -> str:
            lead_reply(lead=lead, message=data["message"], actor=request.user)
            return gettext("Your reply was e-mailed to %(email)s.") % {"email": lead.email}

        return self._object_action(
            request,
            object_id,
            ReplyForm,
            perform=perform,
            title=gettext("Reply by e-mail"),
            description=gettext(
                "The requester receives this message by e-mail; a new lead becomes in progress."
            ),
            submit_label=gettext("Send reply"),
            summary=self._summary,
        )


@admin.register(ConsultationTicket)
class ConsultationTicketAdmin(LeadAdmin):
    ATTACHMENT_URL_NAME = "catalog_consultationticket_attachment"

    list_display = (
        "subject",
        "service_type",
        "support_category",
        "name",
        "company_name",
        "solution",
        "created_at",
        "status_label",
        "overdue",
        "assignee",
    )
    list_display_links = ("subject",)
    list_filter = (LeadStatusFilter, "service_type", "support_category", "created_at")
    search_fields = (*LeadAdmin.search_fields, "subject")
    fieldsets = (
        (
            _("Ticket"),
            {
                "fields": (
                    "service_type",
                    "support_category",
                    "subject",
                    "details",
                    "attachment_download",
                    "solution",
                )
            },
        ),
        (_("Requester"), {"fields": ("name", "phone", "email", "company_name", "user")}),
        (_("Handling"), {"fields": ("status", "assignee", "internal_notes", "created_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "attachment_download"]

    @display(description=_("attachment"))
    def attachment_download(self, obj: ConsultationTicket):
        if not obj.attachment:
            return "—"
        url = reverse(f"admin:{self.ATTACHMENT_URL_NAME}", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, gettext("Download"))

    def get_urls(self):
        return [
            self.object_path("attachment/", self.attachment_view, name=self.ATTACHMENT_URL_NAME),
            *super().get_urls(),
        ]

    def attachment_view(self, request: HttpRequest, ticket: ConsultationTicket) -> HttpResponse:
        """Private file: staff who may view the ticket download it, nobody else has a URL."""
        if not ticket.attachment:
            raise Http404
        name = ticket.attachment.name.rsplit("/", 1)[-1]
        return private_file_response(ticket.attachment, filename=f"ticket-{ticket.pk}-{name}")


@admin.register(TrialRequest)
class TrialRequestAdmin(LeadAdmin):
    list_display = (
        "company_name",
        "solution",
        "name",
        "email",
        "phone",
        "created_at",
        "status_label",
        "overdue",
        "assignee",
    )
    list_display_links = ("company_name",)
    fieldsets = (
        (_("Trial"), {"fields": ("solution", "remarks")}),
        (_("Requester"), {"fields": ("name", "phone", "email", "company_name", "user")}),
        (_("Handling"), {"fields": ("status", "assignee", "internal_notes", "created_at")}),
    )
