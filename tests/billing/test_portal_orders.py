"""Portal payments and orders: the sandbox payment page and callback, offline transfers,
the order-created page, 客户订单 (search, filters, distributor view, cancel) and the
order detail; scoping and query counts."""

import json
import re
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    Coupon,
    CouponStatus,
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentRecordStatus,
    PaymentStatus,
    RebateWallet,
)
from billing.payments.sandbox import sign as _sign
from billing.services.checkout import LineInput
from billing.services.orders import (
    payment_confirm_offline,
    payment_start_online,
    sandbox_callback_payload,
)
from partners.models import CompanyType, EndCustomer
from tests.billing.factories import PaymentFactory
from tests.billing.helpers import make_partner_user
from tests.billing.order_helpers import Shop
from tests.billing.portal_order_helpers import CALLBACK, ORDERS, html_of, messages_of, text
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.pages import get_queries

pytestmark = pytest.mark.django_db


def pay_url(payment) -> str:
    return reverse("portal:pay", args=[payment.reference])


def detail_url(order) -> str:
    return reverse("portal:account_order_detail", args=[order.number])


def wallet_balance(shop) -> Decimal:
    return RebateWallet.objects.get(company=shop.company, currency="CNY").balance


def order_numbers(html: str) -> list[str]:
    return re.findall(r'data-order="(\d+)"', html)


def state(order) -> tuple:
    order.refresh_from_db()
    return order.status, order.payment_status


# --------------------------------------------------------------------------
# 蓝云支付平台 (sandbox)
# --------------------------------------------------------------------------


def test_pay_page_and_pay_now_make_the_order_processing_and_paid(signed_in, shop):
    order = shop.place()
    payment = payment_start_online(order_id=order.pk, user=shop.user)
    html = html_of(signed_in.get(pay_url(payment)))
    page = text(html)
    assert "蓝云支付平台" in page and payment.reference in page
    assert "应付金额" in page and "¥207.00" in page
    assert "支付宝" in page and "银联" in page and "立即支付" in page
    assert re.search(r"请在 1[45]分\d{1,2}秒 内完成支付，否则订单会被自动取消", page), page
    assert 'data-countdown="' in html
    response = signed_in.post(reverse("portal:pay_complete", args=[payment.reference]))
    assert response["Location"] == reverse("portal:order_created", args=[order.number])
    assert state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    page = text(html_of(signed_in.get(response["Location"])))
    for label in (
        "成功提交订单",
        "订单编号",
        order.number,
        "订单状态",
        "处理中",
        "付款状态",
        "已付款",
    ):
        assert label in page, label
    assert "订单总额 ¥207.00" in page and "查看详情" in page and "返回首页" in page
    # A paid payment's page sends the user to the order; paying again changes nothing.
    assert signed_in.get(pay_url(payment))["Location"].endswith(f"/orders/{order.number}/created/")
    signed_in.post(reverse("portal:pay_complete", args=[payment.reference]))
    assert Payment.objects.filter(status=PaymentRecordStatus.SUCCEEDED).count() == 1


def test_simulated_failure_keeps_the_order_unpaid_and_pay_again_works(signed_in, shop):
    order = shop.place()
    payment = payment_start_online(order_id=order.pk, user=shop.user)
    response = signed_in.post(
        reverse("portal:pay_complete", args=[payment.reference]), {"outcome": "fail"}, follow=True
    )
    assert messages_of(response)
    payment.refresh_from_db()
    assert payment.status == PaymentRecordStatus.FAILED
    assert state(order) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.UNPAID)
    response = signed_in.post(reverse("portal:order_pay", args=[order.number]))
    again = Payment.objects.exclude(pk=payment.pk).get()
    assert response["Location"] == pay_url(again)


