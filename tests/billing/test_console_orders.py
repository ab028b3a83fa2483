"""Staff console for orders: actions, inlines through the services, queues, export, queries."""

import io
import re
import uuid
from datetime import date
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import (
    Coupon,
    CouponStatus,
    CreditAccount,
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    InvoiceRequestStatus,
    Order,
    OrderAttachment,
    OrderEvent,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMilestone,
    PaymentMilestoneStatus,
    PaymentRecordStatus,
    PaymentStatus,
    RebateWallet,
)
from billing.services import credit
from billing.services.fulfilment import (
    milestone_add,
    milestone_confirm,
    milestone_mark_delivered,
    order_deliver,
    payment_milestone_add,
)
from billing.services.invoices import invoice_request_create
from billing.services.orders import payment_submit_offline
from tests.billing.factories import InvoiceRequestFactory, PaymentFactory
from tests.billing.order_helpers import paid_order
from tests.billing.test_fulfilment import (
    PDF_BYTES,
    clone_orders,
    invoice_fields,
    pdf_upload,
)
from tests.exports import export_form
from tests.factories import UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, shop):
    client.force_login(shop.staff)
    return client


def order_url(view: str, order: Order) -> str:
    return reverse(f"admin:billing_order_{view}", args=[order.pk])


def wallet_balance(shop) -> Decimal:
    return RebateWallet.objects.get(company=shop.company, currency="CNY").balance


def credit_used(shop) -> Decimal:
    return CreditAccount.objects.get(company=shop.company, currency="CNY").used


