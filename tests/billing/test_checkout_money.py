"""Checkout money to the cent on both databases, and a coupon capped by the lines it
applies to (issue 14: finding 7 and the coupon hardening line)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.models import Order, RebateEntry, Statement
from billing.services import coupons
from billing.services.checkout import LineInput, checkout_quote
from tests.billing.factories import CouponCampaignFactory
from tests.billing.order_helpers import Shop
from tests.billing.portal_order_helpers import (
    CHECKOUT,
    checkout_data,
    hidden,
    html_of,
    place_through_pages,
    start_checkout,
)
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory

pytestmark = pytest.mark.django_db


def skyaudit(shop: Shop):
    """The reported case: SKU SKYAUDIT at ¥10.70, a ¥10 coupon and ¥0.50 of rebate."""
    solution = PublishedSolutionFactory(name="SkyAudit", with_sku=False)
    return SkuFactory(solution=solution, code="SKYAUDIT", unit_price=Decimal("10.70"))


def test_a_cents_checkout_stores_the_order_exactly():
    shop = Shop(coupon_value="10.00")
    sku = skyaudit(shop)
    order = shop.place(lines=[LineInput(sku.pk, 1)], coupon_id=shop.coupon.pk, rebate_amount="0.50")
    order.refresh_from_db()
    assert (order.goods_total, order.coupon_discount, order.rebate_amount) == (
        Decimal("10.70"),
        Decimal("10.00"),
        Decimal("0.50"),
    )
    assert order.payable_total == Decimal("0.20")
    assert RebateEntry.objects.get(order_number=order.number).amount == Decimal("-0.50")


def test_a_cents_checkout_through_the_portal_redirects_to_the_order(client):
    shop = Shop(coupon_value="10.00")
    sku = skyaudit(shop)
    client.force_login(shop.user)
    html = start_checkout(client, shop, lines=[(sku, 1)])
    recalculated = html_of(
        client.post(
            CHECKOUT,
            checkout_data(
                html,
                action="recalculate",
                end_customer=shop.customer.pk,
                use_coupon="yes",
                coupon=shop.coupon.pk,
                use_rebate="yes",
                rebate_amount="0.50",
            ),
        )
    )
    assert hidden(recalculated, "expected_payable") == "0.20"
    response = place_through_pages(
        client,
        recalculated,
        end_customer=shop.customer.pk,
        use_coupon="yes",
        coupon=shop.coupon.pk,
        use_rebate="yes",
        rebate_amount="0.50",
    )
    order = Order.objects.get()
    assert response.status_code == 302  # to the order's payment page, not a 500
    assert response["Location"] == reverse("portal:pay", args=[order.payments.get().reference])
    assert order.payable_total == Decimal("0.20")


def test_the_payable_check_still_refuses_a_wrong_total_by_one_cent():
    shop = Shop(coupon_value="10.00")
    sku = skyaudit(shop)
    order = shop.place(lines=[LineInput(sku.pk, 1)], coupon_id=shop.coupon.pk, rebate_amount="0.50")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(payable_total=Decimal("0.21"))


def test_the_statement_total_check_is_exact_in_cents():
    """total_payable = share + adjustments, on float-arithmetic SQLite too (0.10 + 0.20)."""
    from tests.billing.statements.helpers import make_statement

    statement = make_statement(
        Shop(rebate="0", credit_limit="0").company,
        share_amount=Decimal("0.10"),
        adjustment_total=Decimal("0.20"),
        total_payable=Decimal("0.30"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(total_payable=Decimal("0.31"))


# --------------------------------------------------------------------------
# A coupon's discount is capped by the lines it applies to
# --------------------------------------------------------------------------


def two_solutions(shop: Shop):
    a = PublishedSolutionFactory(name="Solution A", with_sku=False)
    b = PublishedSolutionFactory(name="Solution B", with_sku=False)
    return (
        SkuFactory(solution=a, unit_price=Decimal("30.00")),
        SkuFactory(solution=b, unit_price=Decimal("500.00")),
    )


def coupon_for(shop: Shop, *solutions, face_value="100.00", threshold="0"):
    campaign = CouponCampaignFactory(
        name="A only",
        face_value=face_value,
        threshold_amount=threshold,
        quantity=5,
        created_by=shop.staff,
        solutions=solutions,
    )
    return coupons.campaign_issue(campaign=campaign, company_ids=[shop.company.pk])[0]


def test_a_coupon_for_one_solution_discounts_at_most_that_solutions_lines():
    shop = Shop()
    sku_a, sku_b = two_solutions(shop)
    coupon = coupon_for(shop, sku_a.solution)
    lines = [LineInput(sku_a.pk, 1), LineInput(sku_b.pk, 1)]
    quote = checkout_quote(company_id=shop.company.pk, lines=lines, coupon_id=coupon.pk)
    assert (quote.goods_total, quote.coupon_discount, quote.payable_total) == (
        Decimal("530.00"),
        Decimal("30.00"),
        Decimal("500.00"),
    )
    order = shop.place(lines=lines, coupon_id=coupon.pk)
    assert (order.coupon_discount, order.payable_total) == (Decimal("30.00"), Decimal("500.00"))


def test_a_coupon_without_solutions_is_capped_by_the_whole_order():
    shop = Shop()
    sku_a, sku_b = two_solutions(shop)
    coupon = coupon_for(shop, face_value="1000.00")
    lines = [LineInput(sku_a.pk, 1), LineInput(sku_b.pk, 1)]
    quote = checkout_quote(company_id=shop.company.pk, lines=lines, coupon_id=coupon.pk)
    assert (quote.coupon_discount, quote.payable_total) == (Decimal("530.00"), Decimal("0.00"))


def test_a_coupon_smaller_than_its_lines_takes_its_face_value():
    shop = Shop()
    sku_a, sku_b = two_solutions(shop)
    coupon = coupon_for(shop, sku_a.solution, face_value="20.00")
    quote = checkout_quote(
        company_id=shop.company.pk,
        lines=[LineInput(sku_a.pk, 3), LineInput(sku_b.pk, 1)],
        coupon_id=coupon.pk,
    )
    assert quote.coupon_discount == Decimal("20.00")


def test_the_checkout_page_shows_the_capped_discount(client):
    shop = Shop()
    sku_a, sku_b = two_solutions(shop)
    coupon = coupon_for(shop, sku_a.solution)
    client.force_login(shop.user)
    html = start_checkout(client, shop, lines=[(sku_a, 1), (sku_b, 1)])
    page = html_of(
        client.post(
            CHECKOUT,
            checkout_data(html, action="recalculate", use_coupon="yes", coupon=coupon.pk),
        )
    )
    assert hidden(page, "expected_payable") == "500.00"
    assert "-¥30.00" in page
