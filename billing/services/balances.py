"""State-changing functions of the billing domain."""

from django.db import transaction

from billing.models import CreditAccount, Currency, RebateWallet


@transaction.atomic
def balance_rows_create(*, company) -> None:
    """Create the company's rebate wallet and credit account rows, one per currency. Idempotent."""
    for currency in Currency.values:
        RebateWallet.objects.get_or_create(company=company, currency=currency)
        CreditAccount.objects.get_or_create(company=company, currency=currency)