def test_pay_page_after_the_deadline_offers_no_payment(signed_in, shop):
    order = shop.place()
    payment = payment_start_online(order_id=order.pk, user=shop.user)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    page = text(html_of(signed_in.get(pay_url(payment))))
    assert "支付时间已过" in page and "立即支付" not in page
    response = signed_in.post(reverse("portal:order_pay", args=[order.number]), follow=True)
    assert messages_of(response)


def _callback(client, payload, signature):
    return client.post(
        CALLBACK,
        json.dumps({"payload": payload, "signature": signature}),
        content_type="application/json",
    )


def test_callback_replayed_50_times_is_one_payment():
    shop = Shop()
    order = shop.place()
    payment = payment_start_online(order_id=order.pk, user=shop.user)
    payload, signature = sandbox_callback_payload(payment)
    provider = Client(enforce_csrf_checks=True)  # the provider has no CSRF token
    for _ in range(50):
        response = _callback(provider, payload, signature)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert Payment.objects.filter(status=PaymentRecordStatus.SUCCEEDED).count() == 1
    assert order.events.count() == 2


@pytest.mark.parametrize("tamper", ["signature", "stale", "amount", "currency", "unknown"])
def test_bad_callbacks_answer_400_and_write_nothing(tamper):
    shop = Shop()
    order = shop.place()
    payment = payment_start_online(order_id=order.pk, user=shop.user)
    ts = int(time.time()) - (600 if tamper == "stale" else 0)
    payload, signature = sandbox_callback_payload(
        payment, amount=Decimal("1.00") if tamper == "amount" else None, ts=ts
    )
    if tamper == "signature":
        signature = "0" * 64
    if tamper == "currency":
        payload["currency"] = "USD"
        signature = _sign(payload)
    if tamper == "unknown":
        payload["reference"] = "DD0000000000000000"
        signature = _sign(payload)
    events = OrderEvent.objects.count()
    response = _callback(Client(enforce_csrf_checks=True), payload, signature)
    assert response.status_code == 400 and "error" in response.json()
    payment.refresh_from_db()
    assert payment.status == PaymentRecordStatus.PENDING and payment.provider_payload == {}
    assert state(order) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.UNPAID)
    assert OrderEvent.objects.count() == events


def test_callback_refuses_malformed_requests(client):
    assert client.get(CALLBACK).status_code == 405
    for body in ("not json", "[]", json.dumps({"payload": [], "signature": "x"}), json.dumps({})):
        response = client.post(CALLBACK, body, content_type="application/json")
        assert response.status_code == 400, body


# --------------------------------------------------------------------------
# Offline transfer
# --------------------------------------------------------------------------


def test_offline_order_created_page_transfer_form_and_finance_confirmation(signed_in, shop):
    order = shop.place(payment_method="offline")
    page = text(html_of(signed_in.get(reverse("portal:order_created", args=[order.number]))))
    assert "待支付" in page and "未付款" in page
    assert "0200227919200053244" in page and "填写转账信息" in page
    url = reverse("portal:order_transfer", args=[order.number])
    html = html_of(signed_in.get(url))
    assert "付款账号" in html and "付款日期" in html and "参考号" in html and "¥207.00" in html
    future = (date.today() + timedelta(days=3)).isoformat()
    response = signed_in.post(url, {"payer_account": "6222 0000 1111", "paid_on": future})
    assert "has-error" in html_of(response)
    response = signed_in.post(url, {"payer_account": "", "paid_on": date.today().isoformat()})
    assert "has-error" in html_of(response)
    assert not Payment.objects.exists()
    response = signed_in.post(
        url,
        {
            "payer_account": "6222 0000 1111",
            "paid_on": date.today().isoformat(),
            "transfer_reference": "HX-001",
        },
    )
    assert response["Location"] == detail_url(order)
    payment = Payment.objects.get()
    assert payment.kind == PaymentKind.OFFLINE and payment.status == PaymentRecordStatus.PENDING
    assert (payment.payer_account, payment.transfer_reference) == ("6222 0000 1111", "HX-001")
    assert state(order) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.AWAITING_CONFIRMATION)
    page = text(html_of(signed_in.get(ORDERS)))
    assert "待确认" in page
    # Finance confirms (the console action calls this service).
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    assert state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    page = text(html_of(signed_in.get(detail_url(order))))
    assert "处理中" in page and "已付款" in page and "6222 0000 1111" in page


