"""Users: staff and partner accounts, activation e-mails."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from partners.models import CompanyRole, User
from partners.services import activation_mail_enqueue

from ..base import BaseAdmin
from ..exports import ExportResource
from ..permission_labels import TranslatedPermissionsMixin


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


class UserResource(ExportResource):
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
class UserAdmin(TranslatedPermissionsMixin, DjangoUserAdmin, BaseAdmin):
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
