"""Who sees what in the console: the sales role sees only the companies it owns.

Imports nothing else of the console, so every console module (the ModelAdmins' base,
the dashboard, the sidebar) can ask without an import cycle.
"""

from django.db.models import Q
from django.http import HttpRequest

from partners.auth import user_group_names
from partners.staff_roles import OWNER_SCOPED_ROLES, ROLE_GROUP_NAMES

_SCOPED_GROUPS = frozenset(ROLE_GROUP_NAMES[role] for role in OWNER_SCOPED_ROLES)
_UNSCOPED_GROUPS = frozenset(
    name for role, name in ROLE_GROUP_NAMES.items() if role not in OWNER_SCOPED_ROLES
)


def is_owner_scoped(request: HttpRequest) -> bool:
    """Whether this staff member only sees the companies they own (销售).

    A superuser, or a member of any unscoped role group as well, sees everything.
    Cached on the request: the console asks many times per page.
    """
    cached = getattr(request, "_owner_scoped", None)
    if cached is not None:
        return cached
    user = request.user
    scoped = False
    if user.is_authenticated and not user.is_superuser:
        names = user_group_names(user)
        scoped = bool(names & _SCOPED_GROUPS) and not names & _UNSCOPED_GROUPS
    request._owner_scoped = scoped
    return scoped


def company_owner_q(user, path: str = "") -> Q:
    """Companies ``user`` owns as business owner or customer manager, at ``path``."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}business_owner": user}) | Q(**{f"{prefix}customer_manager": user})
