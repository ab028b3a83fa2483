import ipaddress
import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import ngettext

from backoffice.logging import request_id_var

# What we accept as a proxy-given request id: a short token, nothing that could forge
# log lines or headers (nginx's $request_id is 32 hex digits, a uuid is 36 chars).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class ChineseFirstLocaleMiddleware:
    """Chinese first: the language is the one the user chose (cookie), else zh-hans.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language,
    so every visitor starts in Chinese and switches with the language switcher.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class RequestIdMiddleware:
    """Gives every request an id, for correlating log lines across proxy, web and tasks.

    The id is the proxy's ``X-Request-ID`` header when it is a sane token (nginx sets
    it, see deploy/nginx.conf.example), else a new uuid4. It is stored on
    ``request.request_id``, in ``backoffice.logging.request_id_var`` (so every log
    record of this request carries it, see ``RequestIdFilter``) and sent back in the
    response's ``X-Request-ID`` header.
    """

    HEADER = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = self.incoming_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response.headers[self.HEADER] = request_id
        return response

    def incoming_id(self, request) -> str | None:
        value = request.headers.get(self.HEADER, "").strip()
        return value if REQUEST_ID_PATTERN.fullmatch(value) else None


class TrustedProxyMiddleware:
    """Behind a proxy, REMOTE_ADDR is the client's address, not the proxy's.

    gunicorn sets REMOTE_ADDR to its peer: nginx. When that peer is one of
    settings.TRUSTED_PROXIES (addresses or networks; empty = no proxy, nothing
    changes), the client is the right-most X-Forwarded-For entry that is not itself
    a trusted proxy. Entries left of it were written by the client and are ignored.
    Login lockout (django-axes) and everything else reading REMOTE_ADDR then see
    the real client instead of one shared proxy address.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES]
        if not self.proxies:
            raise MiddlewareNotUsed

    def __call__(self, request):
        if self.is_trusted(request.META.get("REMOTE_ADDR", "")):
            client = self.client_address(request.META.get("HTTP_X_FORWARDED_FOR", ""))
            if client:
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def client_address(self, forwarded_for: str) -> str | None:
        client = None
        for entry in reversed([part.strip() for part in forwarded_for.split(",")]):
            try:
                client = str(ipaddress.ip_address(entry))
            except ValueError:
                break  # garbage (or a forged entry): keep the last good address
            if not self.is_trusted(client):
                break
        return client


class StaffSessionMiddleware:
    """Staff sessions end after ``STAFF_SESSION_IDLE_TIMEOUT`` seconds without a request and
    ``STAFF_SESSION_MAX_AGE`` seconds after login; partner sessions are left alone.

    The session keeps the login time and the last request's time (refreshed at most once a
    minute, so a busy console does not rewrite its session row on every click). An expired
    session is logged out and sent to the console login with a message saying why.
    """

    LOGIN_AT = "staff_login_at"
    SEEN_AT = "staff_seen_at"
    SEEN_RESOLUTION = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            expired = self.expired(request)
            if expired:
                return self.end(request, expired)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            self.touch(request)
        return response

    def expired(self, request) -> str:
        """Why the session is over ("idle" or "max_age"), or "" while it is not."""
        session, now = request.session, timezone.now().timestamp()
        login_at, seen_at = session.get(self.LOGIN_AT), session.get(self.SEEN_AT)
        if login_at is None or seen_at is None:
            return ""
        if now - login_at >= settings.STAFF_SESSION_MAX_AGE:
            return "max_age"
        if now - seen_at >= settings.STAFF_SESSION_IDLE_TIMEOUT:
            return "idle"
        return ""

    def touch(self, request) -> None:
        session, now = request.session, int(timezone.now().timestamp())
        session.setdefault(self.LOGIN_AT, now)  # sessions from before this middleware
        if now - session.get(self.SEEN_AT, 0) >= self.SEEN_RESOLUTION:
            session[self.SEEN_AT] = now

    @classmethod
    def start(cls, sender, request, user, **kwargs) -> None:
        """``user_logged_in``: a staff session's clock starts at the login (also when the
        same user logs in again and Django keeps the session's data)."""
        if user.is_staff and request is not None and hasattr(request, "session"):
            now = int(timezone.now().timestamp())
            request.session[cls.LOGIN_AT] = request.session[cls.SEEN_AT] = now

    def end(self, request, reason: str):
        logout(request)
        if reason == "idle":
            count = settings.STAFF_SESSION_IDLE_TIMEOUT // 60  # minutes
            message = ngettext(
                "You were logged out after %(count)d minute without activity. Please log in again.",
                "You were logged out after %(count)d minutes without activity. Please log in again.",
                count,
            )
        else:
            count = settings.STAFF_SESSION_MAX_AGE // 3600  # hours
            message = ngettext(
                "Your session ended %(count)d hour after you logged in. Please log in again.",
                "Your session ended %(count)d hours after you logged in. Please log in again.",
                count,
            )
        messages.warning(request, message % {"count": count})
        login_url = reverse("admin:login")
        next_url = request.get_full_path() if request.method == "GET" else reverse("admin:index")
        return HttpResponseRedirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")


user_logged_in.connect(StaffSessionMiddleware.start, dispatch_uid="staff_session_start")
