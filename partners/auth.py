"""Authentication rules for partner users.

``user_can_authenticate`` is also consulted when a session is loaded (get_user),
so disabling a user or a company ends their sessions at the next request.
"""

from django.contrib.auth.backends import ModelBackend

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

    def get_user(self, user_id):
        from .models import User

        try:
            user = User._default_manager.select_related("company", "company__tier").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials) -> str:
    """Count failures per normalised e-mail, so case variations share one counter."""
    raw = ""
    if credentials:
        raw = credentials.get("username") or credentials.get("email") or ""
    if not raw and request is not None:
        raw = request.POST.get("username", "")
    return (raw or "").strip().lower()
