"""Registration applications (注册申请): the review queue."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display
from unfold.enums import ActionVariant

from partners.models import ApplicationStatus, RegistrationApplication, Tier
from partners.services import PartnerError, default_tier, registration_approve, registration_reject

from ..base import BaseAdmin, OwnerScopedMixin, guarded_action, posted, status_column, text_field
from ..queues import ReviewQueueAdmin, ReviewStatusFilter
from .common import (
    ApplicationFileInline,
    DateOfDateTimeFilter,
    QualificationFileViewsMixin,
    tier_choice_field,
)


class ApproveForm(forms.Form):
    tier = tier_choice_field(_("The company starts at this tier; it can be changed later."))


class RejectForm(forms.Form):
    reason = text_field(
        _("Rejection reason"),
        _("Required. It is e-mailed to the applicant."),
        max_length=500,
        rows=5,
    )


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.PENDING: "warning",
    ApplicationStatus.APPROVED: "success",
    ApplicationStatus.REJECTED: "danger",
}


@admin.register(RegistrationApplication)
class RegistrationApplicationAdmin(
    QualificationFileViewsMixin, OwnerScopedMixin, ReviewQueueAdmin, BaseAdmin
):
    review_statuses = ApplicationStatus
    pending_status = ApplicationStatus.PENDING
    review_permissions = ("partners.change_registrationapplication",)
    confirm_service = staticmethod(registration_approve)
    reject_service = staticmethod(registration_reject)
    service_object_arg = "application"
    service_actor_arg = "reviewer"
    service_passes_object = True
    confirm_fields = ("tier",)

    file_owner_field = "application"
    owner_user_fields = ("business_owner",)

    list_display = (
        "company_name",
        "contact_name",
        "email",
        "phone",
        "business_owner",
        "submitted_at",
        "status_label",
        "file_count",
    )
    list_display_links = ("company_name",)
    list_select_related = ("business_owner",)
    list_filter = (
        ReviewStatusFilter,
        ("business_owner", RelatedDropdownFilter),
        ("submitted_at", DateOfDateTimeFilter),
    )
    search_fields = ("company_name", "contact_name", "email", "phone")
    search_help_text = _("Search by company name, contact, e-mail or phone")
    ordering = ("-submitted_at", "-pk")
    fieldsets = (
        (_("Company"), {"fields": ("company_name", "business_owner", "address")}),
        (_("Contact"), {"fields": ("contact_name", "email", "phone", "position")}),
        (
            _("Review"),
            {
                "fields": (
                    "status",
                    "submitted_at",
                    "agreed_at",
                    "reviewed_by",
                    "reviewed_at",
                    "rejection_reason",
                    "company",
                )
            },
        ),
    )
    readonly_fields = tuple(flatten_fieldsets(fieldsets))
    inlines = (ApplicationFileInline,)
    actions = ("approve_selected",)
    actions_detail = ("approve_detail", "reject_detail")
    row_confirm_detail = "approve_detail"
    action_errors = (PartnerError,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(file_count=Count("files"))

    # --- permissions: staff read applications; only reviewers act on pending ones ---

    def has_add_permission(self, request) -> bool:
        return False  # applications come from the portal

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # staff never edit what the applicant submitted

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status == ApplicationStatus.APPROVED:
            return False  # its files now belong to the company
        return super().has_delete_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        return False

    def has_approve_permission(self, request, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def has_reject_permission(self, request, object_id=None) -> bool:
        return self.may_review_row(request, object_id)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk delete would also remove approved applications (and the company's files).
        actions.pop("delete_selected", None)
        return actions

    # --- columns ---

    status_label = status_column(APPLICATION_STATUS_LABELS)

    @display(description=_("Files"), ordering="file_count")
    def file_count(self, obj: RegistrationApplication) -> int:
        return obj.file_count

    # --- staff-only file views ---

    def get_urls(self):
        return [*self._file_urls(), *super().get_urls()]

    # --- review actions ---

    def _summary(self, application: RegistrationApplication) -> list[tuple[str, object]]:
        return [
            (_("company name"), application.company_name),
            (_("contact name"), application.contact_name),
            (_("e-mail"), application.email),
            (_("phone"), application.phone),
            (_("business owner"), application.business_owner),
            (_("submitted"), application.submitted_at),
        ]

    @guarded_action("approve", _("Approve"), icon="check_circle", variant=ActionVariant.SUCCESS)
    def approve_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: ApproveForm(posted(request), initial={"tier": _default_tier_or_none()}),
            message=lambda application, company, _data: self.row_confirmed_message(
                application, company
            ),
            title=gettext("Approve the registration"),
            description=gettext(
                "Approving creates the company and its administrator account and e-mails "
                "the activation link to the applicant."
            ),
            submit_label=gettext("Approve"),
            variant="primary",
        )

    def row_confirm_data(self, application: RegistrationApplication) -> dict:
        return {"tier": default_tier()}  # 确认 on the list: the default tier

    def row_confirmed_message(self, application: RegistrationApplication, company) -> str:
        return gettext(
            "Approved “%(name)s”: the company was created and the activation "
            "e-mail is on its way to %(email)s."
        ) % {"name": company.name, "email": application.email}

    def decision_params(self, application: RegistrationApplication) -> dict:
        return {"name": application.company_name}

    reject_page = {
        "title": _("Reject the registration"),
        "form": RejectForm,
        "message": _("Rejected “%(name)s”; the applicant was e-mailed the reason."),
    }

    @admin.action(description=_("Approve selected"), permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset) -> None:
        self.apply_to_selected(
            request,
            queryset.order_by("pk"),
            lambda application: self.confirm(request, application),
            label=lambda application: application.company_name,
            done_text=gettext("%(count)d application(s) approved: %(names)s."),
            failed_text=gettext("%(count)d application(s) could not be approved: %(details)s"),
            items_key="names",
        )


def _default_tier_or_none() -> Tier | None:
    try:
        return default_tier()
    except PartnerError:
        return None
