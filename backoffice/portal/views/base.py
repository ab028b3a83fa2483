"""Plumbing shared by the portal's views: the partner-only decorator, pagination and the
personal-center render. The domain error → form / messages mappers are in ``..errors``.

Anonymous users are sent to ``settings.LOGIN_URL`` (the portal's login page).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from partners.models import User

from ..navigation import account_menu, is_partner

PAGE_SIZE = 15


# --------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------


def safe_back_url(request: HttpRequest, *, fallback: str) -> str:
    """The page to return to: ``next`` or the referring page when it is on this site."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def wants_json(request: HttpRequest) -> bool:
    """The page's script asked for a JSON answer."""
    return "application/json" in request.headers.get("Accept", "")


def partner_view(
    *,
    methods: tuple[str, ...] | None = ("GET",),
    allowed: Callable[[User], bool] | None = None,
    resolve: Callable[..., tuple[tuple, dict]] | None = None,
    login_next_from_referer: bool = False,
):
    """Partner users only: anonymous → login page, no company or role → 404, other verbs → 405.

    ``allowed(user)`` is the page's role check (refused → 404). ``resolve(request, *args,
    **kwargs)`` turns the URL's arguments into the view's (its lookups answer 404 before
    the verb check). ``methods=None`` leaves the verb check to the view, after its scoped
    lookup, so that another company's number answers 404 whatever the method. With
    ``login_next_from_referer`` the login page returns to the referring page (a POST-only
    action), else to this one.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if login_next_from_referer:
                    target = safe_back_url(request, fallback=reverse("portal:cart"))
                else:
                    target = request.get_full_path()
                return redirect_to_login(target)
            if not is_partner(user) or (allowed is not None and not allowed(user)):
                raise Http404
            if resolve is not None:
                args, kwargs = resolve(request, *args, **kwargs)
            if methods is not None and request.method not in methods:
                return HttpResponseNotAllowed(methods)
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator


def found_or_404[T](lookup: Callable[..., T], *args, **kwargs) -> T:
    """``lookup(*args, **kwargs)``, a selector's ``get``; its ``DoesNotExist`` answers 404."""
    try:
        return lookup(*args, **kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


# --------------------------------------------------------------------------
# Lists and pages
# --------------------------------------------------------------------------


def paginate(
    request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE
) -> tuple[Page, list]:
    """The ``?page=`` page of ``queryset`` and its elided page range."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    page_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page, page_range


def page_context(page: Page) -> dict:
    """A selector's page and its elided page range, for the pager include."""
    return {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    }


def render_account(
    request: HttpRequest, template: str, section: str, context: dict | None = None
) -> HttpResponse:
    """A personal-center page: the sidebar with ``section`` active and the user's company."""
    context = {
        **(context or {}),
        "account_menu": account_menu(request.user, active=section),
        "company": request.user.company,
    }
    return render(request, template, context)
