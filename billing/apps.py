from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Orders and finance")

    def ready(self) -> None:
        from billing.payments import checks  # noqa: F401  (registers the payment checks)
