"""Blue Cloud staff roles, kept as auth groups so permissions stay data.

Each role lists the apps (or single models) whose permissions it receives.
The staff-console issue refines these; ``staff_roles_sync`` applies them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    SALES = "sales", _("Sales")
    OPERATIONS = "operations", _("Operations")
    FINANCE = "finance", _("Finance")


# role -> {app_label or "app_label.model": actions}
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    StaffRole.SALES: {
        "partners": ("view", "add", "change"),
        "catalog": ("view",),
        "billing": ("view",),
        "contracts": ("view",),
    },
    StaffRole.OPERATIONS: {
        "partners": ("view", "change"),
        "catalog": ("view", "add", "change", "delete"),
        "billing": ("view", "change"),
        "contracts": ("view", "add", "change"),
        "django_q": ("view",),
    },
    StaffRole.FINANCE: {
        "partners": ("view",),
        "catalog": ("view",),
        "billing": ("view", "add", "change"),
        "contracts": ("view",),
    },
}

ROLE_GROUP_NAMES: dict[str, str] = {
    StaffRole.SALES: "销售 Sales",
    StaffRole.OPERATIONS: "运营 Operations",
    StaffRole.FINANCE: "财务 Finance",
}
