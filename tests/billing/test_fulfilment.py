"""Fulfilment services: milestones, attachments, invoice requests, delivery and completion."""

import io
import itertools
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from PIL import Image

from billing.models import (
    DeliveryMilestone,
    DeliveryMilestoneStatus,
    InvoiceRequest,
    InvoiceRequestStatus,
    InvoiceType,
    Order,
    OrderAttachment,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMilestone,
    PaymentMilestoneStatus,
)
from billing.selectors.fulfilment import has_completed_order
from billing.services.errors import BillingError
from billing.services.fulfilment import (
    FulfilmentError,
    attachment_add,
    milestone_add,
    milestone_confirm,
    milestone_delete,
    milestone_mark_delivered,
    milestone_update,
    order_complete,
    order_deliver,
    payment_milestone_add,
    payment_milestone_set_paid,
    payment_milestone_update,
)
from billing.services.invoices import invoice_issue, invoice_reject, invoice_request_create
from billing.services.orders import (
    IllegalTransition,
    order_cancel,
)
from tests.billing.factories import TAX_ID, InvoiceRequestFactory
from tests.billing.helpers import make_company, make_partner_user
from tests.billing.order_helpers import Shop
from tests.files import pdf_bytes

pytestmark = pytest.mark.django_db

PDF_BYTES = pdf_bytes()


