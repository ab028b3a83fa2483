"""Staff users of the console and their role groups (``partners.staff_roles``)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from ..models import (
    User,
)
from ..staff_roles import LEGACY_GROUP_NAMES, ROLE_GROUP_NAMES, StaffRole, role_allows_perm


@transaction.atomic
def staff_roles_sync() -> dict[str, Group]:
    """Create or update one auth group per staff role from the matrix. Idempotent.

    Reads ``partners.staff_roles``: a legacy group name is renamed, a permission the
    matrix no longer grants is removed. Permissions of models not migrated yet are
    simply absent; the post-migrate hook runs this again once they exist.
    """
    perms_by_key = {
        (p.content_type.app_label, p.codename): p.pk
        for p in Permission.objects.select_related("content_type")
    }
    groups: dict[str, Group] = {}
    for role in StaffRole:
        name = ROLE_GROUP_NAMES[role]
        legacy = LEGACY_GROUP_NAMES.get(role)
        if legacy and not Group.objects.filter(name=name).exists():
            Group.objects.filter(name=legacy).update(name=name)
        group, _ = Group.objects.get_or_create(name=name)
        wanted = {
            pk
            for (app_label, codename), pk in perms_by_key.items()
            if role_allows_perm(role, f"{app_label}.{codename}")
        }
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
