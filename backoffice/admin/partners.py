"""Console: partners domain.

Registration review (待审核 queue, approve / reject), companies (tier, business owner,
customer manager, enable / disable), users, membership tiers and their benefits, and
end customers. Every state change goes through ``partners.services``; a domain
refusal (``PartnerError``) becomes a form error or an error message, never a success.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from import_export import resources
from unfold.admin import StackedInline, TabularInline
from unfold.contrib.filters.admin import (
    AutocompleteSelectFilter,
    RangeDateFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.utils import parse_date_str
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from backoffice.core.files import private_file_response
from billing.models import PendingPosting
from billing.services.approvals import company_terms_request
from partners.models import (
    ApplicationStatus,
    Benefit,
    Company,
    CompanyRole,
    CompanyStatus,
    CompanyType,
    EndCustomer,
    QualificationFile,
    RegistrationApplication,
    Tier,
    TierBenefit,
    User,
)
from partners.services import (
    END_CUSTOMER_FIELDS,
    PartnerError,
    activation_mail_enqueue,
    company_create,
    company_set_status,
    default_tier,
    end_customer_update,
    registration_approve,
    registration_reject,
)

from .base import ActionPageMixin, BaseAdmin, OwnerScopedMixin, label_display, posted
from .navigation import NavGroup
from .queues import ReviewQueueAdmin, ReviewStatusFilter


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


class QualificationFilePreviewMixin:
    """Read-only inline rows of qualification files with an inline preview."""

    model = QualificationFile
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ("original_name", "file_size", "uploaded_at", "preview")
    readonly_fields = fields
    verbose_name = _("qualification file")
    verbose_name_plural = _("qualification files")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

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


# --------------------------------------------------------------------------
# Registration applications (注册申请): the review queue
# --------------------------------------------------------------------------


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


class ApproveForm(forms.Form):
    tier = forms.ModelChoiceField(
        label=_("Membership tier"),
        queryset=Tier.objects.order_by("rank"),
        widget=UnfoldAdminSelectWidget,
        help_text=_("The company starts at this tier; it can be changed later."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Rejection reason"),
        max_length=500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 5}),
        help_text=_("Required. It is e-mailed to the applicant."),
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
    nav_group = NavGroup.PARTNERS
    nav_icon = "how_to_reg"
    nav_order = 10

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
    readonly_fields = (
        "company_name",
        "business_owner",
        "address",
        "contact_name",
        "email",
        "phone",
        "position",
        "status",
        "submitted_at",
        "agreed_at",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
        "company",
    )
    inlines = (ApplicationFileInline,)
    actions = ("approve_selected",)
    actions_detail = ("approve_detail", "reject_detail")
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

    @label_display(description=_("status"), labels=APPLICATION_STATUS_LABELS, ordering="status")
    def status_label(self, obj: RegistrationApplication):
        return obj.status, obj.get_status_display()

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

    @action(
        description=_("Approve"),
        url_path="approve",
        permissions=["approve"],
        icon="check_circle",
        variant=ActionVariant.SUCCESS,
    )
    def approve_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.confirm,
            form=lambda: ApproveForm(posted(request), initial={"tier": _default_tier_or_none()}),
            message=lambda application, company, _data: (
                gettext(
                    "Approved “%(name)s”: the company was created and the activation "
                    "e-mail is on its way to %(email)s."
                )
                % {"name": company.name, "email": application.email}
            ),
            title=gettext("Approve the registration"),
            description=gettext(
                "Approving creates the company and its administrator account and e-mails "
                "the activation link to the applicant."
            ),
            submit_label=gettext("Approve"),
            variant="primary",
        )

    @action(
        description=_("Reject"),
        url_path="reject",
        permissions=["reject"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def reject_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.review_action(
            request,
            object_id,
            decide=self.reject,
            form=lambda: RejectForm(posted(request)),
            message=lambda application, _result, _data: (
                gettext("Rejected “%(name)s”; the applicant was e-mailed the reason.")
                % {"name": application.company_name}
            ),
            title=gettext("Reject the registration"),
            submit_label=gettext("Reject"),
            variant="danger",
        )

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


# --------------------------------------------------------------------------
# Companies (经销商 / 分销商)
# --------------------------------------------------------------------------


class CompanyResource(resources.ModelResource):
    """Excel export with Chinese headers; formula escaping is on project-wide."""

    name = export_fields.Field(attribute="name", column_name=_("Company name"))
    company_type = export_fields.Field(column_name=_("Type"))
    parent = export_fields.Field(attribute="parent__name", column_name=_("Parent distributor"))
    tier = export_fields.Field(attribute="tier__name", column_name=_("Tier"))
    business_owner = export_fields.Field(column_name=_("Business owner"))
    customer_manager = export_fields.Field(column_name=_("Customer manager"))
    status = export_fields.Field(column_name=_("Status"))
    address = export_fields.Field(attribute="address", column_name=_("Address"))
    created_at = export_fields.Field(attribute="created_at", column_name=_("Created date"))

    class Meta:
        model = Company
        fields = (
            "name",
            "company_type",
            "parent",
            "tier",
            "business_owner",
            "customer_manager",
            "status",
            "address",
            "created_at",
        )
        export_order = fields

    def dehydrate_company_type(self, company: Company) -> str:
        return str(company.get_company_type_display())

    def dehydrate_status(self, company: Company) -> str:
        return str(company.get_status_display())

    def dehydrate_business_owner(self, company: Company) -> str:
        return str(company.business_owner) if company.business_owner_id else ""

    def dehydrate_customer_manager(self, company: Company) -> str:
        return str(company.customer_manager) if company.customer_manager_id else ""


TERMS_FIELDS = ("tier", "revenue_share_rate")


class CompanyForm(forms.ModelForm):
    terms_reason = forms.CharField(
        label=_("Reason for the tier / rate change"),
        max_length=200,
        required=False,
        help_text=_(
            "Required when the tier or the revenue-share rate changes. A change by anyone "
            "but finance waits for a finance approval (postings awaiting approval)."
        ),
    )

    def clean_terms_reason(self) -> str:
        reason = (self.cleaned_data.get("terms_reason") or "").strip()
        changing = self.instance.pk is not None and set(TERMS_FIELDS) & set(self.changed_data)
        if changing and not reason:
            raise forms.ValidationError(_("Say why the tier or the revenue-share rate changes."))
        return reason

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if Company.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A company with this name already exists."))
        if (
            self.instance.pk is None
            and RegistrationApplication.objects.filter(
                company_name__iexact=name, status=ApplicationStatus.PENDING
            ).exists()
        ):
            raise forms.ValidationError(
                _("A registration for this company name is under review; review it instead.")
            )
        return name

    def clean(self):
        cleaned = super().clean()
        company_type = cleaned.get("company_type")
        # ``parent`` is read-only for sales: the company keeps the one it has.
        editable_parent = "parent" in self.fields
        parent = cleaned.get("parent") if editable_parent else self.instance.parent
        if parent is not None and company_type != CompanyType.RESELLER:
            if editable_parent:
                self.add_error("parent", _("Only a reseller can sit under a distributor."))
            else:
                self.add_error(
                    "company_type",
                    _("This company sits under a distributor, so it stays a reseller."),
                )
        elif parent is not None and parent.pk == self.instance.pk:
            self.add_error("parent", _("A company cannot be its own parent."))
        if (
            company_type == CompanyType.RESELLER
            and self.instance.pk is not None
            and self.instance.sub_resellers.exists()
        ):
            self.add_error(
                "company_type",
                _("This distributor still has resellers; move them before changing its type."),
            )
        return cleaned


class CompanyUserInline(TabularInline):
    """Read-only summary of the company's users; each links to its user page."""

    model = User
    fk_name = "company"
    extra = 0
    can_delete = False
    fields = ("user_link", "name", "company_role", "activated_at", "is_active")
    readonly_fields = fields
    verbose_name = _("user")
    verbose_name_plural = _("users")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description=_("e-mail"))
    def user_link(self, obj: User) -> str:
        url = reverse("admin:partners_user_change", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.email)