def pdf_upload(name: str = "invoice.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_upload(name: str = "progress.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


_CLONE_NUMBERS = itertools.count(1)


def clone_orders(order: Order, count: int, **overrides) -> list[Order]:
    """``count`` copies of ``order`` (same company, lines and amounts) without checkout:
    fast rows for query-count tests. ``overrides`` set fields such as the status."""
    skip = {"id", "number", "idempotency_key", "contract", "created_at"}
    values = {
        f.attname: getattr(order, f.attname)
        for f in Order._meta.concrete_fields
        if f.name not in skip
    }
    lines = list(order.lines.all())
    clones = []
    for index in range(count):
        clone = Order.objects.create(
            **{**values, **overrides},
            number=f"{order.number}{next(_CLONE_NUMBERS):04d}",
            idempotency_key=f"clone-{order.pk}-{index}-{uuid.uuid4()}",
        )
        for line in lines:
            line.pk = None
            line.order = clone
        OrderLine.objects.bulk_create(lines)
        clones.append(clone)
    return clones


def invoice_fields(**overrides) -> dict:
    return {
        "invoice_type": InvoiceType.ORDINARY,
        "title": "上海蓝云网络科技有限公司",
        "tax_id": TAX_ID,
        "email": "finance@example.com",
        **overrides,
    }


@pytest.fixture(autouse=True)
def _english():
    """The service messages are matched in English here (the pages test the Chinese)."""
    with translation.override("en"):
        yield


# --------------------------------------------------------------------------
# Delivery milestones
# --------------------------------------------------------------------------


class TestDeliveryMilestones:
    def test_staff_plan_deliver_and_the_buyer_confirms(self, shop, order):
        first = milestone_add(
            order_id=order.pk,
            actor=shop.staff,
            stage="需求调研",
            planned_date=date(2026, 12, 1),
            acceptance_criteria="调研报告签字",
        )
        second = milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
        assert (first.position, second.position) == (1, 2)
        assert first.status == DeliveryMilestoneStatus.PENDING

        with pytest.raises(FulfilmentError, match="after Blue Cloud has delivered"):
            milestone_confirm(milestone_id=first.pk, user=shop.user)

        milestone_mark_delivered(milestone_id=first.pk, actor=shop.staff)
        confirmed = milestone_confirm(milestone_id=first.pk, user=shop.user)
        assert confirmed.status == DeliveryMilestoneStatus.CONFIRMED
        assert confirmed.confirmed_by == shop.user and confirmed.confirmed_at is not None
        with pytest.raises(FulfilmentError, match="already confirmed"):
            milestone_confirm(milestone_id=first.pk, user=shop.user)
        with pytest.raises(FulfilmentError, match="can no longer be changed"):
            milestone_update(milestone_id=first.pk, actor=shop.staff, stage="改名")

    def test_only_a_user_of_the_ordering_company_confirms(self, shop, order):
        milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="交付")
        milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
        stranger = make_partner_user(make_company())
        for user in (stranger, shop.staff):
            with pytest.raises(FulfilmentError, match="ordering company"):
                milestone_confirm(milestone_id=milestone.pk, user=user)
        colleague = make_partner_user(shop.company, role="co_admin")
        colleague.is_active = False
        colleague.save()
        with pytest.raises(FulfilmentError):
            milestone_confirm(milestone_id=milestone.pk, user=colleague)
        milestone.refresh_from_db()
        assert milestone.status == DeliveryMilestoneStatus.DELIVERED

    def test_partners_cannot_plan_or_deliver(self, shop, order):
        with pytest.raises(FulfilmentError, match="staff"):
            milestone_add(order_id=order.pk, actor=shop.user, stage="x")
        milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="x")
        with pytest.raises(FulfilmentError, match="staff"):
            milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.user)

    def test_field_rules_and_edits(self, shop, order):
        with pytest.raises(FulfilmentError) as exc:
            milestone_add(order_id=order.pk, actor=shop.staff, stage="")
        assert "stage" in exc.value.message_dict
        with pytest.raises(FulfilmentError) as exc:
            milestone_add(order_id=order.pk, actor=shop.staff, stage="x" * 101)
        assert "stage" in exc.value.message_dict
        assert not DeliveryMilestone.objects.exists()
        milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="部署")
        milestone_update(
            milestone_id=milestone.pk, actor=shop.staff, stage="部署上线", remarks="周末"
        )
        milestone.refresh_from_db()
        assert (milestone.stage, milestone.remarks) == ("部署上线", "周末")
        milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
        with pytest.raises(FulfilmentError, match="not delivered yet"):
            milestone_delete(milestone_id=milestone.pk, actor=shop.staff)
        with pytest.raises(FulfilmentError, match="already"):
            milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)

    def test_unpaid_orders_plan_but_do_not_deliver_and_cancelled_orders_are_closed(self, shop):
        unpaid = shop.place()
        milestone = milestone_add(order_id=unpaid.pk, actor=shop.staff, stage="规划")
        with pytest.raises(FulfilmentError, match="paid orders"):
            milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
        order_cancel(order_id=unpaid.pk, actor=shop.user)
        with pytest.raises(FulfilmentError, match="cannot be changed"):
            milestone_add(order_id=unpaid.pk, actor=shop.staff, stage="x")

    def test_database_requires_who_confirmed(self, order):
        with pytest.raises(IntegrityError), transaction.atomic():
            DeliveryMilestone.objects.create(order=order, stage="x", status="confirmed")


# --------------------------------------------------------------------------
# Payment milestones
# --------------------------------------------------------------------------


class TestPaymentMilestones:
    def test_instalments_never_exceed_the_payable_total(self, shop, order):
        first = payment_milestone_add(
            order_id=order.pk, actor=shop.staff, stage="首付款", amount="107.00"
        )
        assert first.currency == order.currency == "CNY"
        with pytest.raises(FulfilmentError) as exc:
            payment_milestone_add(
                order_id=order.pk, actor=shop.staff, stage="尾款", amount="100.01"
            )
        assert "amount" in exc.value.message_dict
        payment_milestone_add(order_id=order.pk, actor=shop.staff, stage="尾款", amount="100.00")
        with pytest.raises(FulfilmentError):
            payment_milestone_add(order_id=order.pk, actor=shop.staff, stage="x", amount="0")
        assert PaymentMilestone.objects.filter(order=order).count() == 2

    def test_set_paid_once_and_then_locked(self, shop, order):
        milestone = payment_milestone_add(
            order_id=order.pk, actor=shop.staff, stage="首付款", amount="50"
        )
        with pytest.raises(FulfilmentError, match="staff"):
            payment_milestone_set_paid(milestone_id=milestone.pk, actor=shop.user)
        payment_milestone_set_paid(milestone_id=milestone.pk, actor=shop.staff)
        again = payment_milestone_set_paid(milestone_id=milestone.pk, actor=shop.staff)
        assert again.status == PaymentMilestoneStatus.PAID
        assert milestone.history.count() == 2  # created, paid: the repeat wrote nothing
        with pytest.raises(FulfilmentError, match="paid"):
            payment_milestone_update(
                milestone_id=milestone.pk, actor=shop.staff, stage="x", amount="10"
            )


