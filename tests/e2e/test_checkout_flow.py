"""Browser acceptance of ordering (spec 5, 10.3.2; decisions 3, 4, 10).

A. Cart from two detail pages → checkout with a new customer added inline, a coupon and a
   rebate amount → 提交订单 → 生成电子订单 → 同意 → sandbox payment → the order is
   处理中 / 已付款 and its contract PDF downloads.
B. Buy now paid from the credit line with the e-mailed code; then an offline order whose
   transfer is reported and confirmed by finance in the console's offline-payments queue.

The user is signed in by copying a session cookie made with the test client's
``force_login`` (the login page itself is covered by test_registration_flow.py).
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from billing.models import (
    Coupon,
    CouponStatus,
    CreditAccount,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    RebateWallet,
)
from partners.models import EndCustomer
from tests.billing.order_helpers import Shop
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


def shot(page, path) -> None:
    """A full-page screenshot from the top (the sticky header stays in its place)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def navigate(page, action) -> None:
    """Run ``action`` (a click that submits a form) and wait for the next page."""
    with page.expect_navigation():
        action()


@pytest.fixture
def shop():
    shop = Shop()
    second = PublishedSolutionFactory(name="BitTitan数据迁移工具", slug="bittitan", with_sku=False)
    shop.sku3 = SkuFactory(
        solution=second, plan_name="迁移工具", unit_price=Decimal("188.00"), kind="service"
    )
    return shop


