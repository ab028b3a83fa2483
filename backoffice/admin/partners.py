"""Console: partners domain (users for now; companies and registrations follow)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from partners.models import User

from .base import BaseAdmin
from .navigation import NavGroup


class ConsoleUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("email", "name")


class ConsoleUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin, BaseAdmin):
    nav_group = NavGroup.PARTNERS
    nav_icon = "person"
    nav_order = 90

    form = ConsoleUserChangeForm
    add_form = ConsoleUserCreationForm
    change_password_form = AdminPasswordChangeForm

    list_display = ("email", "name", "phone", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email", "name", "phone")
    search_help_text = _("Search by e-mail, name or phone")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name", "phone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )

    def has_import_permission(self, request) -> bool:
        # Accounts are created through services (activation, invitations), never imported.
        return False
