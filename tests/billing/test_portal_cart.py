"""Portal 云睐购物车: add from the detail page, the cart page, update, remove, select,
结算 (mixed currencies, missing parameters), 从历史选择, the header badge, scoping and
query counts."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.models import CartLine
from billing.services.cart import cart_add
from billing.services.checkout import LineInput
from tests.billing.order_helpers import Shop
from tests.billing.portal_order_helpers import (
    CART,
    CART_ADD,
    CART_REMOVE,
    CART_SELECT,
    CART_UPDATE,
    CHECKOUT,
    html_of,
    messages_of,
    text,
)
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.factories import UserFactory
from tests.pages import get_queries

pytestmark = pytest.mark.django_db


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(message))


def detail_url(sku) -> str:
    return reverse("portal:solution_detail", args=[sku.solution.slug])


def test_detail_page_buttons_post_to_the_cart_and_buy_now(signed_in, shop):
    html = html_of(signed_in.get(detail_url(shop.sku)))
    assert 'action="/cart/add/"' in html and 'formaction="/checkout/buy-now/"' in html
    assert "data-pending" not in html and "disabled" not in html.split("buy-actions")[1][:400]


def test_add_to_cart_returns_to_the_detail_page_with_a_message_and_the_badge(signed_in, shop):
    back = detail_url(shop.sku) + f"?sku={shop.sku.code}"
    response = signed_in.post(
        CART_ADD, {"sku": shop.sku.code, "quantity": "2"}, HTTP_REFERER=f"http://testserver{back}"
    )
    assert response.status_code == 302 and response["Location"] == f"http://testserver{back}"
    line = CartLine.objects.get(user=shop.user)
    assert (line.sku_id, line.quantity) == (shop.sku.pk, 2)
    page = signed_in.get(back)
    assert any("购物车" in m for m in messages_of(page, "success"))
    assert '<span class="badge" data-cart-count>1</span>' in page.content.decode()
    signed_in.post(CART_ADD, {"sku": shop.sku.code, "quantity": "3"})
    signed_in.post(CART_ADD, {"sku": shop.sku2.code})
    assert CartLine.objects.get(user=shop.user, sku=shop.sku).quantity == 5
    html = html_of(signed_in.get(CART))
    assert '<span class="badge" data-cart-count>2</span>' in html


def test_add_refuses_bad_input_and_changes_nothing(signed_in, shop):
    hidden_sku = SkuFactory(solution=shop.sku.solution, is_active=False)
    for data in (
        {"sku": "NO-SUCH-SKU", "quantity": "1"},
        {"sku": hidden_sku.code, "quantity": "1"},
        {"sku": shop.sku.code, "quantity": "0"},
        {"sku": shop.sku.code, "quantity": "10000"},
        {"sku": shop.sku.code, "quantity": "abc"},
        {"quantity": "1"},
    ):
        response = signed_in.post(CART_ADD, data, follow=True)
        assert messages_of(response, "error"), data
    assert not CartLine.objects.exists()


def test_anonymous_add_goes_to_login_and_back_to_the_detail_page(client, shop):
    back = f"http://testserver{detail_url(shop.sku)}"
    response = client.post(CART_ADD, {"sku": shop.sku.code}, HTTP_REFERER=back)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert "solutions" in response["Location"]
    assert client.get(CART)["Location"].startswith("/login/?next=/cart/")
    assert not CartLine.objects.exists()


def test_staff_without_company_get_404(client, shop):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CART).status_code == 404
    assert client.post(CART_ADD, {"sku": shop.sku.code}).status_code == 404


def test_cart_page_groups_by_region_and_shows_the_columns(signed_in, shop):
    other_plan = SkuFactory(
        solution=shop.sku.solution, unit_price=Decimal("5.00"), plan_name="基础版"
    )
    hk = SkuFactory(
        solution=shop.sku.solution, region="hk", currency="HKD", unit_price=Decimal("57.75")
    )
    cart_add(user=shop.user, sku_id=shop.sku.pk, quantity=2)
    cart_add(user=shop.user, sku_id=hk.pk, quantity=1)
    html = html_of(signed_in.get(CART))
    page = text(html)
    for label in (
        "云睐购物车",
        "选择结算商品",
        "填写核对订单信息",
        "成功提交订单",
        "商品图片",
        "商品详情",
        "购买计划",
        "单价",
        "数量",
        "小计",
        "购买参数",
        "操作",
        "删除",
        "全选",
        "合计",
        "结算",
    ):
        assert label in page, label
    assert "地区：中国大陆" in page and "地区：中国香港" in page
    assert f"SKU: {shop.sku.code}" in page
    assert "¥214.00" in page  # 107 × 2
    assert "HK$57.75" in page
    assert "无" in page  # no parameters
    assert "已选商品 2 件" in page
    # The plan dropdown offers the solution's active plans of the line's region only.
    line = CartLine.objects.get(sku=shop.sku)
    dropdown = html.split(f'id="plan-{line.pk}"')[1].split("</select>")[0]
    assert f'value="{other_plan.pk}"' in dropdown and f'value="{shop.sku2.pk}"' in dropdown
    assert f'value="{hk.pk}"' not in dropdown


def test_update_quantity_plan_and_refusals(signed_in, shop):
    line = cart_add(user=shop.user, sku_id=shop.sku.pk, quantity=1)
    signed_in.post(CART_UPDATE, {"line": line.pk, "quantity": "4", "sku_id": shop.sku.pk})
    line.refresh_from_db()
    assert line.quantity == 4
    signed_in.post(CART_UPDATE, {"line": line.pk, "sku_id": shop.sku2.pk, "quantity": "4"})
    line.refresh_from_db()
    assert line.sku_id == shop.sku2.pk
    foreign_plan = SkuFactory(solution=PublishedSolutionFactory(with_sku=False))
    for data in (
        {"line": line.pk, "quantity": "0"},
        {"line": line.pk, "quantity": "many"},
        {"line": line.pk, "sku_id": foreign_plan.pk},
    ):
        response = signed_in.post(CART_UPDATE, data, follow=True)
        assert messages_of(response, "error"), data
    line.refresh_from_db()
    assert (line.sku_id, line.quantity) == (shop.sku2.pk, 4)


def test_another_users_line_is_404_for_update_remove_and_select(client, signed_in, shop):
    other = Shop()
    foreign = cart_add(user=other.user, sku_id=other.sku.pk, quantity=1)
    assert signed_in.post(CART_UPDATE, {"line": foreign.pk, "quantity": "9"}).status_code == 404
    assert signed_in.post(CART_REMOVE, {"line": foreign.pk}).status_code == 404
    response = signed_in.post(CART_SELECT, {"lines": [foreign.pk]}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    foreign.refresh_from_db()
    assert foreign.quantity == 1 and foreign.selected


def test_remove(signed_in, shop):
    line = cart_add(user=shop.user, sku_id=shop.sku.pk)
    response = signed_in.post(CART_REMOVE, {"line": line.pk}, follow=True)
    assert messages_of(response, "success")
    assert not CartLine.objects.exists()
    assert signed_in.get(CART_REMOVE).status_code == 405


def test_select_saves_the_rows_and_answers_count_and_total(signed_in, shop):
    a = cart_add(user=shop.user, sku_id=shop.sku.pk, quantity=2)
    b = cart_add(user=shop.user, sku_id=shop.sku2.pk, quantity=1)
    response = signed_in.post(CART_SELECT, {"lines": [b.pk]}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data == {
        "count": 1,
        "selected_text": "已选商品 1 件",
        "total": "¥50.00",
        "can_checkout": True,
    }
    a.refresh_from_db()
    assert not a.selected
    data = json.loads(signed_in.post(CART_SELECT, {}, HTTP_ACCEPT="application/json").content)
    assert data["count"] == 0 and data["can_checkout"] is False and data["total"] == "¥0.00"
    html = html_of(signed_in.get(CART))
    assert "data-checkout disabled" in html
    # Without JS: the form posts the checked rows, the page shows the total of those.
    signed_in.post(CART_SELECT, {"lines": [a.pk, b.pk]})
    page = text(html_of(signed_in.get(CART)))
    assert "已选商品 2 件" in page and "¥264.00" in page


def test_checkout_of_nothing_selected_is_refused(signed_in, shop):
    cart_add(user=shop.user, sku_id=shop.sku.pk)
    response = signed_in.post(CART_SELECT, {"checkout": "1"}, follow=True)
    assert messages_of(response, "error")
    assert response.redirect_chain[-1][0] == CART


def test_checkout_of_two_currencies_shows_the_quote_message(signed_in, shop):
    hk = SkuFactory(solution=shop.sku.solution, currency="HKD", unit_price=Decimal("57.75"))
    a = cart_add(user=shop.user, sku_id=shop.sku.pk)
    b = cart_add(user=shop.user, sku_id=hk.pk)
    response = signed_in.post(CART_SELECT, {"lines": [a.pk, b.pk], "checkout": "1"}, follow=True)
    expected = zh(
        "Items in different currencies cannot be checked out together; check them out separately."
    )
    assert expected in messages_of(response, "error")
    assert response.redirect_chain[-1][0] == CART
    # One currency at a time works.
    response = signed_in.post(CART_SELECT, {"lines": [a.pk], "checkout": "1"})
    assert response["Location"].startswith(CHECKOUT + "?t=")


def test_required_parameters_are_asked_before_checkout_and_saved_with_add_parameters(
    signed_in, shop
):
    shop.sku.parameters = [{"key": "account", "label": "account", "required": True}]
    shop.sku.save()
    line = cart_add(user=shop.user, sku_id=shop.sku.pk)
    html = html_of(signed_in.get(CART))
    assert "添加参数" in html and 'name="param-account"' in html
    response = signed_in.post(CART_SELECT, {"lines": [line.pk], "checkout": "1"}, follow=True)
    errors = messages_of(response, "error")
    assert any("account" in e for e in errors), errors
    too_long = {"line": line.pk, "parameters": "1", "param-account": "x" * 201}
    assert messages_of(signed_in.post(CART_UPDATE, too_long, follow=True), "error")
    line.refresh_from_db()
    assert line.parameters == {}
    signed_in.post(CART_UPDATE, {"line": line.pk, "parameters": "1", "param-account": " tenant-1 "})
    line.refresh_from_db()
    assert line.parameters == {"account": "tenant-1"}
    assert "account: tenant-1" in text(html_of(signed_in.get(CART)))
    response = signed_in.post(CART_SELECT, {"lines": [line.pk], "checkout": "1"})
    assert response["Location"].startswith(CHECKOUT + "?t=")


def test_choose_from_history_lists_this_companys_earlier_values_only(signed_in, shop):
    shop.sku.parameters = [{"key": "account", "label": "account", "required": True}]
    shop.sku.save()
    shop.place(lines=[LineInput(shop.sku.pk, 1, {"account": "contoso.onmicrosoft.com"})])
    other = Shop()
    # Another company ordering the same SKU: its values never show here.
    other.place(
        lines=[LineInput(shop.sku.pk, 1, {"account": "secret.other.com"})],
    )
    cart_add(user=shop.user, sku_id=shop.sku.pk)
    html = html_of(signed_in.get(CART))
    assert "从历史选择" in html
    assert 'value="contoso.onmicrosoft.com"' in html
    assert "secret.other.com" not in html
    # Without JS a history chip submits its value.
    line = CartLine.objects.get(user=shop.user)
    signed_in.post(
        CART_UPDATE,
        {"line": line.pk, "parameters": "1", "param-account": ["", "contoso.onmicrosoft.com"]},
    )
    line.refresh_from_db()
    assert line.parameters == {"account": "contoso.onmicrosoft.com"}


def _cart_queries(client, shop, n: int) -> int:
    CartLine.objects.filter(user=shop.user).delete()
    for i in range(n):
        sku = SkuFactory(
            solution=PublishedSolutionFactory(with_sku=False),
            parameters=[{"key": "account", "label": "account"}] if i % 2 else [],
        )
        cart_add(user=shop.user, sku_id=sku.pk, quantity=1 + i % 3)
    client.get(CART)  # warm the menu cache
    return get_queries(client, CART)


def test_cart_query_count_does_not_grow_with_lines(signed_in, shop):
    few = _cart_queries(signed_in, shop, 2)
    many = _cart_queries(signed_in, shop, 20)
    assert many == few, (few, many)
