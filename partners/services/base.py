"""What several partners services share: the domain error and the company checks."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import (
    ApplicationStatus,
    Company,
    RegistrationApplication,
    Tier,
)


class PartnerError(ValidationError):
    """A domain rule refused the change; the message is shown to the user as is."""


def company_name_taken(name: str) -> bool:
    return (
        Company.objects.filter(name__iexact=name).exists()
        or RegistrationApplication.objects.filter(
            company_name__iexact=name, status=ApplicationStatus.PENDING
        ).exists()
    )


def default_tier() -> Tier:
    tier = Tier.objects.filter(is_default=True).first() or Tier.objects.order_by("rank").first()
    if tier is None:
        raise PartnerError(_("No membership tier is configured yet."), code="no_tier")
    return tier