class SubResellerInline(TabularInline):
    model = Company
    fk_name = "parent"
    extra = 0
    can_delete = False
    fields = ("company_link", "tier", "status", "created_at")
    readonly_fields = fields
    verbose_name = _("sub-reseller")
    verbose_name_plural = _("sub-resellers")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tier")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description=_("company name"))
    def company_link(self, obj: Company) -> str:
        url = reverse("admin:partners_company_change", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.name)


COMPANY_STATUS_LABELS = {CompanyStatus.ENABLED: "success", CompanyStatus.DISABLED: "danger"}


@admin.register(Company)
class CompanyAdmin(QualificationFileViewsMixin, OwnerScopedMixin, ActionPageMixin, BaseAdmin):
    file_owner_field = "company"
    owner_scope_path = ""
    # Who owns the company (and so who sees it) is not the salesperson's to change.
    owner_readonly_fields = ("parent", "business_owner", "customer_manager")
    nav_group = NavGroup.PARTNERS
    nav_icon = "apartment"
    nav_order = 20

    form = CompanyForm
    resource_classes = (CompanyResource,)
    list_display = (
        "name",
        "company_type",
        "parent",
        "tier",
        "business_owner",
        "customer_manager",
        "status_label",
        "user_count",
        "created_at",
    )
    list_select_related = ("parent", "tier", "business_owner", "customer_manager")
    list_filter = (
        "company_type",
        "tier",
        "status",
        ("business_owner", RelatedDropdownFilter),
    )
    search_fields = ("name", "address", "users__email")
    search_help_text = _("Search by company name, address or a user's e-mail")
    ordering = ("-created_at", "-pk")
    autocomplete_fields = ("parent", "business_owner", "customer_manager")
    fieldsets = (
        (None, {"fields": ("name", "company_type", "parent", "address")}),
        (
            _("Blue Cloud"),
            {
                "fields": (
                    "tier",
                    "revenue_share_rate",
                    "terms_reason",
                    "business_owner",
                    "customer_manager",
                )
            },
        ),
        (_("Status"), {"fields": ("status", "created_at", "updated_at")}),
    )
    readonly_fields = ("status", "created_at", "updated_at")
    inlines = (CompanyUserInline, CompanyFileInline, SubResellerInline)
    actions = ("enable_selected", "disable_selected")
    actions_detail = ("enable_detail", "disable_detail")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=_count_of(User, "company"))

    def get_urls(self):
        return [*self._file_urls(), *super().get_urls()]

    def get_inlines(self, request, obj):
        if obj is None:
            return ()
        if obj.is_distributor:
            return self.inlines
        return tuple(inline for inline in self.inlines if inline is not SubResellerInline)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # companies are disabled, never deleted (orders and ledgers refer to them)

    def has_import_permission(self, request) -> bool:
        return False  # a company needs its balance rows: created through the service only

    def save_model(self, request, obj: Company, form, change: bool) -> None:
        if change:
            self._save_with_terms(request, obj, form)
            return
        created = company_create(
            actor=request.user,
            name=obj.name,
            company_type=obj.company_type,
            parent=obj.parent,
            tier=obj.tier,
            business_owner=obj.business_owner,
            customer_manager=obj.customer_manager,
            address=obj.address,
            revenue_share_rate=obj.revenue_share_rate,
        )
        obj.pk = created.pk
        obj.status = created.status
        obj.created_at = created.created_at
        obj.updated_at = created.updated_at
        obj._state.adding = False
        obj._state.db = created._state.db

    def _save_with_terms(self, request, obj: Company, form) -> None:
        """The form's other fields are saved as they are; a new tier or revenue-share rate
        goes through finance's four-eyes approval unless finance makes it."""
        if not set(TERMS_FIELDS) & set(form.changed_data):
            super().save_model(request, obj, form, True)
            return
        tier, rate = obj.tier, obj.revenue_share_rate
        current = Company.objects.only(*TERMS_FIELDS).get(pk=obj.pk)
        obj.tier, obj.revenue_share_rate = current.tier, current.revenue_share_rate
        super().save_model(request, obj, form, True)
        outcome = company_terms_request(
            company_id=obj.pk,
            tier=tier,
            revenue_share_rate=rate,
            maker=request.user,
            reason=form.cleaned_data["terms_reason"],
        )
        if isinstance(outcome, PendingPosting):
            self.message_user(
                request,
                gettext(
                    "The new tier and revenue-share rate wait for a finance approval; "
                    "until then the company keeps its current terms."
                ),
                messages.WARNING,
            )
        else:
            obj.tier, obj.revenue_share_rate = outcome.tier, outcome.revenue_share_rate

    # --- columns ---

    @label_display(description=_("status"), labels=COMPANY_STATUS_LABELS, ordering="status")
    def status_label(self, obj: Company):
        return obj.status, obj.get_status_display()

    @display(description=_("Users"), ordering="user_count")
    def user_count(self, obj: Company) -> int:
        return obj.user_count

    # --- enable / disable ---

    def _set_status(self, request, companies, status: str) -> int:
        changed = 0
        for company in companies:
            if company.status != status:
                company_set_status(company=company, status=status, actor=request.user)
                changed += 1
        return changed

    def _status_text(self, changed: int, status: str) -> str:
        if status == CompanyStatus.ENABLED:
            text = gettext("%(count)d company(ies) enabled.")
        else:
            text = gettext("%(count)d company(ies) disabled; their users can no longer sign in.")
        return text % {"count": changed}

    def _status_message(self, request, changed: int, status: str) -> None:
        self.message_user(request, self._status_text(changed, status), messages.SUCCESS)

    @admin.action(description=_("Enable selected companies"), permissions=["change"])
    def enable_selected(self, request, queryset) -> None:
        changed = self._set_status(request, queryset, CompanyStatus.ENABLED)
        self._status_message(request, changed, CompanyStatus.ENABLED)

    @admin.action(description=_("Disable selected companies"), permissions=["change"])
    def disable_selected(self, request, queryset) -> None:
        changed = self._set_status(request, queryset, CompanyStatus.DISABLED)
        self._status_message(request, changed, CompanyStatus.DISABLED)

    def _has_status_change(self, request, object_id, target: str) -> bool:
        if not self.has_change_permission(request):
            return False
        if object_id is None:
            return True
        try:
            pk = int(unquote(str(object_id)))
        except ValueError:
            return False
        return Company.objects.filter(pk=pk).exclude(status=target).exists()

    def has_enable_permission(self, request, object_id=None) -> bool:
        return self._has_status_change(request, object_id, CompanyStatus.ENABLED)

    def has_disable_permission(self, request, object_id=None) -> bool:
        return self._has_status_change(request, object_id, CompanyStatus.DISABLED)

    def _status_detail(self, request, object_id: str, status: str) -> HttpResponse:
        company = self._object_or_404(request, object_id)
        enabling = status == CompanyStatus.ENABLED
        return self._form_action(
            request,
            company,
            forms.Form(posted(request)),
            perform=lambda data: self._status_text(
                self._set_status(request, [company], status), status
            ),
            errors=(),  # the service refuses nothing: any error is a bug, so it stays loud
            title=gettext("Enable the company") if enabling else gettext("Disable the company"),
            description=(
                gettext("Its users can sign in again.")
                if enabling
                else gettext("Its users can no longer sign in; their sessions end at once.")
            ),
            submit_label=gettext("Enable") if enabling else gettext("Disable"),
            variant="primary" if enabling else "danger",
            summary=lambda company: [
                (_("company name"), company.name),
                (_("type"), company.get_company_type_display()),
                (_("status"), company.get_status_display()),
            ],
        )

    @action(
        description=_("Enable"),
        url_path="enable",
        permissions=["enable"],
        icon="check_circle",
        variant=ActionVariant.SUCCESS,
    )
    def enable_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._status_detail(request, object_id, CompanyStatus.ENABLED)

    @action(
        description=_("Disable"),
        url_path="disable",
        permissions=["disable"],
        icon="block",
        variant=ActionVariant.DANGER,
    )
    def disable_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._status_detail(request, object_id, CompanyStatus.DISABLED)


