"""The kernel's notices (``backoffice.core.notifications``), the mail layout every mail
shares (``render_mail``), and the portal's 消息中心 with its header badge."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse

from backoffice.core.mail import render_mail
from backoffice.core.models import Notification, OutboundEmail
from backoffice.core.notifications import badge_text, notify, unread_count
from partners.models import CompanyRole
from tests.partners.factories import CompanyFactory, PartnerUserFactory, admin_of

pytestmark = pytest.mark.django_db

TEMPLATE = "billing/mail/order_completed"
SITE = "http://testserver"


@pytest.fixture
def company():
    return CompanyFactory()


@pytest.fixture
def admin(company, settings):
    settings.SITE_URL = SITE
    return admin_of(company, name="王经理", email="admin@example.com")


@pytest.fixture
def co_admin(company):
    return PartnerUserFactory(
        company=company, company_role=CompanyRole.CO_ADMIN, email="co@example.com"
    )


def tell(users, *, number="20261203000000001", key=None) -> int:
    return notify(
        users=users,
        kind="order_completed",
        template=TEMPLATE,
        context={"order_number": number},
        link_name="portal:account_order_detail",
        link_args=(number,),
        key=key,
    )


# --------------------------------------------------------------------------
# notify: one message and one mail per user, on commit
# --------------------------------------------------------------------------


def test_notify_writes_messages_and_mails_sent_after_commit(
    admin, co_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert tell([admin, co_admin, admin]) == 2  # deduplicated
        assert OutboundEmail.objects.count() == 2 and not mail.outbox  # not before the commit
    assert len(callbacks) == 2 and len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == [admin.email])
    assert message.subject == "云睐：订单 20261203000000001 已完成"
    assert message.body.startswith("王经理，您好：")
    link = f"{SITE}/account/orders/20261203000000001/"
    assert link in message.body and "云睐 AggreSmart" in message.body
    (html, mime), *_ = message.alternatives
    assert mime == "text/html" and f'href="{link}"' in html and "王经理" in html
    assert Notification.objects.get(recipient=admin).link == "/account/orders/20261203000000001/"


def test_rollback_leaves_no_message_and_no_mail(admin, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        tell([admin])
        raise RuntimeError
    assert not callbacks and not mail.outbox
    assert not Notification.objects.exists() and not OutboundEmail.objects.exists()


def test_a_key_tells_each_user_once(admin, co_admin):
    assert tell([admin], key="bill_due_soon:1") == 1
    assert tell([admin, co_admin], key="bill_due_soon:1") == 1  # only the co-admin is new
    assert tell([admin, co_admin], key="bill_due_soon:1") == 0
    assert Notification.objects.count() == 2 and OutboundEmail.objects.count() == 2


def test_the_mail_follows_the_recipients_language(admin, co_admin):
    co_admin.language = "en"
    co_admin.save(update_fields=["language"])
    tell([admin, co_admin])
    languages = dict(OutboundEmail.objects.values_list("to", "language"))
    assert languages == {admin.email: "zh-hans", co_admin.email: "en"}


# --------------------------------------------------------------------------
# Every mail of the project: one prefix, one greeting and signature, two parts
# --------------------------------------------------------------------------


def _mail_templates() -> list[str]:
    found = []
    for app in ("billing", "partners", "catalog"):
        folder = Path(settings.BASE_DIR) / app / "templates" / app / "mail"
        for path in sorted(folder.glob("*_subject.txt")):
            found.append(f"{app}/mail/{path.name.removesuffix('_subject.txt')}")
    return found


@pytest.mark.parametrize("template", _mail_templates())
def test_every_mail_has_one_prefix_greeting_signature_and_an_html_part(template):
    context = {"name": "王", "link": f"{SITE}/x/", "order_number": "1", "number": "2"}
    for language, prefix in (("zh-hans", "云睐："), ("en", "AggreSmart: ")):
        subject, text, html = render_mail(template, context, language)
        assert subject.startswith(prefix) and subject.count(prefix.strip(" ：:")) == 1, subject
        assert text.count("云睐 AggreSmart") == 1, text  # one signature
        assert text.lstrip().startswith(("王，您好", "Hello 王,")), text  # one greeting
        assert html.count("云睐 AggreSmart") == 2 and "<html" in html  # header and signature


# --------------------------------------------------------------------------
# The portal: 消息中心 and the header badge
# --------------------------------------------------------------------------


def _badge(client) -> str:
    html = client.get(reverse("portal:account_profile")).content.decode()
    marker = "data-message-count"
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_the_badge_counts_unread_and_drops_when_one_is_read(client, admin, co_admin):
    for n in range(3):
        tell([admin], number=f"2026120300000000{n}")
    tell([co_admin])  # a colleague's message is not counted
    client.force_login(admin)
    assert _badge(client) == "3"
    first = Notification.objects.filter(recipient=admin).latest("pk")
    page = client.get(reverse("portal:account_message", args=[first.pk]))
    assert page.status_code == 200 and "订单 20261203000000002 已完成" in page.content.decode()
    assert _badge(client) == "2"
    client.get(reverse("portal:account_message", args=[first.pk]))  # reading twice: no change
    assert _badge(client) == "2"
    response = client.post(reverse("portal:account_messages_read_all"))
    assert response.status_code == 302 and _badge(client) == ""
    assert Notification.objects.filter(recipient=co_admin, read_at__isnull=True).count() == 1


def test_another_users_message_is_404(client, admin, co_admin):
    tell([co_admin])
    theirs = Notification.objects.get(recipient=co_admin)
    client.force_login(admin)
    assert client.get(reverse("portal:account_message", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_list_shows_the_readers_language_and_is_paginated(
    client, admin, django_assert_max_num_queries
):
    for n in range(25):
        tell([admin], number=f"202612030000000{n:02d}")
    client.force_login(admin)
    url = reverse("portal:account_messages")
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert html.count("data-message=") == 20 and "订单 20261203000000024 已完成" in html
    client.post(reverse("set_language"), {"language": "en", "next": url})
    html = client.get(url + "?page=2").content.decode()
    assert html.count("data-message=") == 5 and "Order 20261203000000004 was completed" in html
    admin.refresh_from_db()
    assert admin.language == "en"  # the choice is remembered for the mails


def test_the_badge_is_capped():
    assert (badge_text(0), badge_text(7), badge_text(99), badge_text(100)) == (
        "",
        "7",
        "99",
        "99+",
    )


def test_the_unread_count_stops_at_the_cap(admin):
    for n in range(5):
        tell([admin], number=f"2026120300000000{n}")
    assert unread_count(user=admin, cap=3) == 4
    assert unread_count(user=admin) == 5


def test_visitors_and_staff_see_no_badge(client, admin):
    tell([admin])
    html = client.get(reverse("portal:home")).content.decode()
    assert "data-message-center" not in html