# --------------------------------------------------------------------------
# 客户订单
# --------------------------------------------------------------------------


def test_orders_list_groups_lines_and_offers_actions_by_status(signed_in, shop):
    unpaid = shop.place()
    offline = shop.place(payment_method="offline")
    paid = shop.place()
    payment = payment_start_online(order_id=paid.pk, user=shop.user)
    signed_in.post(reverse("portal:pay_complete", args=[payment.reference]))
    html = html_of(signed_in.get(ORDERS))
    page = text(html)
    for label in (
        "客户订单",
        "展开筛选",
        "订单编号",
        "客户公司",
        "所在区域",
        "中国大陆",
        "渠道",
        "销售",
    ):
        assert label in page, label
    assert 'placeholder="请输入订单编号/客户公司/销售进行搜索"' in html
    assert order_numbers(html) == [paid.number, offline.number, unpaid.number]
    assert shop.user.email in page and shop.company.name in page

    def actions(order):
        block = html.split(f'data-actions="{order.number}"')[1].split("</tbody>")[0]
        # This area's buttons; the extension include may add others (申请开票, 评价).
        return set(re.findall(r'data-action="([a-z]+)"', block)) & {"pay", "cancel", "contract"}

    assert actions(unpaid) == {"pay", "cancel"}
    assert actions(offline) == {"pay", "cancel"}
    assert actions(paid) == {"contract"}
    assert reverse("portal:order_transfer", args=[offline.number]) in html
    # 【电子合同】 opens 查看电子订单 (the stored contract, 下载电子合同 / 取消), not the file.
    view_url = reverse("portal:contract_view", args=[paid.contract_id])
    assert view_url in html
    dialog = signed_in.get(view_url + "?partial=1")
    assert dialog.status_code == 200
    body = dialog.content.decode()
    assert "查看电子订单" in body and "下载电子合同" in body and "取消" in body
    assert "<html" not in body  # the dialog alone
    contract_url = reverse("portal:contract_pdf", args=[paid.contract_id])
    assert f'href="{contract_url}"' in body
    page = signed_in.get(view_url + "?next=https://evil.example/")
    assert page.status_code == 200 and b"<html" in page.content
    # 取消 returns only to this site: a foreign "next" falls back to 客户订单.
    assert f'<a class="btn btn-ghost" href="{ORDERS}" data-contract-close>' in page.content.decode()
    assert signed_in.get(contract_url).status_code == 200


