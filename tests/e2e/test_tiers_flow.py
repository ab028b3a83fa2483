"""Browser acceptance of two-tier credit: the distributor allocates, the sub-reseller buys
on delegated credit with the mailed code, the distributor reclaims the rest, and the
adjustment log (调整记录) shows all three."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.models import CreditAccount, DelegatedCreditLine, Order, OrderStatus
from tests.billing.delegated_helpers import Tree
from tests.e2e.test_checkout_flow import navigate, shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def allocation_form(page, action: str, amount: str, reason: str) -> None:
    form = page.locator(f"[data-form={action}]")
    form.locator("input[name=amount]").fill(amount)
    form.locator("input[name=reason]").fill(reason)
    navigate(page, lambda: form.locator("button[type=submit]").click())


def test_allocate_buy_on_delegated_credit_reclaim_and_log(
    live_server, page, block_external, screenshot_dir, mailoutbox
):
    tree = Tree(limit="1000.00", sku_price="100.00")
    base = live_server.url
    detail = f"{base}/account/tiers/{tree.sub.pk}/"

    # 1. The distributor's 管理员 allocates ¥300 (分配额度).
    sign_in(page, live_server, tree.admin)
    page.goto(f"{base}/account/tiers/")
    expect(page.locator(f"[data-row='{tree.sub.pk}']")).to_contain_text(tree.sub.name)
    page.goto(detail)
    allocation_form(page, "allocate", "300", "季度分销额度")
    expect(page.locator("[data-card=allocated]")).to_have_text("¥300.00")

    # 2. The sub-reseller buys one item (¥100) on delegated credit with the mailed code.
    page.context.clear_cookies()
    sign_in(page, live_server, tree.sub_user)
    page.goto(f"{base}/solutions/{tree.sku.solution.slug}/?sku={tree.sku.code}")
    navigate(page, lambda: page.locator("[data-buy-now]").click())
    page.locator(f"#customer-{tree.customer.pk}").check()
    expect(page.locator("[data-credit-note]")).to_contain_text(tree.dist.name)
    navigate(page, lambda: page.locator("input[name=use_credit][value=yes]").check())
    navigate(page, lambda: page.locator("[data-credit-code]").click())
    bodies = [m.body for m in mail.outbox if tree.sub_user.email in m.to]
    code = re.search(r"\b(\d{6})\b", bodies[-1]).group(1)
    page.fill("input[name=credit_code]", code)
    navigate(page, lambda: page.locator("[data-submit-order]").click())
    navigate(page, lambda: page.locator("[data-eorder-agree]").click())
    expect(page.locator("[data-order-status]")).to_have_text("处理中")
    order = Order.objects.get()
    assert order.company == tree.sub and order.status == OrderStatus.PROCESSING
    page.goto(f"{base}/account/assets/credit/")
    expect(page.locator("[data-delegated-credit]")).to_contain_text(tree.dist.name)

    # 3. The distributor reclaims the unused ¥200 (回收额度).
    page.context.clear_cookies()
    sign_in(page, live_server, tree.admin)
    page.goto(detail)
    expect(page.locator("[data-card=used]")).to_have_text("¥100.00")
    allocation_form(page, "reclaim", "200", "季末回收")
    expect(page.locator("[data-card=available]")).to_have_text("¥0.00")
    line = DelegatedCreditLine.objects.get(reseller=tree.sub)
    assert (line.credit_limit, line.used) == (Decimal("100.00"), Decimal("100.00"))
    assert CreditAccount.objects.get(company=tree.dist, currency="CNY").used == Decimal("100.00")

    # 4. 调整记录: allocate, the purchase, reclaim.
    page.goto(f"{base}/account/tiers/log/")
    rows = page.locator("[data-adjustment=credit]")
    expect(rows).to_have_count(3)
    expect(page.locator("[data-table=adjustments]")).to_contain_text("季度分销额度")
    expect(page.locator("[data-table=adjustments]")).to_contain_text(order.number)
    expect(page.locator("[data-table=adjustments]")).to_contain_text("季末回收")
    shot(page, screenshot_dir / "tiers-log.png")
