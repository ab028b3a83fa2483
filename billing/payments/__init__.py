"""Online payment providers: the interface (``base``), the adapters and their registry.

``PAYMENT_PROVIDER`` names the provider new payments go to: ``"alipay"`` in production,
``"sandbox"`` for development and tests, empty for none (online payment is then
unavailable). Notifications are accepted from the active provider, and from a configured
real provider that is no longer active (payments started before a switch still arrive);
the sandbox's only while it is the active provider.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import PaymentProvider

PROVIDERS: dict[str, str] = {
    "sandbox": "billing.payments.sandbox.SandboxProvider",
    "alipay": "billing.payments.alipay.AlipayProvider",
}


def provider_configured(name: str) -> bool:
    if name == "alipay":
        return bool(
            settings.ALIPAY_APP_ID
            and settings.ALIPAY_APP_PRIVATE_KEY
            and settings.ALIPAY_PUBLIC_KEY
        )
    return name in PROVIDERS


def get_provider(name: str) -> PaymentProvider:
    """The adapter ``name`` (KeyError for an unknown name)."""
    return import_string(PROVIDERS[name])()


def active_provider() -> PaymentProvider | None:
    """Where new online payments go, or None when online payment is switched off."""
    name = settings.PAYMENT_PROVIDER
    if not name or name not in PROVIDERS or not provider_configured(name):
        return None
    return get_provider(name)


def notifying_provider(name: str) -> PaymentProvider | None:
    """The adapter whose notifications the endpoint ``name`` accepts, or None (404)."""
    if name not in PROVIDERS or not provider_configured(name):
        return None
    if name == "sandbox" and settings.PAYMENT_PROVIDER != "sandbox":
        return None
    return get_provider(name)
