"""Reads of the contracts domain."""

from django.db.models import QuerySet

from partners.models import Company

from .models import Contract, ContractTemplate


def company_contracts(company: Company | None) -> QuerySet[Contract]:
    """The contracts of ``company`` (none for a user without a company), newest first."""
    if company is None:
        return Contract.objects.none()
    return Contract.objects.filter(company=company).select_related("template", "agreed_by")


def active_template() -> ContractTemplate | None:
    """The template version new contracts use (at most one is active)."""
    return ContractTemplate.objects.filter(is_active=True).first()