def test_cart_checkout_coupon_rebate_new_customer_online_payment(
    live_server, page, block_external, screenshot_dir, shop
):
    sign_in(page, live_server, shop.user)
    base = live_server.url

    # Two items from two detail pages; the header badge counts them.
    page.goto(f"{base}/solutions/{shop.sku.solution.slug}/?sku={shop.sku.code}")
    navigate(page, lambda: page.locator("[data-add-to-cart]").click())
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    expect(page.locator(".message-success")).to_contain_text("已加入购物车")
    page.goto(f"{base}/solutions/bittitan/")
    navigate(page, lambda: page.locator("[data-add-to-cart]").click())
    expect(page.locator("[data-cart-count]")).to_have_text("2")

    # ① the cart: both lines selected, 合计 from the server.
    navigate(page, lambda: page.locator(".cart-link").click())
    expect(page.locator("h1")).to_contain_text("云睐购物车")
    expect(page.locator("[data-selected-text]")).to_have_text("已选商品 2 件")
    expect(page.locator("[data-cart-total]")).to_have_text("¥295.00")
    # Unticking a row updates the footer through the server, then tick it again.
    box = page.locator("[data-line-check]").first
    box.uncheck()
    expect(page.locator("[data-selected-text]")).to_have_text("已选商品 1 件")
    box.check()
    expect(page.locator("[data-cart-total]")).to_have_text("¥295.00")
    shot(page, screenshot_dir / "orders-cart.png")
    navigate(page, lambda: page.locator("[data-checkout]").click())

    # ② the checkout: add a new customer inline, then the coupon and a rebate amount.
    expect(page.locator("[data-payable-total]")).to_have_text("¥295.00")
    page.locator("[data-customer-box] summary").click()
    page.fill("input[name=cust-name]", "AiKi")
    page.fill("input[name=cust-email]", "p_an.keju@example.com")
    page.fill("input[name=cust-company_name]", "BlueCloud_D")
    page.fill("input[name=cust-phone]", "13653812334")
    page.fill("textarea[name=cust-address]", "虹口")
    navigate(page, lambda: page.locator("[data-save-customer]").click())
    customer = EndCustomer.objects.get(email="p_an.keju@example.com")
    expect(page.locator(f"#customer-{customer.pk}")).to_be_checked()

    navigate(page, lambda: page.locator("input[name=use_coupon][value=yes]").check())
    navigate(page, lambda: page.locator(f"input[name=coupon][value='{shop.coupon.pk}']").check())
    navigate(page, lambda: page.locator("input[name=use_rebate][value=yes]").check())
    # Switching the rebate on pre-fills the usable amount: the whole ¥100 balance here.
    expect(page.locator("input[name=rebate_amount]")).to_have_value("100.00")
    expect(page.locator("[data-rebate-amount]")).to_have_text("-¥100.00")
    page.fill("input[name=rebate_amount]", "30")
    navigate(page, lambda: page.locator("[data-recalculate]").click())
    expect(page.locator("[data-coupon-discount]")).to_have_text("-¥10.00")
    expect(page.locator("[data-rebate-amount]")).to_have_text("-¥30.00")
    expect(page.locator("[data-payable-total]")).to_have_text("¥255.00")
    expect(page.locator(f"#customer-{customer.pk}")).to_be_checked()
    page.fill("textarea[name=remarks]", "E2E 订单")
    shot(page, screenshot_dir / "orders-checkout.png")

    # 提交订单 → 生成电子订单 (nothing is placed yet) → 同意.
    navigate(page, lambda: page.locator("[data-submit-order]").click())
    expect(page.locator("#eorder-title")).to_have_text("生成电子订单")
    expect(page.locator("[data-eorder-body]")).to_contain_text(shop.company.name)
    assert not Order.objects.exists()
    shot(page, screenshot_dir / "orders-eorder.png")
    navigate(page, lambda: page.locator("[data-eorder-agree]").click())

    # The sandbox payment page.
    order = Order.objects.get()
    payment = Payment.objects.get(order=order)
    expect(page.locator(".pay-brand")).to_have_text("蓝云支付平台")
    expect(page.locator("[data-reference]")).to_have_text(payment.reference)
    expect(page.locator("[data-amount]")).to_have_text("¥255.00")
    expect(page.locator("[data-countdown]")).to_contain_text("内完成支付，否则订单会被自动取消")
    shot(page, screenshot_dir / "orders-pay.png")
    page.locator("input[name=channel][value=unionpay]").check()
    navigate(page, lambda: page.locator("[data-pay-now]").click())

    # ③ 成功提交订单, then the order detail.
    expect(page.locator("[data-order-status]")).to_have_text("处理中")
    expect(page.locator("[data-payment-status]")).to_have_text("已付款")
    expect(page.locator("[data-order-number]")).to_have_text(order.number)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING and order.payment_status == PaymentStatus.PAID
    assert order.customer_email == "p_an.keju@example.com" and order.remarks == "E2E 订单"
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.USED
    assert RebateWallet.objects.get(company=shop.company, currency="CNY").balance == Decimal(
        "70.00"
    )
    expect(page.locator("[data-cart-count]")).to_have_text("0")
    navigate(page, lambda: page.locator("[data-detail-link]").click())
    expect(page.locator("[data-block=basic]")).to_contain_text("处理中")
    expect(page.locator("[data-block=lines]")).to_contain_text(shop.sku3.code)
    shot(page, screenshot_dir / "orders-detail.png")
    contract = page.locator("[data-action=contract]")
    expect(contract).to_be_visible()
    contract.click()  # 查看电子订单: the dialog, with 下载电子合同
    download = page.locator("dialog [data-contract-download]")
    expect(download).to_be_visible()
    response = page.request.get(f"{base}{download.get_attribute('href')}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"


def test_credit_line_checkout_with_mailed_code_and_offline_transfer(
    live_server, page, block_external, screenshot_dir, shop, mailoutbox
):
    sign_in(page, live_server, shop.user)
    base = live_server.url

    # B1. 立即购买 → 申请账期 with the e-mailed code → paid at once.
    page.goto(f"{base}/solutions/bittitan/")
    page.fill("input[name=quantity]", "2")
    navigate(page, lambda: page.locator("[data-buy-now]").click())
    expect(page.locator("[data-payable-total]")).to_have_text("¥376.00")
    page.locator(f"#customer-{shop.customer.pk}").check()
    expect(page.locator("[data-credit-note]")).to_contain_text("¥1,000.00")
    navigate(page, lambda: page.locator("input[name=use_credit][value=yes]").check())
    expect(page.locator(f"#customer-{shop.customer.pk}")).to_be_checked()
    expect(page.locator("[data-credit-amount]")).to_have_text("¥376.00")
    navigate(page, lambda: page.locator("[data-credit-code]").click())
    expect(page.locator(".message-success")).to_contain_text(shop.user.email)
    bodies = [m.body for m in mail.outbox if shop.user.email in m.to]
    code = re.search(r"\b(\d{6})\b", bodies[-1]).group(1)
    page.fill("input[name=credit_code]", code)
    navigate(page, lambda: page.locator("[data-submit-order]").click())
    navigate(page, lambda: page.locator("[data-eorder-agree]").click())
    expect(page.locator("[data-order-status]")).to_have_text("处理中")
    expect(page.locator("[data-payment-status]")).to_have_text("已付款")
    credit_order = Order.objects.get()
    assert credit_order.credit_amount == Decimal("376.00")
    assert CreditAccount.objects.get(company=shop.company, currency="CNY").used == Decimal("376.00")

    # B2. An offline order: the receiving account, the transfer report, finance confirms.
    page.goto(f"{base}/solutions/{shop.sku.solution.slug}/?sku={shop.sku.code}")
    navigate(page, lambda: page.locator("[data-buy-now]").click())
    page.locator(f"#customer-{shop.customer.pk}").check()
    offline_info = page.locator("[data-show-when='payment_method=offline']")
    expect(offline_info).to_be_hidden()
    page.locator("input[name=payment_method][value=offline]").check()
    expect(offline_info).to_be_visible()
    expect(offline_info).to_contain_text("0200227919200053244")
    navigate(page, lambda: page.locator("[data-submit-order]").click())
    navigate(page, lambda: page.locator("[data-eorder-agree]").click())
    expect(page.locator("[data-order-status]")).to_have_text("待支付")
    expect(page.locator("[data-receiving-account]")).to_contain_text("工商银行北京朝阳国航大厦支行")
    navigate(page, lambda: page.locator("[data-transfer-link]").click())
    page.fill("input[name=payer_account]", "6222 0200 1234 5678")
    page.fill("input[name=paid_on]", date.today().isoformat())
    page.fill("input[name=transfer_reference]", "HX20261127")
    navigate(page, lambda: page.locator("[data-transfer-form] button[type=submit]").click())
    expect(page.locator("[data-payment-status]")).to_have_text("待确认")
    offline_order = Order.objects.exclude(pk=credit_order.pk).get()
    transfer = Payment.objects.get(order=offline_order)
    # Finance confirms the transfer in the console (the offline-payments work queue).
    staff_page = page.context.browser.new_context(
        viewport={"width": 1366, "height": 900}
    ).new_page()
    sign_in(staff_page, live_server, shop.staff)
    staff_page.goto(f"{base}/admin/billing/payment/")
    expect(staff_page.locator("#result_list")).to_contain_text(transfer.reference)
    staff_page.goto(f"{base}/admin/billing/payment/{transfer.pk}/confirm/")
    with staff_page.expect_navigation():
        staff_page.locator("form button[type=submit]").last.click()
    expect(staff_page.locator("body")).to_contain_text(offline_order.number)
    staff_page.context.close()
    transfer.refresh_from_db()
    assert transfer.status == "succeeded"
    page.reload()
    expect(page.locator("[data-order-status]")).to_have_text("处理中")
    expect(page.locator("[data-payment-status]")).to_have_text("已付款")

    # Both orders in 客户订单.
    page.goto(f"{base}{reverse('portal:account_orders')}")
    expect(page.locator("[data-order]")).to_have_count(2)
    expect(page.locator(f"[data-order='{offline_order.number}']")).to_contain_text("处理中")
    shot(page, screenshot_dir / "orders-list.png")