def test_cancel_an_unpaid_order_from_the_list_restores_coupon_and_rebate(signed_in, shop):
    order = shop.place(coupon_id=shop.coupon.pk, rebate_amount="30")
    assert wallet_balance(shop) == Decimal("70.00")
    response = signed_in.post(
        reverse("portal:account_order_cancel", args=[order.number]), follow=True
    )
    assert response.redirect_chain[-1][0] == ORDERS
    assert messages_of(response, "success")
    assert state(order)[0] == OrderStatus.CANCELLED
    assert wallet_balance(shop) == Decimal("100.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.UNUSED
    assert (
        signed_in.get(reverse("portal:account_order_cancel", args=[order.number])).status_code
        == 405
    )


def test_a_paid_order_cannot_be_cancelled_by_the_reseller(signed_in, shop):
    order = shop.place(payment_method="offline")
    payment = PaymentFactory(order=order, reference="DD0000000000009999", currency="CNY")
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    response = signed_in.post(
        reverse("portal:account_order_cancel", args=[order.number]), follow=True
    )
    assert messages_of(response)
    assert state(order) == (OrderStatus.PROCESSING, PaymentStatus.PAID)


def test_orders_search_and_filters(signed_in, shop):
    first = shop.place()
    other_customer = EndCustomer.objects.create(
        company=shop.company, name="B", email="b@example.com", company_name="东方明珠"
    )
    second = shop.place(end_customer_id=other_customer.pk, payment_method="offline")
    colleague = make_partner_user(shop.company, email="sales-two@example.com", role="co_admin")
    third = shop.place(user=colleague)
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=40))
    hk_sku = SkuFactory(solution=PublishedSolutionFactory(with_sku=False), region="hk")
    hk = shop.place(lines=[LineInput(hk_sku.pk, 1)])

    def numbers(**query):
        return order_numbers(html_of(signed_in.get(ORDERS, query)))

    assert numbers(q=second.number) == [second.number]
    assert numbers(q="东方明珠") == [second.number]
    assert numbers(q="sales-two") == [third.number]
    assert numbers(status=OrderStatus.PENDING_PAYMENT) == [
        hk.number,
        third.number,
        second.number,
        first.number,
    ]
    payment_confirm_offline(
        payment_id=PaymentFactory(order=second, reference="DD0000000000008888", currency="CNY").pk,
        actor=shop.staff,
    )
    assert numbers(status=OrderStatus.PROCESSING) == [second.number]
    today = timezone.localdate()
    assert first.number not in numbers(date_from=(today - timedelta(days=7)).isoformat())
    assert numbers(date_to=(today - timedelta(days=30)).isoformat()) == [first.number]
    assert numbers(region="hk") == [hk.number]
    html = html_of(signed_in.get(ORDERS, {"date_from": today.isoformat(), "date_to": "2000-01-01"}))
    assert order_numbers(html) == [] and "form-errors" in html
    html = html_of(signed_in.get(ORDERS, {"status": "bogus"}))
    assert order_numbers(html) == [] and "field-error" in html


def test_distributor_admin_sees_sub_reseller_orders_read_only(client):
    distributor = Shop()
    distributor.company.company_type = CompanyType.DISTRIBUTOR
    distributor.company.save()
    sub = Shop()
    sub.company.parent = distributor.company
    sub.company.save()
    stranger = Shop()
    own = distributor.place()
    sub_order = sub.place()
    foreign = stranger.place()
    client.force_login(distributor.user)
    html = html_of(client.get(ORDERS))
    assert set(order_numbers(html)) == {own.number, sub_order.number}
    assert foreign.number not in html
    block = html.split(f'data-actions="{sub_order.number}"')[1].split("</tbody>")[0]
    # No pay, cancel or e-contract on a sub-reseller's order.
    assert not re.findall(r'data-action="(pay|cancel|contract)"', block)
    assert "下属经销商订单（只读）" in text(html)
    detail = text(html_of(client.get(detail_url(sub_order))))
    assert (
        sub_order.number in detail
        and "只读" in detail
        and "付款" not in detail.split("基本信息")[0]
    )
    # Read-only: no action on the sub-reseller's order answers anything but 404.
    for name in ("account_order_cancel", "order_pay", "order_transfer", "order_created"):
        assert client.post(reverse(f"portal:{name}", args=[sub_order.number])).status_code == 404
    assert state(sub_order)[0] == OrderStatus.PENDING_PAYMENT
    # The sub-reseller does not see its distributor's orders.
    client.force_login(sub.user)
    assert order_numbers(html_of(client.get(ORDERS))) == [sub_order.number]
    assert client.get(detail_url(own)).status_code == 404


