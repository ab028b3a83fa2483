"""``/metrics``: Prometheus text format, for a scraper holding the token or on an allowed
network (README "Metrics"). Unconfigured, it exists only in development (DEBUG)."""

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from .collectors import BusinessCollector


def _client_allowed(request: HttpRequest) -> bool:
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def _token_ok(request: HttpRequest) -> bool:
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), settings.METRICS_TOKEN.encode()
    )


def _process_registry():
    """django-prometheus' request and database metrics: this process's, or every gunicorn
    worker's when PROMETHEUS_MULTIPROC_DIR is set (prometheus_client's multiprocess mode)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS
    if not (token or networks or settings.DEBUG):
        raise Http404  # not configured: the endpoint does not exist
    if networks and not _client_allowed(request):
        raise Http404
    if token and not _token_ok(request):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector())
    body = generate_latest(_process_registry()) + generate_latest(business)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