def inline_data(response) -> dict:
    """The change form's inline formsets as posted back unchanged (management forms too)."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is None or value is False:
                    continue
                data[form.add_prefix(name)] = "on" if value is True else value
    return data


def add_inline_row(data: dict, prefix: str, values: dict) -> dict:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    return data


# --------------------------------------------------------------------------
# Pages and permissions
# --------------------------------------------------------------------------


def test_order_pages_open_and_orders_cannot_be_added_or_deleted(console, shop, order):
    changelist = console.get(reverse("admin:billing_order_changelist"))
    assert changelist.status_code == 200 and order.number in changelist.content.decode()
    for query in (order.number, shop.company.name, "BlueCloud_O", shop.user.email):
        page = console.get(reverse("admin:billing_order_changelist"), {"q": query})
        assert order.number in page.content.decode(), query
    page = console.get(
        reverse("admin:billing_order_changelist"),
        {"status__exact": "processing", "payment_status__exact": "paid", "currency__exact": "CNY"},
    )
    assert order.number in page.content.decode()
    detail = console.get(order_url("change", order))
    assert detail.status_code == 200
    html = detail.content.decode()
    for action in ("deliver_detail", "cancel_detail"):
        assert order_url(action, order) in html
    for action in ("complete_detail", "confirm_payment_detail"):
        assert order_url(action, order) not in html  # not applicable to a processing paid order
    assert console.get(reverse("admin:billing_order_add")).status_code == 403
    assert console.post(order_url("delete", order)).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_a_staff_member_without_change_permission_cannot_act(client, order):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    assert client.get(order_url("change", order)).status_code == 200
    assert (
        client.post(order_url("deliver_detail", order), {"delivery_content": "x"}).status_code
        == 403
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING


# --------------------------------------------------------------------------
# 交付 and 完成
# --------------------------------------------------------------------------


def test_deliver_and_complete_from_the_detail_page(
    console, shop, order, django_capture_on_commit_callbacks, mailoutbox
):
    page = console.get(order_url("deliver_detail", order))
    assert page.status_code == 200 and "交付内容" in page.content.decode()
    too_long = console.post(order_url("deliver_detail", order), {"delivery_content": "x" * 5001})
    assert too_long.status_code == 200 and too_long.context["form"].errors
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            order_url("deliver_detail", order), {"delivery_content": "SN-XYZ-001"}, follow=True
        )
    assert messages_of(response, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivery_content == "SN-XYZ-001"
    assert "SN-XYZ-001" in mailoutbox[-1].body
    # Delivered: 交付 is gone (403), 完成 is offered.
    assert console.post(order_url("deliver_detail", order), {}).status_code == 403
    response = console.post(order_url("complete_detail", order), follow=True)
    assert messages_of(response, "success")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.COMPLETED).count() == 1
    assert console.post(order_url("cancel_detail", order), {"reason": "x"}).status_code == 403


# --------------------------------------------------------------------------
# 取消订单: reason required, every posting reversed
# --------------------------------------------------------------------------


def credit_order(shop, mailoutbox, capture) -> Order:
    """A paid order using the coupon, ¥40 of rebate and the credit line for the rest."""
    key = str(uuid.uuid4())
    with capture(execute=True):
        credit.credit_code_send(user=shop.user, purpose=f"checkout:{key}")
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    return shop.place(
        key=key, coupon_id=shop.coupon.pk, rebate_amount="40", use_credit=True, credit_code=code
    )


def test_cancel_needs_a_reason_shows_the_reversal_and_restores_everything(
    console, shop, mailoutbox, django_capture_on_commit_callbacks
):
    order = credit_order(shop, mailoutbox, django_capture_on_commit_callbacks)
    assert order.payment_status == PaymentStatus.PAID
    assert wallet_balance(shop) == Decimal("60.00") and credit_used(shop) == Decimal("157.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.USED

    page = console.get(order_url("cancel_detail", order)).content.decode()
    assert shop.coupon.code in page and "¥40.00" in page and "¥157.00" in page
    assert "已退款" in page

    refused = console.post(order_url("cancel_detail", order), {"reason": "   "})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING
    assert wallet_balance(shop) == Decimal("60.00")

    response = console.post(order_url("cancel_detail", order), {"reason": "客户撤单"}, follow=True)
    assert messages_of(response, "success")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "客户撤单"
    assert order.payment_status == PaymentStatus.REFUNDED
    assert wallet_balance(shop) == Decimal("100.00")
    assert credit_used(shop) == Decimal("0.00")
    assert Coupon.objects.get(pk=shop.coupon.pk).status == CouponStatus.UNUSED
    call_command("check_ledgers")
    # Cancelled is final: the action is gone.
    assert console.post(order_url("cancel_detail", order), {"reason": "again"}).status_code == 403


# --------------------------------------------------------------------------
# Offline payments: from the order page and the work queue
# --------------------------------------------------------------------------


def offline_payment(shop) -> Payment:
    order = shop.place(payment_method="offline")
    return payment_submit_offline(
        order_id=order.pk, user=shop.user, payer_account="6222 0000 1111", paid_on=date.today()
    )


def test_confirm_offline_payment_from_the_order_page(console, shop):
    payment = offline_payment(shop)
    order = payment.order
    detail = console.get(order_url("change", order)).content.decode()
    assert order_url("confirm_payment_detail", order) in detail
    page = console.get(order_url("confirm_payment_detail", order)).content.decode()
    assert payment.reference in page and "6222 0000 1111" in page
    response = console.post(order_url("confirm_payment_detail", order), follow=True)
    assert messages_of(response, "success")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID and order.status == OrderStatus.PROCESSING
    # Confirmed: the action is gone, a second post is refused and posts nothing.
    assert console.post(order_url("confirm_payment_detail", order)).status_code == 403
    assert Payment.objects.filter(order=order, status=PaymentRecordStatus.SUCCEEDED).count() == 1


def test_reject_offline_payment_needs_a_reason(console, shop):
    payment = offline_payment(shop)
    order = payment.order
    refused = console.post(order_url("reject_payment_detail", order), {"reason": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    response = console.post(
        order_url("reject_payment_detail", order), {"reason": "未收到款项"}, follow=True
    )
    assert messages_of(response, "success")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentRecordStatus.REJECTED
    assert payment.rejection_reason == "未收到款项"
    assert order.payment_status == PaymentStatus.UNPAID


def test_payment_queue_confirming_twice_posts_once(console, shop):
    payment = offline_payment(shop)
    online = Payment.objects.create(
        order=shop.place(), kind=PaymentKind.ONLINE, reference="DD0000000000001234", amount="1"
    )
    changelist = reverse("admin:billing_payment_changelist")
    page = console.get(changelist).content.decode()
    assert payment.reference in page and online.reference not in page  # offline + pending
    assert (
        online.reference
        in console.get(changelist, {"kind": "all", "status": "all"}).content.decode()
    )

    data = {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [payment.pk]}
    first = console.post(changelist, data, follow=True)
    assert messages_of(first, "success")
    second = console.post(changelist + "?status=all", data, follow=True)
    assert not messages_of(second, "success") and messages_of(second, "info")
    assert Payment.objects.filter(order=payment.order, status="succeeded").count() == 1
    events = OrderEvent.objects.filter(order=payment.order, payment_status=PaymentStatus.PAID)
    assert events.count() == 1
    detail_confirm = reverse("admin:billing_payment_confirm_detail", args=[payment.pk])
    assert console.post(detail_confirm).status_code == 403


def test_payment_queue_detail_reject(console, shop):
    payment = offline_payment(shop)
    url = reverse("admin:billing_payment_reject_detail", args=[payment.pk])
    assert console.get(url).status_code == 200
    response = console.post(url, {"reason": "金额不符"}, follow=True)
    assert messages_of(response, "success")
    payment.refresh_from_db()
    assert payment.status == PaymentRecordStatus.REJECTED


# --------------------------------------------------------------------------
# Milestones and attachments through the inlines and actions
# --------------------------------------------------------------------------


def test_milestone_inline_saves_through_the_service(console, shop, order):
    page = console.get(order_url("change", order))
    data = add_inline_row(
        inline_data(page),
        "delivery_milestones",
        {
            "position": "1",
            "stage": "需求调研",
            "planned_date": "2026-12-01",
            "acceptance_criteria": "调研报告签字",
            "remarks": "",
        },
    )
    response = console.post(order_url("change", order), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    milestone = DeliveryMilestone.objects.get(order=order)
    assert (milestone.stage, milestone.acceptance_criteria) == ("需求调研", "调研报告签字")
    assert milestone.history.first().history_user == shop.staff  # written by the service

    # Delivered and confirmed by the buyer: the row is locked and cannot be removed.
    milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
    milestone_confirm(milestone_id=milestone.pk, user=shop.user)
    page = console.get(order_url("change", order))
    data = inline_data(page)
    data["delivery_milestones-0-DELETE"] = "on"
    response = console.post(order_url("change", order), data)
    assert response.status_code == 200
    assert DeliveryMilestone.objects.filter(pk=milestone.pk).exists()
    data = inline_data(page)
    data["delivery_milestones-0-stage"] = "改名"
    console.post(order_url("change", order), data)
    milestone.refresh_from_db()
    assert milestone.stage == "需求调研" and milestone.status == DeliveryMilestoneStatus.CONFIRMED


def test_payment_milestone_inline_refuses_more_than_the_payable_total(console, order):
    page = console.get(order_url("change", order))
    data = add_inline_row(
        inline_data(page),
        "payment_milestones",
        {"position": "1", "stage": "首付款", "amount": "300.00", "remarks": ""},
    )
    response = console.post(order_url("change", order), data)
    assert response.status_code == 200
    assert "应付总额" in response.content.decode()
    assert not PaymentMilestone.objects.exists()
    data["payment_milestones-0-amount"] = "107.00"
    assert console.post(order_url("change", order), data).status_code == 302
    assert PaymentMilestone.objects.get().amount == Decimal("107.00")


def test_milestone_and_instalment_actions(console, shop, order):
    milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
    instalment = payment_milestone_add(
        order_id=order.pk, actor=shop.staff, stage="首付款", amount="100"
    )
    detail = console.get(order_url("change", order)).content.decode()
    assert order_url("milestone_delivered_detail", order) in detail
    assert order_url("instalment_paid_detail", order) in detail
    other = paid_order(shop)
    foreign = milestone_add(order_id=other.pk, actor=shop.staff, stage="别的订单")
    wrong = console.post(order_url("milestone_delivered_detail", order), {"milestone": foreign.pk})
    assert wrong.status_code == 200 and wrong.context["form"].errors["milestone"]
    console.post(order_url("milestone_delivered_detail", order), {"milestone": milestone.pk})
    console.post(order_url("instalment_paid_detail", order), {"milestone": instalment.pk})
    milestone.refresh_from_db()
    instalment.refresh_from_db()
    foreign.refresh_from_db()
    assert milestone.status == DeliveryMilestoneStatus.DELIVERED
    assert foreign.status == DeliveryMilestoneStatus.PENDING
    assert instalment.status == PaymentMilestoneStatus.PAID
    detail = console.get(order_url("change", order)).content.decode()
    assert order_url("milestone_delivered_detail", order) not in detail


def test_attachment_upload_is_content_checked_and_downloadable(console, shop, order):
    page = console.get(order_url("change", order))
    fake = io.BytesIO(b"<html>not a pdf</html>")
    fake.name = "sow.pdf"
    data = add_inline_row(inline_data(page), "attachments", {"title": "SOW", "upload": fake})
    response = console.post(order_url("change", order), data)
    assert response.status_code == 200
    assert "sow.pdf" in response.content.decode()  # the check names the file
    assert not OrderAttachment.objects.exists()

    data = add_inline_row(
        inline_data(page), "attachments", {"title": "SOW", "upload": pdf_upload("sow.pdf")}
    )
    assert console.post(order_url("change", order), data).status_code == 302
    attachment = OrderAttachment.objects.get()
    assert (attachment.title, attachment.original_name, attachment.uploaded_by) == (
        "SOW",
        "sow.pdf",
        shop.staff,
    )
    download = console.get(
        reverse("admin:billing_order_attachment", args=[order.pk, attachment.pk])
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert download["X-Content-Type-Options"] == "nosniff"
    assert (
        console.get(
            reverse("admin:billing_order_attachment", args=[order.pk + 999, attachment.pk])
        ).status_code
        == 404
    )


def test_saving_the_order_page_never_rewrites_the_order_row(console, shop, order):
    page = console.get(order_url("change", order))
    # Meanwhile the order moves on (another tab, a callback).
    order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-9")
    assert console.post(order_url("change", order), inline_data(page)).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivery_content == "SN-9"


# --------------------------------------------------------------------------
# Invoice requests: the finance queue
# --------------------------------------------------------------------------


def test_issue_invoice_with_number_and_pdf(
    console, shop, order, django_capture_on_commit_callbacks, mailoutbox
):
    invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    changelist = reverse("admin:billing_invoicerequest_changelist")
    assert invoice.title in console.get(changelist).content.decode()  # 待开票 by default
    url = reverse("admin:billing_invoicerequest_issue_detail", args=[invoice.pk])
    page = console.get(url)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    missing = console.post(url, {"invoice_number": "No.1"})
    assert missing.context["form"].errors["pdf"]
    fake = io.BytesIO(b"GIF89a not really")
    fake.name = "invoice.pdf"
    bad = console.post(url, {"invoice_number": "No.1", "pdf": fake})
    assert bad.status_code == 200 and bad.context["form"].errors
    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequestStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            url, {"invoice_number": "No.2026001", "pdf": pdf_upload()}, follow=True
        )
    assert messages_of(response, "success")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceRequestStatus.ISSUED and invoice.invoice_number == "No.2026001"
    assert "No.2026001" in mailoutbox[-1].body
    assert invoice.title not in console.get(changelist).content.decode()  # left the queue
    pdf = console.get(reverse("admin:billing_invoicerequest_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content) == PDF_BYTES
    assert console.post(url, {"invoice_number": "No.3"}).status_code == 403


def test_reject_invoice_request_with_reason(
    console, shop, order, django_capture_on_commit_callbacks, mailoutbox
):
    invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    url = reverse("admin:billing_invoicerequest_reject_detail", args=[invoice.pk])
    assert console.post(url, {"reason": ""}).context["form"].errors["reason"]
    with django_capture_on_commit_callbacks(execute=True):
        console.post(url, {"reason": "税号有误"})
    invoice.refresh_from_db()
    assert (
        invoice.status == InvoiceRequestStatus.REJECTED and invoice.rejection_reason == "税号有误"
    )
    assert "税号有误" in mailoutbox[-1].body


# --------------------------------------------------------------------------
# Dashboard work queues
# --------------------------------------------------------------------------


def test_dashboard_queues_need_view_permission(client, shop, order):
    from django.contrib.auth.models import Permission

    offline_payment(shop)
    invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    client.force_login(shop.staff)
    titles = [title for title, _count, _link in client.get("/admin/").context["work_queues"]]
    assert "待确认线下付款" in titles and "待开票申请" in titles

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_invoicerequest"))
    client.force_login(clerk)
    queues = client.get("/admin/").context["work_queues"]
    assert [(str(t), n) for t, n, _link in queues] == [("待开票申请", 1)]


# --------------------------------------------------------------------------
# Excel export
# --------------------------------------------------------------------------


EXPORT_HEADERS = (
    "订单编号",
    "渠道",
    "客户公司",
    "销售",
    "商品总金额",
    "优惠金额",
    "可抵扣优惠金额",
    "账期支付",
    "应付总额",
    "币种",
    "订单状态",
    "付款状态",
    "支付方式",
    "创建时间",
)


def test_export_has_chinese_headers_escapes_formulas_and_streams(console, shop, order):
    from backoffice.admin.orders import OrderResource

    evil = clone_orders(order, 1, customer_company='=HYPERLINK("http://evil.example")')[0]
    export_url = reverse("admin:billing_order_export")
    assert console.get(export_url).status_code == 200
    data = export_form(Order, OrderResource, OrderResource.Meta.fields)
    with mock.patch.object(
        QuerySet, "iterator", autospec=True, side_effect=QuerySet.iterator
    ) as it:
        response = console.post(export_url, data)
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    assert any(call.kwargs.get("chunk_size") == 500 for call in it.call_args_list)

    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    headers = rows[0]
    assert tuple(headers) == EXPORT_HEADERS
    by_number = {row[0]: row for row in rows[1:]}
    row = by_number[order.number]
    assert row[headers.index("渠道")] == shop.company.name
    assert row[headers.index("销售")] == shop.user.email
    assert row[headers.index("应付总额")] == 207  # a number cell (tests/backoffice/test_exports.py)
    assert row[headers.index("订单状态")] == "处理中"
    assert row[headers.index("付款状态")] == "已付款"
    assert row[headers.index("支付方式")] == "线下支付"
    cell = str(by_number[evil.number][headers.index("客户公司")])
    assert "HYPERLINK" in cell and not cell.startswith("=")


# --------------------------------------------------------------------------
# Query counts: changelists do not grow with rows
# --------------------------------------------------------------------------


def _changelist_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def _grow(shop, order, count: int) -> None:
    for clone in clone_orders(order, count):
        PaymentFactory(order=clone, payer_account="6222", paid_on=date.today())
        InvoiceRequestFactory(
            order=clone, requested_by=shop.user, amount=clone.payable_total, currency="CNY"
        )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:billing_order_changelist",
        "admin:billing_payment_changelist",
        "admin:billing_invoicerequest_changelist",
    ],
)
def test_changelists_do_not_grow_queries_with_rows(console, shop, order, url_name):
    url = reverse(url_name)
    _grow(shop, order, 3)
    console.get(url)  # warm caches (content types, sessions)
    small = _changelist_queries(console, url)
    _grow(shop, order, 27)
    large = _changelist_queries(console, url)
    assert small == large
    page = console.get(url).content.decode()
    assert page.count(order.number) >= 30 if url_name.endswith("order_changelist") else True
