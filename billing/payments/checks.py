"""System checks of the payment settings (registered by ``billing.apps``).

``check --deploy`` (the release step, CI) fails while the sandbox provider is enabled:
with it anyone who knows its key confirms their own payments.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

from . import PROVIDERS

DEV_SECRET_PREFIXES = ("dev-only", "test-only")


def _sandbox_secret_problem() -> str:
    secret = settings.PAYMENT_SANDBOX_SECRET
    if not secret:
        return ""
    if secret.startswith(DEV_SECRET_PREFIXES):
        return "PAYMENT_SANDBOX_SECRET is a development default."
    if secret == settings.SECRET_KEY:
        return "PAYMENT_SANDBOX_SECRET must not be SECRET_KEY."
    return ""


@register(Tags.security, deploy=True)
def check_payment_provider_for_production(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if settings.PAYMENT_PROVIDER == "sandbox":
        errors.append(
            Error(
                "The sandbox payment provider is enabled: partners could confirm their own "
                "payments.",
                hint="Set PAYMENT_PROVIDER=alipay (with the ALIPAY_* settings), or leave it "
                "empty to switch online payment off.",
                id="billing.E001",
            )
        )
    if problem := _sandbox_secret_problem():
        errors.append(
            Error(problem, hint="Unset PAYMENT_SANDBOX_SECRET in production.", id="billing.E002")
        )
    return errors


@register(Tags.security)
def check_payment_provider_settings(app_configs=None, **kwargs) -> list[Error]:
    name = settings.PAYMENT_PROVIDER
    if not name:
        return []
    if name not in PROVIDERS:
        return [
            Error(
                f"PAYMENT_PROVIDER={name!r} is not a payment provider.",
                hint=f"Choose one of: {', '.join(sorted(PROVIDERS))}, or leave it empty.",
                id="billing.E003",
            )
        ]
    if name == "sandbox" and not settings.PAYMENT_SANDBOX_SECRET:
        return [Error("The sandbox provider needs PAYMENT_SANDBOX_SECRET.", id="billing.E004")]
    if name == "alipay":
        return _alipay_problems()
    return []


def _alipay_problems() -> list[Error]:
    from .alipay import AlipayProvider

    missing = [
        key
        for key in ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")
        if not getattr(settings, key)
    ]
    if missing:
        return [Error(f"PAYMENT_PROVIDER=alipay needs {', '.join(missing)}.", id="billing.E005")]
    try:
        AlipayProvider()
    except (ValueError, TypeError, IndexError) as exc:
        return [Error(f"The Alipay keys cannot be read: {exc}", id="billing.E006")]
    gateway = urlsplit(settings.ALIPAY_GATEWAY)
    origin = f"{gateway.scheme}://{gateway.netloc}"
    if origin not in settings.PAYMENT_GATEWAY_ORIGINS:
        return [
            Error(
                f"The Content-Security-Policy would block the Alipay cashier ({origin}).",
                hint=f"Add {origin} to PAYMENT_GATEWAY_ORIGINS.",
                id="billing.E007",
            )
        ]
    return []
