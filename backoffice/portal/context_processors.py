from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _cart_count(user_id: int):
    def count() -> int:
        from billing.selectors.orders import cart_count

        return cart_count(user_id=user_id)

    return SimpleLazyObject(count)


def _message_badge(user):
    def badge() -> str:
        from backoffice.core.notifications import badge_text, unread_count

        return badge_text(unread_count(user=user))

    return SimpleLazyObject(badge)


def portal(request: HttpRequest) -> dict:
    """Header data shared by every portal page.

    ``cart_count`` is the signed-in partner user's number of cart lines (the header
    badge): one COUNT, run only when a template shows it. ``portal_company`` is the
    signed-in partner user's company (header company menu), ``None`` for staff and
    visitors; the session's user is loaded with its company, so it costs no extra query.
    ``message_badge`` is the partner user's unread 消息中心 count ("" when none, "99+"
    past 99): one indexed count of at most 100 rows, run only when a template shows it.
    """
    user = getattr(request, "user", None)
    company = None
    if user is not None and user.is_authenticated and getattr(user, "company_id", None):
        company = user.company
    cart_count = getattr(request, "cart_count", 0)
    message_badge = ""
    if company is not None:
        cart_count = _cart_count(user.pk)
        message_badge = _message_badge(user)
    return {
        "portal_languages": settings.LANGUAGES,
        "cart_count": cart_count,
        "support_email": "bcss-support@oe.21vianet.com",
        "portal_company": company,
        "message_badge": message_badge,
    }
