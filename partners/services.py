"""State-changing functions of the partners domain."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import User
from .staff_roles import ROLE_GROUP_NAMES, ROLE_PERMISSIONS, StaffRole


@transaction.atomic
def staff_roles_sync() -> dict[str, Group]:
    """Create or update one auth group per staff role with its permissions. Idempotent."""
    groups: dict[str, Group] = {}
    for role, scopes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
        perms = Permission.objects.none()
        for scope, actions in scopes.items():
            app_label, _, model = scope.partition(".")
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if model:
                qs = qs.filter(content_type__model=model)
            codename_q = None
            for action in actions:
                q = qs.filter(codename__startswith=f"{action}_")
                codename_q = q if codename_q is None else codename_q | q
            if codename_q is not None:
                perms = perms | codename_q
        wanted = set(perms.values_list("pk", flat=True))
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
        groups[role] = group
    return groups


@transaction.atomic
def staff_user_upsert(
    *,
    email: str,
    name: str,
    role: StaffRole | None,
    password: str | None = None,
    superuser: bool = False,
) -> tuple[User, bool]:
    """Create a staff user (or leave an existing one alone) and put it in its role group.

    Returns ``(user, created)``. An existing user's password is never reset.
    """
    email = User.objects.normalize_email(email)
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        factory = User.objects.create_superuser if superuser else User.objects.create_user
        user = factory(email=email, password=password, name=name, is_staff=True)
    if role is not None:
        group = staff_roles_sync()[role]
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
    return user, created