# --------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------


class PartnerMembershipFormMixin:
    """Clean errors for the user's company membership instead of a database error."""

    def _membership_error(self, field: str, message) -> None:
        self.add_error(field if field in self.fields else None, message)

    def clean(self):
        cleaned = super().clean()
        if "company" not in self.fields:
            return cleaned
        company = cleaned.get("company")
        role = cleaned.get("company_role") or ""
        is_staff = cleaned.get("is_staff", self.instance.is_staff)
        if company is None:
            if role:
                self._membership_error(
                    "company_role", _("Only users of a partner company have a role.")
                )
            return cleaned
        if not role:
            self._membership_error("company_role", _("Choose the user's role in the company."))
        if is_staff:
            self._membership_error(
                "is_staff", _("Blue Cloud staff cannot belong to a partner company.")
            )
        if (
            role == CompanyRole.ADMIN
            and User.objects.filter(company=company, company_role=CompanyRole.ADMIN)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self._membership_error(
                "company_role",
                _(
                    "%(company)s already has an administrator. A company has exactly one; "
                    "the administrator transfers the role in the portal."
                )
                % {"company": company.name},
            )
        return cleaned


class ConsoleUserCreationForm(PartnerMembershipFormMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("email", "name", "company", "company_role")


class ConsoleUserChangeForm(PartnerMembershipFormMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserResource(resources.ModelResource):
    """User export without password hashes or permissions."""

    company = export_fields.Field(attribute="company__name", column_name=_("company"))
    company_role = export_fields.Field(column_name=_("role"))

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "name",
            "phone",
            "company",
            "company_role",
            "position",
            "is_staff",
            "is_active",
            "activated_at",
            "date_joined",
            "last_login",
        )
        export_order = fields

    def dehydrate_company_role(self, user: User) -> str:
        return str(user.get_company_role_display()) if user.company_role else ""


class ActivatedFilter(admin.SimpleListFilter):
    title = _("activated")
    parameter_name = "activated"

    def lookups(self, request, model_admin):
        return [("1", _("Yes")), ("0", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(activated_at__isnull=False)
        if self.value() == "0":
            return queryset.filter(activated_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin, BaseAdmin):
    nav_group = NavGroup.PARTNERS
    nav_icon = "person"
    nav_order = 90

    form = ConsoleUserChangeForm
    add_form = ConsoleUserCreationForm
    change_password_form = AdminPasswordChangeForm
    resource_classes = (UserResource,)

    list_display = (
        "email",
        "name",
        "phone",
        "company",
        "company_role",
        "is_staff",
        "is_active",
        "activated_at",
        "date_joined",
        "last_login",
    )
    list_select_related = ("company",)
    list_filter = ("is_staff", "is_active", "company_role", ActivatedFilter, "groups")
    search_fields = ("email", "name", "phone", "company__name")
    search_help_text = _("Search by e-mail, name, phone or company name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "activated_at", "deleted_at")
    autocomplete_fields = ("company",)
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name", "phone", "position")}),
        (
            _("Partner company"),
            {"fields": ("company", "company_role", "activated_at", "deleted_at")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "company", "company_role", "password1", "password2"),
            },
        ),
    )
    actions = ("send_activation",)

    def has_import_permission(self, request) -> bool:
        # Accounts are created through services (activation, invitations), never imported.
        return False

    @admin.action(description=_("Send the activation e-mail again"), permissions=["change"])
    def send_activation(self, request, queryset) -> None:
        sent = 0
        for user in queryset.select_related("company"):
            if user.is_partner and not user.is_activated and user.deleted_at is None:
                activation_mail_enqueue(user=user)
                sent += 1
        skipped = len(queryset) - sent
        self.message_user(
            request,
            gettext(
                "Activation e-mail queued for %(sent)d user(s); %(skipped)d skipped "
                "(staff, already activated or deleted)."
            )
            % {"sent": sent, "skipped": skipped},
            messages.SUCCESS if sent else messages.WARNING,
        )


# --------------------------------------------------------------------------
# Membership tiers and benefits (会员等级 / 会员权益)
# --------------------------------------------------------------------------


class TierForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("is_default")
            and Tier.objects.filter(is_default=True).exclude(pk=self.instance.pk).exists()
        ):
            self.add_error(
                "is_default",
                _("Another tier is already the default for new companies; untick it there first."),
            )
        return cleaned


@admin.register(Tier)
class TierAdmin(BaseAdmin):
    nav_group = NavGroup.PARTNERS
    nav_icon = "workspace_premium"
    nav_order = 40

    form = TierForm
    list_display = ("code", "name", "rank", "is_default", "rebate_rate", "revenue_share_rate")
    list_display_links = ("code", "name")
    search_fields = ("code", "name", "name_en")
    ordering = ("rank",)

    def has_import_permission(self, request) -> bool:
        return False


class TierBenefitInline(TabularInline):
    model = TierBenefit
    fk_name = "benefit"
    extra = 0
    fields = ("tier", "value")
    verbose_name = _("tier benefit")
    verbose_name_plural = _("tier benefits")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tier").order_by("tier__rank")


@admin.register(Benefit)
class BenefitAdmin(BaseAdmin):
    nav_group = NavGroup.PARTNERS
    nav_icon = "loyalty"
    nav_order = 50

    list_display = ("category", "name", "position")
    list_display_links = ("name",)
    list_editable = ("position",)
    search_fields = ("category", "name")
    ordering = ("position", "pk")
    inlines = (TierBenefitInline,)

    def has_import_permission(self, request) -> bool:
        return False


# --------------------------------------------------------------------------
# End customers (最终客户)
# --------------------------------------------------------------------------


@admin.register(EndCustomer)
class EndCustomerAdmin(OwnerScopedMixin, BaseAdmin):
    """Partners own their customers; staff look them up and may correct a record."""

    nav_group = NavGroup.PARTNERS
    nav_icon = "contacts"
    nav_order = 60

    list_display = ("name", "company_name", "email", "phone", "company", "created_at")
    list_select_related = ("company",)
    list_filter = (("company", AutocompleteSelectFilter),)
    list_filter_submit = True
    search_fields = ("name", "company_name", "email", "phone", "company__name")
    search_help_text = _("Search by name, customer company, e-mail, phone or partner company")
    ordering = ("-created_at", "-pk")
    fields = (
        "company",
        "name",
        "company_name",
        "email",
        "phone",
        "address",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("company", "created_by", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False  # created by the partner in the portal

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # orders refer to customers; partners delete their own

    def has_import_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj: EndCustomer, form, change: bool) -> None:
        end_customer_update(
            customer=obj, **{field: getattr(obj, field) for field in END_CUSTOMER_FIELDS}
        )
