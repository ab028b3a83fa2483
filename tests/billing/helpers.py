"""Small builders for billing tests, through the real services: companies with balance rows,
their users, credit lines and charges, rebate grants and spends, offline repayments."""

from datetime import timedelta

from django.utils import timezone

from billing.models import CreditEntry
from billing.services import balance_rows_create, credit, wallet
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


def set_credit_limit(
    company: Company,
    actor: User,
    limit="1000",
    *,
    term_days: int = 30,
    reason: str = "guarantee",
    currency: str = "CNY",
) -> None:
    """``credit.credit_limit_set``: the company's credit line in ``currency``."""
    credit.credit_limit_set(
        company_id=company.pk,
        currency=currency,
        credit_limit=limit,
        term_days=term_days,
        actor=actor,
        reason=reason,
    )


def order_posting(
    company: Company,
    amount,
    *,
    key: str,
    order_number: str = "o1",
    actor: User | None = None,
    currency: str = "CNY",
) -> dict:
    """The arguments of a posting for an order (``credit_charge``, ``wallet_spend``)."""
    return {
        "company_id": company.pk,
        "currency": currency,
        "amount": amount,
        "order_number": order_number,
        "actor": actor,
        "idempotency_key": key,
    }


def charge_credit(company: Company, amount, *, days_ago: int = 0, **posting) -> CreditEntry:
    """``credit.credit_charge`` (``posting``: see ``order_posting``); ``days_ago`` moves the
    entry back."""
    entry = credit.credit_charge(**order_posting(company, amount, **posting))
    if days_ago:
        CreditEntry.objects.filter(pk=entry.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return entry


def grant_rebate(
    company: Company, actor: User, amount, *, reason: str = "seed", currency: str = "CNY", **kwargs
):
    """``wallet.wallet_grant``: rebate money into the company's wallet."""
    return wallet.wallet_grant(
        company_id=company.pk,
        currency=currency,
        amount=amount,
        actor=actor,
        reason=reason,
        **kwargs,
    )


def spend_rebate(company: Company, amount, **posting):
    """``wallet.wallet_spend`` (``posting``: see ``order_posting``): rebate money paid towards
    an order."""
    return wallet.wallet_spend(**order_posting(company, amount, **posting))


def submit_offline_repayment(
    company: Company,
    bills,
    actor: User,
    *,
    payer_account: str = "6222",
    paid_on=None,
    currency: str = "CNY",
):
    """``bills.repayment_submit_offline`` for ``bills``, paid today (local) unless ``paid_on``."""
    from billing.services import bills as bill_services

    return bill_services.repayment_submit_offline(
        company_id=company.pk,
        currency=currency,
        bill_ids=[bill.pk for bill in bills],
        payer_account=payer_account,
        paid_on=paid_on or credit.local_today(),
        actor=actor,
    )


def guarantee_limit(company: Company, actor: User, limit="1500", term_days: int = 365) -> None:
    """The manual's credit line (spec 10.3): a bank guarantee (银行保函), ¥1,500 over 365 days."""
    set_credit_limit(company, actor, limit, term_days=term_days, reason="银行保函")


_orders = {"n": 0}


def numbered_charge(company: Company, user: User, amount, *, days_ago: int = 0) -> CreditEntry:
    """A credit charge by ``user`` for the next numbered order (2020022816385NNNN)."""
    _orders["n"] += 1
    return charge_credit(
        company,
        amount,
        order_number=f"2020022816385{_orders['n']:04d}",
        key=f"test-charge:{company.pk}:{_orders['n']}",
        actor=user,
        days_ago=days_ago,
    )
