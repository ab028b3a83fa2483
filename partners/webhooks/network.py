"""The outgoing webhook request: only to the registered host, public addresses only.

The host is resolved once and *every* address is checked with ``ipaddress``: a private,
loopback, link-local, shared, reserved, multicast or unspecified one refuses the delivery
(unless ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS``). The request then goes to the checked
address (the TLS name and ``Host`` stay the registered host), so a DNS answer that
changes between the check and the connection cannot redirect it. Redirects are not
followed (a 3xx is a failed attempt); the timeout is ``WEBHOOKS_TIMEOUT_SECONDS``.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"https": 443, "http": 80}
RESPONSE_READ_LIMIT = 1024


class WebhookRefused(Exception):
    """The delivery was not attempted: the URL or its addresses are not allowed."""


@dataclass(frozen=True)
class WebhookResponse:
    status: int


def url_scheme_problem(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and settings.WEBHOOKS_ALLOW_HTTP):
        return ""
    return _("The endpoint must be an https:// URL.")


def address_problem(address: str) -> str:
    """Why ``address`` may not receive webhooks ("" when it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        return ""
    if ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_unspecified:
        return _("%(address)s is a private, loopback or link-local address.") % {"address": ip}
    if ip.is_multicast or ip.is_reserved or not ip.is_global:
        return _("%(address)s is not a public address.") % {"address": ip}
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal is itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(_("The host %(host)s cannot be resolved.") % {"host": host}) from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) for ``url``, or ``WebhookRefused``."""
    if problem := url_scheme_problem(url):
        raise WebhookRefused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise WebhookRefused(_("The endpoint URL has no host."))
    scheme = parts.scheme.lower()
    port = parts.port or DEFAULT_PORTS[scheme]
    addresses = resolve(host, port)
    for address in addresses:
        if problem := address_problem(address):
            raise WebhookRefused(problem)
    return scheme, host, port, addresses[0]


def webhook_post(*, url: str, body: bytes, headers: dict[str, str]) -> WebhookResponse:
    """POST ``body`` to ``url`` (checked as above). Network errors raise urllib3's errors."""
    scheme, host, port, address = checked_target(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(total=settings.WEBHOOKS_TIMEOUT_SECONDS)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    default_port = port == DEFAULT_PORTS[scheme]
    request_headers = {
        "Host": host if default_port else f"{host}:{port}",
        "Content-Type": "application/json",
        "User-Agent": "AggreSmart-Webhooks/1",
        **headers,
    }
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            response.read(RESPONSE_READ_LIMIT)
        finally:
            response.release_conn()
        return WebhookResponse(status=response.status)
    finally:
        pool.close()
