from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _cart_count(user_id: int):
    def count() -> int:
        from billing.selectors.orders import cart_count

        return cart_count(user_id=user_id)

    return SimpleLazyObject(count)


def portal(request: HttpRequest) -> dict:
    """Header data shared by every portal page.

    ``cart_count`` is the signed-in partner user's number of cart lines (the header
    badge): one COUNT, run only when a template shows it. ``portal_company`` is the
    signed-in partner user's company (header company menu), ``None`` for staff and
    visitors; the session's user is loaded with its company, so it costs no extra query.
    """
    user = getattr(request, "user", None)
    company = None
    if user is not None and user.is_authenticated and getattr(user, "company_id", None):
        company = user.company
    cart_count = getattr(request, "cart_count", 0)
    if company is not None:
        cart_count = _cart_count(user.pk)
    return {
        "portal_languages": settings.LANGUAGES,
        "cart_count": cart_count,
        "support_email": "bcss-support@oe.21vianet.com",
        "portal_company": company,
    }
