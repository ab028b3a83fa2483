from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """Header data shared by every portal page.

    The cart count and company menu are filled by the orders and partners issues;
    until then the header shows an empty cart and the login/register links.
    """
    return {
        "portal_languages": settings.LANGUAGES,
        "cart_count": getattr(request, "cart_count", 0),
        "support_email": "bcss-support@oe.21vianet.com",
    }
