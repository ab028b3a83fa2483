from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """Header data shared by every portal page.

    The cart count is filled by the orders issue. ``portal_company`` is the signed-in
    partner user's company (header company menu), ``None`` for staff and visitors;
    the session's user is loaded with its company, so it costs no extra query.
    """
    user = getattr(request, "user", None)
    company = None
    if user is not None and user.is_authenticated and getattr(user, "company_id", None):
        company = user.company
    return {
        "portal_languages": settings.LANGUAGES,
        "cart_count": getattr(request, "cart_count", 0),
        "support_email": "bcss-support@oe.21vianet.com",
        "portal_company": company,
    }
