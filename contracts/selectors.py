"""Reads of the contracts domain."""

from django.db.models import QuerySet

from .models import Contract, ContractTemplate


def contracts_visible_to(user) -> QuerySet[Contract]:
    """The contracts a portal user may download: its company's, and for a distributor
    also its sub-resellers' (read-only visibility, decision 6; the same companies whose
    orders it sees)."""
    from partners.selectors import visible_company_ids

    return Contract.objects.filter(company_id__in=visible_company_ids(user=user))


def active_template() -> ContractTemplate | None:
    """The template version new contracts use (at most one is active)."""
    return ContractTemplate.objects.filter(is_active=True).first()
