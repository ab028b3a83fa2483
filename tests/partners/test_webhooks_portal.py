"""个人中心 › Webhooks: the 管理员's pages, their scope and the delivery log's query count."""

import pytest
from django.urls import reverse

from partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEvent
from partners.webhooks.services import webhook_endpoint_create
from tests.partners.factories import CompanyFactory, PartnerUserFactory, admin_of

pytestmark = pytest.mark.django_db


def endpoint_of(company, url="https://hooks.example.com/in") -> WebhookEndpoint:
    return webhook_endpoint_create(
        company=company, actor=admin_of(company), url=url, events=["order.paid"]
    )


def deliveries_of(endpoint: WebhookEndpoint, count: int) -> list[WebhookDelivery]:
    rows = []
    for n in range(count):
        event = WebhookEvent.objects.create(
            company=endpoint.company, type="order.paid", payload={"n": n}
        )
        rows.append(
            WebhookDelivery.objects.create(
                event=event,
                endpoint=endpoint,
                status=WebhookDeliveryStatus.FAILED,
                attempt=7,
                response_code=500,
                error="HTTP 500",
            )
        )
    return rows


@pytest.fixture
def a():
    company = CompanyFactory(name="甲公司")
    admin_of(company, email="a@example.com")
    return company


@pytest.fixture
def b():
    company = CompanyFactory(name="乙公司")
    admin_of(company, email="b@example.com")
    return company


def test_admin_registers_an_endpoint_and_sees_its_secret(client, a):
    client.force_login(admin_of(a))
    assert client.get(reverse("portal:account_webhooks")).status_code == 200
    response = client.post(
        reverse("portal:account_webhook_add"),
        {"url": "https://erp.example.com/hooks", "events": ["order.paid", "bill.due"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:account_webhook", args=[endpoint.pk])
    assert (endpoint.company, endpoint.events) == (a, ["bill.due", "order.paid"])
    page = client.get(response["Location"])
    assert endpoint.secret in page.content.decode()


def test_a_private_url_is_a_form_error_and_nothing_is_saved(client, a):
    client.force_login(admin_of(a))
    response = client.post(
        reverse("portal:account_webhook_add"),
        {"url": "https://169.254.169.254/latest", "events": ["order.paid"]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_rotate_disable_enable_and_resend(client, a, monkeypatch):
    monkeypatch.setattr("partners.webhooks.services.enqueue_on_commit", lambda *a, **k: None)
    endpoint = endpoint_of(a)
    (delivery,) = deliveries_of(endpoint, 1)
    client.force_login(admin_of(a))
    secret = endpoint.secret
    client.post(reverse("portal:account_webhook_rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != secret
    client.post(reverse("portal:account_webhook_active", args=[endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    # Disabled: a resend is refused with a message, nothing queued.
    client.post(reverse("portal:account_webhook_resend", args=[endpoint.pk, delivery.pk]))
    assert WebhookDelivery.objects.count() == 1
    client.post(reverse("portal:account_webhook_active", args=[endpoint.pk]), {"active": "1"})
    client.post(reverse("portal:account_webhook_resend", args=[endpoint.pk, delivery.pk]))
    resent = WebhookDelivery.objects.latest("pk")
    assert resent.pk != delivery.pk
    assert (resent.event_id, resent.status) == (delivery.event_id, WebhookDeliveryStatus.PENDING)


def test_another_companys_endpoint_and_delivery_answer_404(client, a, b):
    own = endpoint_of(a)
    foreign = endpoint_of(b)
    (own_delivery,) = deliveries_of(own, 1)
    (foreign_delivery,) = deliveries_of(foreign, 1)
    client.force_login(admin_of(a))
    before = list(WebhookEndpoint.objects.order_by("pk").values())
    urls = [
        reverse("portal:account_webhook", args=[foreign.pk]),
        reverse("portal:account_webhook_rotate", args=[foreign.pk]),
        reverse("portal:account_webhook_active", args=[foreign.pk]),
        reverse("portal:account_webhook_resend", args=[foreign.pk, foreign_delivery.pk]),
        # B's delivery under A's own endpoint, and A's delivery under B's endpoint.
        reverse("portal:account_webhook_resend", args=[own.pk, foreign_delivery.pk]),
        reverse("portal:account_webhook_resend", args=[foreign.pk, own_delivery.pk]),
    ]
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"url": "https://x.example.com", "active": "0"})
            assert response.status_code in (404, 405), (method, url, response.status_code)
            if method == "post":
                assert response.status_code == 404, url
    assert list(WebhookEndpoint.objects.order_by("pk").values()) == before
    assert WebhookDelivery.objects.count() == 2
    listing = client.get(reverse("portal:account_webhooks")).content.decode()
    assert own.url in listing and f'data-row="{foreign.pk}"' not in listing


def test_co_admins_and_anonymous_users_do_not_reach_the_pages(client, a):
    endpoint = endpoint_of(a)
    assert client.get(reverse("portal:account_webhooks")).status_code == 302
    client.force_login(PartnerUserFactory(company=a))
    for url in (
        reverse("portal:account_webhooks"),
        reverse("portal:account_webhook_add"),
        reverse("portal:account_webhook", args=[endpoint.pk]),
    ):
        assert client.get(url).status_code == 404, url
    menu = client.get(reverse("portal:account_profile")).content.decode()
    assert reverse("portal:account_webhooks") not in menu


def test_the_delivery_log_is_paginated_in_constant_queries(
    client, a, django_assert_max_num_queries
):
    endpoint = endpoint_of(a)
    deliveries_of(endpoint, 3)
    client.force_login(admin_of(a))
    url = reverse("portal:account_webhook", args=[endpoint.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    deliveries_of(endpoint, 30)
    with django_assert_max_num_queries(len(few)):
        page = client.get(url)
    body = page.content.decode()
    assert body.count('<tr data-row="') == 20  # one page
    assert client.get(url, {"page": 2}).content.decode().count('<tr data-row="') == 13
