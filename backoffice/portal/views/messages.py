"""消息中心 (/account/messages/): the signed-in user's notifications, newest first.

Every lookup is the user's own (``backoffice.core.notifications``): another user's
message answers 404. Opening a message marks it read; 全部已读 marks them all.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from backoffice.core.models import Notification
from backoffice.core.notifications import (
    notification_open,
    notification_render,
    notifications_mark_all_read,
    notifications_of,
)

from .base import paginate, partner_view, render_account

SECTION = "messages"
PAGE_SIZE = 20


@partner_view()
def message_list(request: HttpRequest) -> HttpResponse:
    page, page_range = paginate(request, notifications_of(user=request.user), PAGE_SIZE)
    rows = [notification_render(notification) for notification in page.object_list]
    return render_account(
        request,
        "portal/account/messages.html",
        SECTION,
        {"page": page, "page_range": page_range, "rows": rows},
    )


@partner_view()
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = notification_open(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return render_account(
        request,
        "portal/account/message_detail.html",
        SECTION,
        {"message": notification_render(notification)},
    )


@partner_view(methods=("POST",))
def messages_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d messages marked as read.") % {"count": count})
    return redirect("portal:account_messages")
