"""Read queries of the partners domain."""

from django.db.models import Count, Q

from .models import User


def user_counts() -> dict[str, int]:
    """Staff and partner user counts in one aggregate query."""
    return User.objects.aggregate(
        staff=Count("pk", filter=Q(is_staff=True, is_active=True)),
        partner_users=Count("pk", filter=Q(is_staff=False, is_active=True)),
        disabled=Count("pk", filter=Q(is_active=False)),
    )