def test_order_detail_shows_every_block(signed_in, shop):
    shop.sku.parameters = [{"key": "account", "label": "account"}]
    shop.sku.save()
    order = shop.place(
        lines=[LineInput(shop.sku.pk, 1, {"account": "tenant-x"}), LineInput(shop.sku2.pk, 2)],
        coupon_id=shop.coupon.pk,
        rebate_amount="20",
        remarks="请尽快",
        expected_close_date=date(2026, 12, 31),
    )
    Order.objects.filter(pk=order.pk).update(delivery_content="SN-123-456")
    html = html_of(signed_in.get(detail_url(order)))
    page = text(html)
    for label in (
        "基本信息",
        "订单编号",
        "创建日期",
        "订单状态",
        "付款状态",
        "支付方式",
        "线上支付",
        "订单原价 ¥207.00",
        "优惠金额 ¥10.00",
        "可抵扣优惠金额 ¥20.00",
        "订单总额 ¥177.00",
        "预计结单日期 2026-12-31",
        "备注 请尽快",
        "客户信息",
        "客户公司 BlueCloud_O",
        "客户名称 test2",
        "渠道商",
        "类型 经销商",
        f"公司 {shop.company.name}",
        f"邮箱 {shop.user.email}",
        "角色 管理员",
        "方案",
        "价格",
        f"Sku: {shop.sku.code}",
        "account: tenant-x",
        "交付内容",
        "SN-123-456",
        "状态记录",
        "订单已提交",
    ):
        assert label in page, label


def test_other_companies_numbers_are_404_for_every_method(signed_in, shop):
    other = Shop()
    order = other.place(payment_method="online")
    payment = payment_start_online(order_id=order.pk, user=other.user)
    offline = other.place(payment_method="offline")
    urls = [
        detail_url(order),
        reverse("portal:account_order_cancel", args=[order.number]),
        reverse("portal:order_created", args=[order.number]),
        reverse("portal:order_pay", args=[order.number]),
        reverse("portal:order_transfer", args=[offline.number]),
        pay_url(payment),
        reverse("portal:pay_complete", args=[payment.reference]),
    ]
    for url in urls:
        for method in ("get", "post", "put", "delete"):
            assert getattr(signed_in, method)(url).status_code == 404, (method, url)
    assert state(order) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.UNPAID)
    payment.refresh_from_db()
    assert payment.status == PaymentRecordStatus.PENDING
    assert not Payment.objects.filter(order=offline).exists()


def test_anonymous_users_go_to_login(client, shop):
    order = shop.place()
    for url in (ORDERS, detail_url(order), reverse("portal:order_created", args=[order.number])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_menu_has_customer_orders(signed_in):
    html = html_of(signed_in.get(ORDERS))
    assert 'data-menu="customer_orders" class="is-active"' in html and "客户订单" in text(html)


# --------------------------------------------------------------------------
# Query counts
# --------------------------------------------------------------------------


def _list_queries(client, shop, n: int) -> int:
    Order.objects.filter(company=shop.company).update(status=OrderStatus.CANCELLED)
    for i in range(n):
        shop.place(
            payment_method="offline" if i % 2 else "online",
            lines=[LineInput(shop.sku.pk, 1), LineInput(shop.sku2.pk, 1 + i % 3)],
        )
    client.get(ORDERS)
    return get_queries(client, ORDERS, {"status": OrderStatus.PENDING_PAYMENT})


def test_orders_list_query_count_does_not_grow_with_orders(signed_in, shop):
    few = _list_queries(signed_in, shop, 2)
    many = _list_queries(signed_in, shop, 14)  # within one page of 15
    assert many == few, (few, many)


def _detail_queries(client, shop, n: int) -> int:
    skus = [SkuFactory(solution=PublishedSolutionFactory(with_sku=False)) for _ in range(n)]
    order = shop.place(lines=[LineInput(sku.pk, 1) for sku in skus], payment_method="offline")
    client.post(
        reverse("portal:order_transfer", args=[order.number]),
        {"payer_account": "6222", "paid_on": date.today().isoformat()},
    )
    client.get(detail_url(order))
    return get_queries(client, detail_url(order))


def test_order_detail_query_count_does_not_grow_with_lines(signed_in, shop):
    assert _detail_queries(signed_in, shop, 2) == _detail_queries(signed_in, shop, 20)
