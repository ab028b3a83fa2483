"""Portal fulfilment pages: reviews, invoice requests, milestone 确认， 确认收货， downloads."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import (
    DeliveryMilestoneStatus,
    InvoiceRequest,
    InvoiceRequestStatus,
    Order,
    OrderStatus,
    PaymentStatus,
)
from billing.selectors.fulfilment import orders_list_actions
from billing.services.fulfilment import (
    attachment_add,
    milestone_add,
    milestone_confirm,
    milestone_mark_delivered,
    order_complete,
    order_deliver,
    order_review_submit,
)
from billing.services.invoices import invoice_issue, invoice_request_create
from catalog.models import Review
from tests.billing.helpers import make_company, make_partner_user
from tests.billing.order_helpers import paid_order
from tests.billing.test_fulfilment import (
    PDF_BYTES,
    TAX_ID,
    clone_orders,
    invoice_fields,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

VALID_INVOICE = {
    "invoice_type": "ordinary",
    "title": "上海蓝云网络科技有限公司",
    "tax_id": TAX_ID,
    "address_phone": "",
    "bank_account": "",
    "email": "finance@example.com",
}


@pytest.fixture
def buyer(client, shop):
    client.force_login(shop.user)
    return client


def url(name: str, order: Order, *args) -> str:
    return reverse(f"portal:{name}", args=[order.number, *args])


def completed(shop, order) -> Order:
    order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-1")
    return order_complete(order_id=order.pk, actor=shop.user)


def html(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------
# 评价
# --------------------------------------------------------------------------


class TestReview:
    def test_only_after_completion_and_only_once(self, buyer, shop, order):
        solution_id = order.lines.first().solution_id
        review_url = url("order_review", order, solution_id)

        page = buyer.get(review_url)
        assert page.status_code == 200
        assert "data-problem" in html(page) and "只有该方案已完成的订单才能评价" in html(page)
        assert "data-review-form" not in html(page)
        refused = buyer.post(review_url, {"rating": "5", "text": "很好"})
        assert refused.status_code == 200
        assert "data-problem" not in html(refused)  # the service's refusal, on the form
        assert "已完成的订单才能评价" in " ".join(refused.context["form"].non_field_errors())
        assert not Review.objects.exists()

        completed(shop, order)
        page = buyer.get(review_url)
        assert "data-review-form" in html(page) and "提交评价" in html(page)
        response = buyer.post(review_url, {"rating": "4", "text": "交付及时"})
        assert response.status_code == 302
        review = Review.objects.get()
        assert (review.rating, review.text, review.order_number, review.author) == (
            4,
            "交付及时",
            order.number,
            shop.user,
        )
        assert review.company == shop.company

        again = buyer.post(review_url, {"rating": "1", "text": "再评一次"})
        assert again.status_code == 200
        assert "评价过" in " ".join(again.context["form"].non_field_errors())
        assert Review.objects.count() == 1
        assert "data-problem" in html(buyer.get(review_url))

    def test_bad_input_stores_nothing(self, buyer, shop, order):
        completed(shop, order)
        review_url = url("order_review", order, order.lines.first().solution_id)
        for data in ({"rating": "6", "text": "x"}, {"rating": "", "text": "x"}):
            response = buyer.post(review_url, data)
            assert response.status_code == 200 and response.context["form"].errors["rating"]
        response = buyer.post(review_url, {"rating": "5", "text": "评" * 501})
        assert response.context["form"].errors["text"]
        assert not Review.objects.exists()

    def test_a_solution_not_on_the_order_is_404(self, buyer, shop, order):
        from tests.catalog.factories import PublishedSolutionFactory

        completed(shop, order)
        other = PublishedSolutionFactory()
        assert buyer.get(url("order_review", order, other.pk)).status_code == 404
        assert buyer.post(url("order_review", order, other.pk), {"rating": "5"}).status_code == 404
        assert not Review.objects.exists()


# --------------------------------------------------------------------------
# 申请开票
# --------------------------------------------------------------------------


class TestInvoiceRequestForm:
    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"tax_id": "12345"}, "tax_id", "15"),
            ({"tax_id": "91310000MA1FL0XX1X*"}, "tax_id", "15"),
            ({"title": "抬" * 101}, "title", "100"),
            ({"address_phone": "地" * 201}, "address_phone", "200"),
            ({"bank_account": "行" * 201}, "bank_account", "200"),
            ({"email": "not-an-email"}, "email", ""),
            ({"title": ""}, "title", ""),
            ({"invoice_type": "special"}, "address_phone", ""),
            ({"invoice_type": "receipt"}, "invoice_type", ""),
        ],
    )
    def test_errors_store_nothing(self, buyer, order, changes, field, message):
        response = buyer.post(url("order_invoice_request", order), {**VALID_INVOICE, **changes})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert field in errors, errors
        assert message in " ".join(errors[field])
        assert not InvoiceRequest.objects.exists()

    def test_valid_request_then_the_form_is_closed(self, buyer, shop, order):
        page = buyer.get(url("order_invoice_request", order))
        assert page.status_code == 200 and "data-invoice-form" in html(page)
        assert shop.company.name in html(page)  # the title is prefilled
        response = buyer.post(
            url("order_invoice_request", order), {**VALID_INVOICE, "tax_id": "91310000ma1fl0xx1x"}
        )
        assert response.status_code == 302
        invoice = InvoiceRequest.objects.get()
        assert (invoice.order, invoice.tax_id, invoice.status, invoice.requested_by) == (
            order,
            TAX_ID,
            InvoiceRequestStatus.PENDING,
            shop.user,
        )
        page = buyer.get(url("order_invoice_request", order))
        assert "data-problem" in html(page) and "data-invoice-form" not in html(page)
        again = buyer.post(url("order_invoice_request", order), VALID_INVOICE)
        assert again.status_code == 200
        assert InvoiceRequest.objects.count() == 1

    def test_unpaid_orders_cannot_request(self, buyer, shop):
        unpaid = shop.place()
        page = buyer.get(url("order_invoice_request", unpaid))
        assert "data-problem" in html(page)
        buyer.post(url("order_invoice_request", unpaid), VALID_INVOICE)
        assert not InvoiceRequest.objects.exists()

    def test_issued_pdf_download_is_scoped(self, buyer, client, shop, order):
        invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        pdf_url = url("order_invoice_pdf", order, invoice.pk)
        assert buyer.get(pdf_url).status_code == 404  # not issued yet
        invoice_issue(
            request_id=invoice.pk, actor=shop.staff, invoice_number="No.7", pdf=pdf_upload()
        )
        response = buyer.get(pdf_url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------
# 确认 of a milestone, 确认收货, attachments
# --------------------------------------------------------------------------


class TestMilestonesAndReceipt:
    def test_confirm_a_delivered_milestone(self, buyer, shop, order):
        waiting = milestone_add(order_id=order.pk, actor=shop.staff, stage="调研")
        delivered = milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
        milestone_mark_delivered(milestone_id=delivered.pk, actor=shop.staff)

        assert buyer.get(url("order_milestone_confirm", order, delivered.pk)).status_code == 405
        refused = buyer.post(url("order_milestone_confirm", order, waiting.pk), follow=True)
        assert any(m.level_tag == "error" for m in refused.context["messages"])
        waiting.refresh_from_db()
        assert waiting.status == DeliveryMilestoneStatus.PENDING

        detail = url("account_order_detail", order)
        response = buyer.post(url("order_milestone_confirm", order, delivered.pk), {"next": detail})
        assert response.status_code == 302 and response["Location"] == detail
        delivered.refresh_from_db()
        assert delivered.status == DeliveryMilestoneStatus.CONFIRMED
        assert delivered.confirmed_by == shop.user

    def test_next_outside_the_orders_is_ignored(self, buyer, shop, order):
        milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
        milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
        response = buyer.post(
            url("order_milestone_confirm", order, milestone.pk), {"next": "https://evil.example/"}
        )
        assert response["Location"] == url("account_order_detail", order)

    def test_confirm_receipt_completes_a_delivered_order(self, buyer, shop, order):
        early = buyer.post(url("order_complete", order), follow=True)
        assert any(m.level_tag == "error" for m in early.context["messages"])
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING
        order_deliver(order_id=order.pk, actor=shop.staff)
        assert buyer.post(url("order_complete", order)).status_code == 302
        assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED

    def test_attachment_download_is_an_attachment_of_this_order_only(
        self, buyer, client, shop, order
    ):
        attachment = attachment_add(
            order_id=order.pk, actor=shop.staff, title="SOW", upload=pdf_upload("sow.pdf")
        )
        response = buyer.get(url("order_attachment", order, attachment.pk))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment")
        assert "sow.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        # Another order of the same company does not serve this attachment.
        other = paid_order(shop)
        assert buyer.get(url("order_attachment", other, attachment.pk)).status_code == 404


# --------------------------------------------------------------------------
# Tenancy: another company's order numbers answer 404 to every method
# --------------------------------------------------------------------------


def test_other_company_order_numbers_are_404_for_every_method(client, shop, order):
    milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
    milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
    attachment = attachment_add(
        order_id=order.pk, actor=shop.staff, title="SOW", upload=pdf_upload()
    )
    invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    invoice_issue(request_id=invoice.pk, actor=shop.staff, invoice_number="No.1", pdf=pdf_upload())
    solution_id = order.lines.first().solution_id
    urls = [
        url("order_invoice_request", order),
        url("order_invoice_pdf", order, invoice.pk),
        url("order_milestone_confirm", order, milestone.pk),
        url("order_complete", order),
        url("order_attachment", order, attachment.pk),
        url("order_review", order, solution_id),
    ]
    intruder = make_partner_user(make_company())
    client.force_login(intruder)
    for target in urls:
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(target)
            assert response.status_code == 404, f"{method} {target}: {response.status_code}"
    milestone.refresh_from_db()
    assert milestone.status == DeliveryMilestoneStatus.DELIVERED
    assert InvoiceRequest.objects.count() == 1 and not Review.objects.exists()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING

    client.logout()
    response = client.get(urls[0])
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --------------------------------------------------------------------------
# The template pieces the order pages include
# --------------------------------------------------------------------------


def _request(user):
    request = RequestFactory().get("/account/orders/")
    request.user = user
    return request


def test_detail_extra_renders_every_block_with_fixed_queries(shop, order):
    empty = render_to_string(
        "portal/orders/_detail_extra.html", {"order": order, "request": _request(shop.user)}
    )
    assert "交付里程碑" in empty and "付款里程碑" in empty and "补充说明" in empty
    assert "data-attachments-empty" in empty and 'data-action="invoice"' in empty
    assert "确认收货" not in empty

    milestone = milestone_add(
        order_id=order.pk, actor=shop.staff, stage="上线", acceptance_criteria="验收签字"
    )
    milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
    attachment_add(order_id=order.pk, actor=shop.staff, title="进度报告", upload=pdf_upload())
    invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    order_deliver(order_id=order.pk, actor=shop.staff)
    order = Order.objects.prefetch_related("lines").get(pk=order.pk)
    with CaptureQueriesContext(connection) as queries:
        full = render_to_string(
            "portal/orders/_detail_extra.html", {"order": order, "request": _request(shop.user)}
        )
    assert len(queries) == 4  # milestones, instalments, attachments, invoice requests
    assert "验收签字" in full and "进度报告" in full and "待开票" in full
    assert url("order_milestone_confirm", order, milestone.pk) in full
    assert 'data-action="invoice"' not in full  # a request is open
    # 已交付 with a milestone still to confirm: the hint instead of the button.
    assert "请先确认所有交付里程碑" in full and 'data-action="complete"' not in full
    milestone_confirm(milestone_id=milestone.pk, user=shop.user)
    confirmed = render_to_string(
        "portal/orders/_detail_extra.html", {"order": order, "request": _request(shop.user)}
    )
    assert 'data-action="complete"' in confirmed and "确认收货" in confirmed
    assert url("order_complete", order) in confirmed

    # Another company's user (a distributor looking at a sub-reseller's order) gets no actions.
    stranger = make_partner_user(make_company())
    foreign = render_to_string(
        "portal/orders/_detail_extra.html", {"order": order, "request": _request(stranger)}
    )
    assert "order_milestone_confirm" not in foreign and "/confirm/" not in foreign
    assert "/attachments/" not in foreign


def test_list_actions_offer_invoice_and_review_with_fixed_queries(shop, order):
    completed_order = paid_order(shop)
    completed(shop, completed_order)

    def render_list(count: int) -> tuple[str, int]:
        extra = clone_orders(order, count, payment_status=PaymentStatus.PAID)
        rows = list(
            Order.objects.filter(pk__in=[o.pk for o in extra] + [completed_order.pk])
            .prefetch_related("lines")
            .order_by("pk")
        )
        request = _request(shop.user)
        context = {"rows": [{"order": o} for o in rows], "request": request}
        with CaptureQueriesContext(connection) as queries:
            out = "".join(
                render_to_string("portal/orders/_actions_extra.html", {**context, "order": o})
                for o in rows
            )
        return out, len(queries)

    small, small_queries = render_list(3)
    large, large_queries = render_list(30)
    assert small_queries == large_queries <= 2
    assert small.count('data-action="invoice"') == 4  # 3 clones + the completed order
    assert large.count('data-action="invoice"') == 31
    assert small.count('data-action="review"') == 1

    # After a review and an invoice request, the links go away.
    order_review_submit(
        order=completed_order,
        solution=completed_order.lines.first().solution,
        author=shop.user,
        rating=5,
        text="",
    )
    invoice_request_create(order_id=completed_order.pk, user=shop.user, **invoice_fields())
    actions = orders_list_actions(
        [Order.objects.prefetch_related("lines").get(pk=completed_order.pk)]
    )
    assert actions[completed_order.pk].can_request_invoice is False
    assert actions[completed_order.pk].review_targets == []
