"""Authentication rules for partner users.

``user_can_authenticate`` is also consulted when a session is loaded (get_user),
so disabling a user or a company ends their sessions at the next request.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group

from .models import CompanyStatus


class PartnerAwareBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if getattr(user, "deleted_at", None) is not None:
            return False
        if user.company_id is None:
            return True
        return user.activated_at is not None and user.company.status == CompanyStatus.ENABLED

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        """Django's group permissions, read in the same query as the group names
        (``user_group_names``): a console page asks for both."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_group_permissions(user_obj, obj)
        if not hasattr(user_obj, "_group_perm_cache"):
            _groups_load(user_obj)
        return user_obj._group_perm_cache

    def get_user(self, user_id):
        from .models import User

        try:
            user = User._default_manager.select_related("company", "company__tier").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def user_group_names(user) -> set[str]:
    """The names of ``user``'s groups (the staff roles), read once per user object (a
    request's ``request.user``), together with the group permissions."""
    if not hasattr(user, "_group_names"):
        _groups_load(user)
    return user._group_names


def _groups_load(user) -> None:
    """One query for the group names and the group permissions of ``user``; Django's
    ``_group_perm_cache`` is filled the way ``ModelBackend`` fills it (not for a
    superuser, who has every permission)."""
    rows = list(
        Group.objects.filter(user=user).values_list(
            "name", "permissions__content_type__app_label", "permissions__codename"
        )
    )
    user._group_names = {name for name, _app, _code in rows}
    if not user.is_superuser:
        user._group_perm_cache = {f"{app}.{code}" for _name, app, code in rows if code}


def axes_username(request, credentials) -> str:
    """Count failures per normalised e-mail, so case variations share one counter."""
    raw = ""
    if credentials:
        raw = credentials.get("username") or credentials.get("email") or ""
    if not raw and request is not None:
        raw = request.POST.get("username", "")
    return (raw or "").strip().lower()
