"""System checks of the webhook settings (registered by ``partners.apps``).

``check --deploy`` fails while webhooks may be sent to private networks or over plain
http: those switches exist for the local test receiver and development only.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_webhooks_for_production(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        errors.append(
            Error(
                "WEBHOOKS_ALLOW_PRIVATE_NETWORKS is on: a partner's webhook could reach "
                "internal services (loopback, private and link-local addresses).",
                hint="Unset WEBHOOKS_ALLOW_PRIVATE_NETWORKS in production.",
                id="partners.E001",
            )
        )
    if settings.WEBHOOKS_ALLOW_HTTP:
        errors.append(
            Error(
                "WEBHOOKS_ALLOW_HTTP is on: webhooks could be sent unencrypted.",
                hint="Unset WEBHOOKS_ALLOW_HTTP in production.",
                id="partners.E002",
            )
        )
    return errors
