"""Deploy checks of the /metrics protection (README "Metrics")."""

import ipaddress

from django.conf import settings
from django.core.checks import Tags, Warning, register

MIN_TOKEN_LENGTH = 32


@register(Tags.security, deploy=True)
def check_metrics_protection(app_configs=None, **kwargs) -> list[Warning]:
    warnings = []
    if settings.METRICS_TOKEN and len(settings.METRICS_TOKEN) < MIN_TOKEN_LENGTH:
        warnings.append(
            Warning(
                f"METRICS_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters.",
                hint="Generate one, e.g. `openssl rand -hex 32`.",
                id="metrics.W001",
            )
        )
    if any(
        ipaddress.ip_network(network, strict=False).prefixlen == 0
        for network in settings.METRICS_ALLOWED_NETWORKS
    ):
        warnings.append(
            Warning(
                "METRICS_ALLOWED_NETWORKS allows every address.",
                hint="List the monitoring hosts' addresses or their private network only.",
                id="metrics.W002",
            )
        )
    return warnings
