from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Orders and finance")

    def ready(self) -> None:
        from billing.payments import checks  # noqa: F401  (registers the payment checks)
        from billing.services.balances import balance_rows_create
        from partners.hooks import on_company_created

        # Every new company gets its balance rows in the transaction that creates it.
        on_company_created(balance_rows_create)
