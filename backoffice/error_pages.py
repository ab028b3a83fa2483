"""The 404 / 403 / 500 pages of both front doors, each in its own layout and language.

Django calls these handlers (``backoffice.urls``) when DEBUG is off. A path under the
console's prefix gets the console's layout (with its sidebar, for a signed-in staff
member); every other path gets the portal's. The 500 page renders without the database
or context processors: whatever failed may fail again.
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

#: What each page says, by status.
TEXTS = {
    403: (
        _("You may not open this page"),
        _(
            "Your role does not include this page or action. If you need it for your work, "
            "ask an administrator to give your account the right role."
        ),
    ),
    404: (
        _("Page not found"),
        _(
            "The page does not exist, was moved, or belongs to another account. "
            "Check the address, or go back and try again."
        ),
    ),
    500: (
        _("Something went wrong on our side"),
        _(
            "The error has been recorded and we will look into it. Please try again in a "
            "few minutes; what you were doing has not been saved twice."
        ),
    ),
}


def _console_prefix() -> str:
    try:
        return reverse("admin:index")
    except NoReverseMatch:  # pragma: no cover - the console is always mounted
        return "/admin/"


def is_console(request: HttpRequest) -> bool:
    return request.path.startswith(_console_prefix())


def _render(request: HttpRequest, status: int) -> HttpResponse:
    title, explanation = TEXTS[status]
    # Queued messages stay for the next real page: an error page shows only its own text.
    context = {"status": status, "title": title, "explanation": explanation, "messages": []}
    user = getattr(request, "user", None)
    if is_console(request) and user is not None and user.is_active and user.is_staff:
        context.update(admin.site.each_context(request))
        template = "errors/console.html"
    elif is_console(request):
        template = "errors/console_plain.html"
    else:
        template = "errors/portal.html"
    return HttpResponse(loader.render_to_string(template, context, request), status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 403)


def server_error(request: HttpRequest) -> HttpResponse:
    """No context processors, no database: a plain template and the request's language."""
    title, explanation = TEXTS[500]
    context = {
        "status": 500,
        "title": title,
        "explanation": explanation,
        "console": is_console(request),
    }
    return HttpResponseServerError(loader.render_to_string("errors/500.html", context))
