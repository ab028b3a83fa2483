"""Staff console, receipts (到账登记): the two-step post form, duplicates, the allocation
choices limited to the company, allocating the remainder, four-eyes, the attachment and
the company page's unallocated receipts."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from billing.models import (
    BillStatus,
    CreditEntry,
    OrderStatus,
    PaymentStatus,
    PendingPosting,
    Receipt,
    ReceiptStatus,
    Repayment,
)
from billing.services import credit
from billing.services.receipts import duplicate_receipt_error
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.billing.receipt_helpers import World, finance_user, ledgers_clean
from tests.factories import UserFactory
from tests.files import pdf_bytes, storage_in

pytestmark = pytest.mark.django_db

ADD = reverse("admin:billing_receipt_add")


@pytest.fixture
def world():
    return World()


@pytest.fixture
def finance(client, world):
    client.force_login(world.maker)
    return client


def add_url(company) -> str:
    return f"{ADD}?company={company.pk}"


def form_data(world, **overrides) -> dict:
    data = {
        "bank_account": world.bank.pk,
        "amount": "500.00",
        "currency": "CNY",
        "value_date": credit.local_today().isoformat(),
        "bank_reference": "CMB20261203001",
        "payer_name": "蓝云测试渠道",
        "payer_account": "6222 0000 1111",
        "memo": "",
        "bills": [bill.pk for bill in world.bills],
    }
    return {**data, **overrides}


def errors_of(response) -> str:
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_the_company_step_leads_to_the_transfer_form(finance, world):
    page = finance.get(ADD)
    assert page.status_code == 200
    assert world.company.name in page.content.decode()
    response = finance.post(ADD, {"company": world.company.pk})
    assert response.status_code == 302 and response["Location"] == add_url(world.company)
    form = finance.get(add_url(world.company))
    body = form.content.decode()
    assert form.status_code == 200
    assert all(bill.number in body for bill in world.bills)
    assert finance.get(f"{ADD}?company=999999").status_code == 404


def test_finance_posts_a_receipt_covering_two_bills_with_a_remainder(finance, world):
    response = finance.post(add_url(world.company), form_data(world), follow=True)
    receipt = Receipt.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:billing_receipt_change", args=[receipt.pk]
    )
    body = response.content.decode()
    assert receipt.number in body and "350.00" in body  # the remainder, in the message
    assert receipt.status == ReceiptStatus.PARTLY_ALLOCATED
    assert receipt.allocated == Decimal("150.00")
    for bill in world.bills:
        bill.refresh_from_db()
        assert bill.status == BillStatus.SETTLED
    assert world.used == Decimal("50.00")
    # The company page shows the receipt's unallocated remainder.
    company_page = finance.get(reverse("admin:partners_company_change", args=[world.company.pk]))
    assert receipt.number in company_page.content.decode()
    ledgers_clean()


def test_posting_the_same_transfer_twice_is_a_form_error(finance, world):
    finance.post(add_url(world.company), form_data(world))
    first = Receipt.objects.get()
    rows = (Receipt.objects.count(), Repayment.objects.count(), CreditEntry.objects.count())
    response = finance.post(add_url(world.company), form_data(world, bills=[]))
    assert response.status_code == 200
    with translation.override("zh-hans"):  # the console's language
        refusal = duplicate_receipt_error(first).messages[0]
    assert first.number in refusal and refusal in errors_of(response)
    assert (Receipt.objects.count(), Repayment.objects.count(), CreditEntry.objects.count()) == (
        rows
    )


def test_another_companys_bill_is_not_a_choice(finance, world):
    other = World()
    response = finance.post(add_url(world.company), form_data(world, bills=[other.bills[0].pk]))
    assert response.status_code == 200
    assert "bills" in response.context["form"].errors
    assert Receipt.objects.count() == 0
    other.bills[0].refresh_from_db()
    assert other.bills[0].status == BillStatus.PENDING


def test_allocating_over_the_amount_is_a_form_error(finance, world):
    response = finance.post(add_url(world.company), form_data(world, amount="100.00"))
    assert response.status_code == 200
    assert "¥150.00" in errors_of(response) and "¥100.00" in errors_of(response)
    assert Receipt.objects.count() == 0 and Repayment.objects.count() == 0


def test_the_remainder_is_allocated_later_to_an_offline_order(finance, world):
    finance.post(add_url(world.company), form_data(world, bills=[]))
    receipt = Receipt.objects.get()
    order = world.offline_order()
    allocate = reverse("admin:billing_receipt_allocate_detail", args=[receipt.pk])
    page = finance.get(allocate)
    assert page.status_code == 200 and order.number in page.content.decode()
    finance.post(allocate, {"orders": [order.pk]})
    order.refresh_from_db()
    receipt.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID and order.status == OrderStatus.PROCESSING
    assert receipt.allocated == order.amount_due
    ledgers_clean()


def test_above_the_threshold_the_receipt_waits_for_a_second_finance_user(
    client, finance, world, settings
):
    settings.FOUR_EYES_THRESHOLD = Decimal("400.00")
    response = finance.post(add_url(world.company), form_data(world), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    pending = PendingPosting.objects.get()
    assert pending.receipt.status == ReceiptStatus.AWAITING_APPROVAL
    assert world.used == Decimal("200.00")
    approve = reverse("admin:billing_pendingposting_approve_posting_detail", args=[pending.pk])
    finance.post(approve, {})  # the maker cannot approve
    assert Repayment.objects.count() == 0
    client.force_login(world.checker)
    client.post(approve, {})
    pending.receipt.refresh_from_db()
    assert pending.receipt.status == ReceiptStatus.PARTLY_ALLOCATED
    assert world.used == Decimal("50.00")
    ledgers_clean()


def test_the_attachment_is_stored_and_served_only_in_the_console_scope(
    client, finance, world, tmp_path, monkeypatch
):
    storage_in(tmp_path, monkeypatch, (Receipt, "attachment"))
    content = pdf_bytes()
    upload = SimpleUploadedFile("回单.pdf", content, content_type="application/pdf")
    finance.post(add_url(world.company), {**form_data(world, bills=[]), "attachment": upload})
    receipt = Receipt.objects.get()
    assert receipt.attachment and receipt.attachment_name == "回单.pdf"
    file_url = reverse("admin:billing_receipt_attachment", args=[receipt.pk])
    response = finance.get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    operations = UserFactory(is_staff=True)
    operations.groups.add(staff_roles_sync()[StaffRole.OPERATIONS])
    client.force_login(operations)
    assert client.get(file_url).status_code in (403, 404)


def test_a_fake_attachment_is_refused(finance, world):
    upload = SimpleUploadedFile("slip.pdf", b"not a pdf", content_type="application/pdf")
    response = finance.post(
        add_url(world.company), {**form_data(world, bills=[]), "attachment": upload}
    )
    assert response.status_code == 200 and "attachment" in response.context["form"].errors
    assert Receipt.objects.count() == 0


def test_only_finance_opens_the_receipt_form(client, world):
    for role in (StaffRole.OPERATIONS, StaffRole.SALES):
        user = UserFactory(is_staff=True)
        user.groups.add(staff_roles_sync()[role])
        client.force_login(user)
        assert client.get(ADD).status_code == 403, role
        assert client.get(reverse("admin:billing_receipt_changelist")).status_code == 403, role


def _receipts(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        world.post("10.00", reference=f"REF-{i}")


def _queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(address).status_code == 200
    return len(ctx.captured_queries)


def test_receipt_list_queries_do_not_grow_with_rows(finance, world):
    address = reverse("admin:billing_receipt_changelist")
    _receipts(world, 3, 0)
    finance.get(address)
    with_three = _queries(finance, address)
    _receipts(world, 12, 3)
    assert _queries(finance, address) == with_three


def test_bank_accounts_are_managed_by_finance(client, world):
    client.force_login(finance_user())
    changelist = reverse("admin:billing_bankaccount_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(
        reverse("admin:billing_bankaccount_add"),
        {
            "name": "美元户",
            "bank_name": "中国银行",
            "account_number": "4375 0000 9999",
            "currency": "USD",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert world.bank.__class__.objects.filter(currency="USD").exists()
