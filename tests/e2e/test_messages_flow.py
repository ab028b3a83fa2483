"""Browser acceptance of the 消息中心 on a phone (390 px): finance rejects a transfer, the
partner sees the unread badge in the header, opens the message (the reason is there, the
badge drops) and follows its link to the order; nothing overflows the screen."""

from datetime import date

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.services.orders import payment_reject_offline, payment_submit_offline
from tests.billing.order_helpers import Shop
from tests.e2e.test_checkout_flow import shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_message_center_on_a_phone(page, live_server, block_external, screenshot_dir):
    shop = Shop()
    order = shop.place(payment_method="offline")
    payment = payment_submit_offline(
        order_id=order.pk, user=shop.user, payer_account="6222", paid_on=date.today()
    )
    payment_reject_offline(payment_id=payment.pk, actor=shop.staff, reason="金额与订单不符")
    assert any(m.subject.startswith("云睐：") for m in mail.outbox)

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, shop.user)
    page.goto(f"{live_server.url}/account/")
    badge = page.locator("[data-message-count]")
    expect(badge).to_have_text("1")
    page.locator("[data-message-center]").click()
    expect(page.locator("[data-messages] .is-unread")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, screenshot_dir / "messages-390.png")

    page.locator("[data-messages] a").first.click()
    expect(page.locator(".message-body")).to_contain_text("金额与订单不符")
    expect(page.locator("[data-message-count]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, screenshot_dir / "message-detail-390.png")
    page.locator("[data-message-link]").click()
    expect(page).to_have_url(f"{live_server.url}/account/orders/{order.number}/")
