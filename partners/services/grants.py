"""Who of a distributor's 协同管理员 may allocate to its sub-resellers (``can_allocate``)."""

from django.db import transaction
from django.utils.translation import gettext as _

from partners.models import CompanyRole, User

from .base import PartnerError


@transaction.atomic
def co_admin_allocate_grant(*, actor: User, user_id: int, granted: bool) -> User:
    """The distributor's 管理员 grants (or withdraws) a co-admin's right to allocate."""
    if not (actor.company_id and actor.is_company_admin and actor.company.is_distributor):
        raise PartnerError(_("Only the distributor's administrator may grant this."))
    user = (
        User.objects.select_for_update()
        .filter(
            pk=user_id,
            company_id=actor.company_id,
            company_role=CompanyRole.CO_ADMIN,
            deleted_at__isnull=True,
        )
        .first()
    )
    if user is None:
        raise PartnerError(_("Choose one of your co-administrators."))
    user.can_allocate = granted
    user.save(update_fields=["can_allocate"])
    return user