# --------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------


class TestAttachments:
    def test_content_checked_upload_is_stored_privately(self, shop, order):
        attachment = attachment_add(
            order_id=order.pk, actor=shop.staff, title="SOW", upload=pdf_upload("sow.pdf")
        )
        assert attachment.original_name == "sow.pdf"
        assert attachment.content_type == "application/pdf"
        assert attachment.size == len(PDF_BYTES) and len(attachment.sha256) == 64
        assert attachment.file.name.startswith("orders/attachments/")
        assert "sow" not in attachment.file.name  # stored under a random name
        with attachment.file.open("rb") as handle:
            assert handle.read() == PDF_BYTES

    def test_fake_or_disallowed_files_are_refused(self, shop, order):
        fake = SimpleUploadedFile("evil.pdf", b"<script>alert(1)</script>", "application/pdf")
        with pytest.raises(FulfilmentError) as exc:
            attachment_add(order_id=order.pk, actor=shop.staff, title="x", upload=fake)
        assert "file" in exc.value.message_dict
        exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", "application/octet-stream")
        with pytest.raises(FulfilmentError):
            attachment_add(order_id=order.pk, actor=shop.staff, title="x", upload=exe)
        with pytest.raises(FulfilmentError, match="staff"):
            attachment_add(order_id=order.pk, actor=shop.user, title="x", upload=png_upload())
        assert not OrderAttachment.objects.exists()


# --------------------------------------------------------------------------
# Invoice requests
# --------------------------------------------------------------------------


