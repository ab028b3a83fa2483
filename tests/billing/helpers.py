"""Small builders for billing tests: companies with balance rows, through the real services."""

from django.utils import timezone

from billing.services import balance_rows_create
from partners.models import Company, CompanyRole, Tier, User

_counter = {"n": 0}


def make_company(name: str | None = None, tier_code: str = "registered") -> Company:
    _counter["n"] += 1
    company = Company.objects.create(
        name=name or f"Ledger Co {_counter['n']}-{timezone.now().timestamp()}",
        tier=Tier.objects.get(code=tier_code),
    )
    balance_rows_create(company=company)
    return company


def make_partner_user(
    company: Company, email: str | None = None, role: str = CompanyRole.ADMIN
) -> User:
    _counter["n"] += 1
    return User.objects.create_user(
        email=email or f"user{_counter['n']}-{company.pk}@example.com",
        password="S3cure-test-pass!",
        company=company,
        company_role=role,
        activated_at=timezone.now(),
    )
