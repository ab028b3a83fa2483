"""Companies (经销商 / 分销商): tier, business owner, customer manager, enable / disable."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from import_export.widgets import DateTimeWidget
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display
from unfold.enums import ActionVariant

from billing.models import PendingPosting
from billing.services.approvals import company_terms_request
from partners.models import (
    ApplicationStatus,
    Company,
    CompanyStatus,
    CompanyType,
    RegistrationApplication,
    User,
)
from partners.services import company_create, company_set_status

from ..base import (
    ActionPageMixin,
    BaseAdmin,
    NoEditingMixin,
    OwnerScopedMixin,
    guarded_action,
    posted,
    status_column,
)
from ..exports import ExportResource
from .common import CompanyFileInline, QualificationFileViewsMixin, _count_of
from .company_delegated import DelegatedCreditLineInline
from .company_receipts import CompanyReceiptInline

# A company's who-is-who columns, first in its list and in its export.
COMPANY_COLUMNS = ("name", "company_type", "parent", "tier", "business_owner", "customer_manager")


class CompanyResource(ExportResource):
    """Excel export with Chinese headers; formula escaping is on project-wide."""

    name = export_fields.Field(attribute="name", column_name=_("Company name"))
    company_type = export_fields.Field(column_name=_("Type"))
    parent = export_fields.Field(attribute="parent__name", column_name=_("Parent distributor"))
    tier = export_fields.Field(attribute="tier__name", column_name=_("Tier"))
    business_owner = export_fields.Field(column_name=_("Business owner"))
    customer_manager = export_fields.Field(column_name=_("Customer manager"))
    status = export_fields.Field(column_name=_("Status"))
    address = export_fields.Field(attribute="address", column_name=_("Address"))
    created_at = export_fields.Field(
        attribute="created_at", column_name=_("Created date"), widget=DateTimeWidget()
    )

    class Meta:
        model = Company
        fields = (*COMPANY_COLUMNS, "status", "address", "created_at")
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


class CompanyUserInline(NoEditingMixin, TabularInline):
    """Read-only summary of the company's users; each links to its user page."""

    model = User
    fk_name = "company"
    extra = 0
    can_delete = False
    fields = ("user_link", "name", "company_role", "activated_at", "is_active")
    readonly_fields = fields
    verbose_name = _("user")
    verbose_name_plural = _("users")

    @display(description=_("e-mail"))
    def user_link(self, obj: User) -> str:
        url = reverse("admin:partners_user_change", args=[obj.pk])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, obj.email)


class SubResellerInline(NoEditingMixin, TabularInline):
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

    form = CompanyForm
    resource_classes = (CompanyResource,)
    list_display = (*COMPANY_COLUMNS, "status_label", "user_count", "created_at")
    list_select_related = ("parent", "tier", "business_owner", "customer_manager")
    list_filter = (
        "company_type",
        "tier",
        "status",
        ("business_owner", RelatedDropdownFilter),
    )
    search_fields = ("name", "address", "users__email")
    search_help_text = _("Search by company name, address or a user's e-mail")
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
    inlines = (
        CompanyUserInline,
        CompanyFileInline,
        CompanyReceiptInline,
        SubResellerInline,
        DelegatedCreditLineInline,
    )
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
        distributor_only = (SubResellerInline, DelegatedCreditLineInline)
        return tuple(inline for inline in self.inlines if inline not in distributor_only)

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

    status_label = status_column(COMPANY_STATUS_LABELS)

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

    @guarded_action("enable", _("Enable"), icon="check_circle", variant=ActionVariant.SUCCESS)
    def enable_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._status_detail(request, object_id, CompanyStatus.ENABLED)

    @guarded_action("disable", _("Disable"), icon="block", variant=ActionVariant.DANGER)
    def disable_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._status_detail(request, object_id, CompanyStatus.DISABLED)