class TestInvoiceRequests:
    def test_request_issue_and_mail(
        self, shop, order, django_capture_on_commit_callbacks, mailoutbox
    ):
        invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        assert invoice.status == InvoiceRequestStatus.PENDING
        assert (invoice.amount, invoice.currency) == (Decimal("207.00"), "CNY")
        with django_capture_on_commit_callbacks(execute=True):
            issued = invoice_issue(
                request_id=invoice.pk, actor=shop.staff, invoice_number="No.0001", pdf=pdf_upload()
            )
        assert issued.status == InvoiceRequestStatus.ISSUED
        assert issued.invoice_number == "No.0001" and issued.processed_by == shop.staff
        with issued.invoice_pdf.open("rb") as handle:
            assert handle.read() == PDF_BYTES
        assert [m.to for m in mailoutbox] == [[shop.user.email]]
        assert "No.0001" in mailoutbox[0].body and order.number in mailoutbox[0].subject
        # Invoiced: no second request, and no second issue.
        with pytest.raises(FulfilmentError, match="already been invoiced"):
            invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        with pytest.raises(FulfilmentError, match="already"):
            invoice_reject(request_id=invoice.pk, actor=shop.staff, reason="x")

    def test_one_open_request_per_order_and_again_after_rejection(
        self, shop, order, django_capture_on_commit_callbacks, mailoutbox
    ):
        first = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        with pytest.raises(FulfilmentError, match="already waiting"):
            invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        with pytest.raises(FulfilmentError) as exc:
            invoice_reject(request_id=first.pk, actor=shop.staff, reason="  ")
        assert "reason" in exc.value.message_dict
        with django_capture_on_commit_callbacks(execute=True):
            invoice_reject(request_id=first.pk, actor=shop.staff, reason="抬头与税号不符")
        first.refresh_from_db()
        assert first.status == InvoiceRequestStatus.REJECTED
        assert "抬头与税号不符" in mailoutbox[-1].body
        second = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        assert second.pk != first.pk
        # The database holds the rule too, whatever the service checks.
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceRequestFactory(order=order, requested_by=shop.user, currency="CNY")

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"tax_id": "12345"}, "tax_id"),  # too short
            ({"tax_id": "9131000MA1FL0XX1X!"}, "tax_id"),  # not alphanumeric
            ({"tax_id": "9" * 21}, "tax_id"),  # too long
            ({"title": "抬" * 101}, "title"),
            ({"title": ""}, "title"),
            ({"email": "not-an-email"}, "email"),
            ({"address_phone": "地" * 201}, "address_phone"),
            ({"bank_account": "行" * 201}, "bank_account"),
            ({"invoice_type": "receipt"}, "invoice_type"),
            ({"invoice_type": InvoiceType.SPECIAL}, "address_phone"),  # 专票 needs them
        ],
    )
    def test_field_rules_store_nothing(self, shop, order, overrides, field):
        with pytest.raises(FulfilmentError) as exc:
            invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields(**overrides))
        assert field in exc.value.message_dict
        assert not InvoiceRequest.objects.exists()

    def test_tax_id_is_normalised_to_uppercase(self, shop, order):
        invoice = invoice_request_create(
            order_id=order.pk, user=shop.user, **invoice_fields(tax_id=" 91310000ma1fl0xx1x ")
        )
        assert invoice.tax_id == TAX_ID

    def test_only_paid_not_cancelled_orders_of_the_company(self, shop, order):
        unpaid = shop.place()
        with pytest.raises(FulfilmentError, match="once the order is paid"):
            invoice_request_create(order_id=unpaid.pk, user=shop.user, **invoice_fields())
        stranger = make_partner_user(make_company())
        with pytest.raises(FulfilmentError, match="ordering company"):
            invoice_request_create(order_id=order.pk, user=stranger, **invoice_fields())
        order_cancel(order_id=order.pk, actor=shop.staff, reason="退款", by_staff=True)
        with pytest.raises(FulfilmentError, match="cancelled"):
            invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        assert not InvoiceRequest.objects.exists()

    def test_a_free_order_has_nothing_to_invoice(self):
        shop = Shop(rebate="300.00")
        free = shop.place(rebate_amount="207.00")  # the rebate pays everything
        assert free.payment_status == "paid" and free.payable_total == 0
        with pytest.raises(FulfilmentError, match="nothing to invoice"):
            invoice_request_create(order_id=free.pk, user=shop.user, **invoice_fields())
        assert not InvoiceRequest.objects.exists()

    def test_issue_needs_a_number_and_a_real_pdf(self, shop, order):
        invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        with pytest.raises(FulfilmentError) as exc:
            invoice_issue(
                request_id=invoice.pk, actor=shop.staff, invoice_number="", pdf=pdf_upload()
            )
        assert "invoice_number" in exc.value.message_dict
        with pytest.raises(FulfilmentError) as exc:
            invoice_issue(
                request_id=invoice.pk, actor=shop.staff, invoice_number="1", pdf=png_upload()
            )
        assert "pdf" in exc.value.message_dict
        with pytest.raises(FulfilmentError):
            invoice_issue(
                request_id=invoice.pk,
                actor=shop.staff,
                invoice_number="1",
                pdf=SimpleUploadedFile("x.pdf", b"not a pdf"),
            )
        with pytest.raises(FulfilmentError, match="staff"):
            invoice_issue(
                request_id=invoice.pk, actor=shop.user, invoice_number="1", pdf=pdf_upload()
            )
        invoice.refresh_from_db()
        assert invoice.status == InvoiceRequestStatus.PENDING and not invoice.invoice_pdf

    def test_database_checks_reason_and_number(self, shop, order):
        invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
        for status in ("rejected", "issued"):
            with pytest.raises(IntegrityError), transaction.atomic():
                InvoiceRequest.objects.filter(pk=invoice.pk).update(status=status)


# --------------------------------------------------------------------------
# Delivering and completing the order
# --------------------------------------------------------------------------


class TestDeliverAndComplete:
    def test_deliver_then_the_buyer_confirms_receipt(
        self, shop, order, django_capture_on_commit_callbacks, mailoutbox
    ):
        with django_capture_on_commit_callbacks(execute=True):
            delivered = order_deliver(
                order_id=order.pk, actor=shop.staff, delivery_content="SN-0001-ABCD"
            )
        assert delivered.status == OrderStatus.DELIVERED
        assert Order.objects.get(pk=order.pk).delivery_content == "SN-0001-ABCD"
        assert "SN-0001-ABCD" in mailoutbox[-1].body
        assert mailoutbox[-1].to == [shop.user.email]
        event = OrderEvent.objects.filter(order=order).last()
        assert (event.from_status, event.to_status, event.actor) == (
            OrderStatus.PROCESSING,
            OrderStatus.DELIVERED,
            shop.staff,
        )
        solution = order.lines.first().solution
        assert not has_completed_order(shop.company, solution, order.number)
        completed = order_complete(order_id=order.pk, actor=shop.user)
        assert completed.status == OrderStatus.COMPLETED
        assert has_completed_order(shop.company, solution, order.number)
        assert not has_completed_order(make_company(), solution, order.number)

    def test_receipt_waits_for_every_milestone_but_staff_may_close(self, shop, order):
        milestone = milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
        order_deliver(order_id=order.pk, actor=shop.staff)
        with pytest.raises(FulfilmentError, match="every delivery milestone"):
            order_complete(order_id=order.pk, actor=shop.user)
        milestone_mark_delivered(milestone_id=milestone.pk, actor=shop.staff)
        milestone_confirm(milestone_id=milestone.pk, user=shop.user)
        order_complete(order_id=order.pk, actor=shop.user)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED

    def test_staff_close_a_delivered_order(self, shop, order):
        milestone_add(order_id=order.pk, actor=shop.staff, stage="上线")
        order_deliver(order_id=order.pk, actor=shop.staff)
        with pytest.raises(FulfilmentError, match="staff"):
            order_complete(order_id=order.pk, actor=shop.user, by_staff=True)
        order_complete(order_id=order.pk, actor=shop.staff, by_staff=True)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED

    def test_illegal_transitions_are_refused_and_change_nothing(self, shop, order):
        with pytest.raises(IllegalTransition):  # 处理中 → 已完成 skips delivery
            order_complete(order_id=order.pk, actor=shop.staff, by_staff=True)
        unpaid = shop.place()
        with pytest.raises(IllegalTransition):  # 待支付 → 已交付
            order_deliver(order_id=unpaid.pk, actor=shop.staff, delivery_content="SN")
        assert Order.objects.get(pk=unpaid.pk).delivery_content == ""
        order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-1")
        with pytest.raises(IllegalTransition):  # 已交付 → 已交付
            order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-2")
        assert Order.objects.get(pk=order.pk).delivery_content == "SN-1"
        stranger = make_partner_user(make_company())
        with pytest.raises(FulfilmentError):
            order_complete(order_id=order.pk, actor=stranger)
        with pytest.raises(FulfilmentError, match="staff"):
            order_deliver(order_id=unpaid.pk, actor=shop.user)
        order_complete(order_id=order.pk, actor=shop.user)
        with pytest.raises(BillingError):  # 已完成 is final
            order_cancel(order_id=order.pk, actor=shop.staff, reason="x", by_staff=True)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
