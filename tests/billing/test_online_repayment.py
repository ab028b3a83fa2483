"""线上还款: the sandbox cashier and the signed, idempotent provider notification."""

import time

import pytest
from django.urls import reverse

from billing.models import Bill, BillStatus, CreditAccount, Repayment
from billing.services import credit
from billing.services.errors import BillingError
from tests.billing.helpers import make_company, make_partner_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("portal:assets_repay_online")


@pytest.fixture
def billed():
    company, staff = make_company(), UserFactory(is_staff=True)
    user = make_partner_user(company)
    credit.credit_limit_set(
        company_id=company.pk,
        currency="CNY",
        credit_limit="1000",
        term_days=30,
        actor=staff,
        reason="guarantee",
    )
    credit.credit_charge(
        company_id=company.pk,
        currency="CNY",
        amount="95.50",
        order_number="o1",
        actor=None,
        idempotency_key="c1",
    )
    credit.bills_generate(until=credit.local_today())
    return company, user, Bill.objects.get(account__company=company)


def test_cashier_pays_the_bill_and_restores_credit(client, billed):
    company, user, bill = billed
    client.force_login(user)
    page = client.get(URL, {"bills": bill.pk})
    assert page.status_code == 200 and "¥95.50" in page.content.decode()
    reference = page.context["reference"]
    response = client.post(URL, {"bills": [bill.pk], "reference": reference})
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.SETTLED
    assert CreditAccount.objects.get(company=company, currency="CNY").used == 0
    client.post(URL, {"bills": [bill.pk], "reference": reference})  # replay: nothing more
    assert Repayment.objects.count() == 1


def test_failed_payment_changes_nothing(client, billed):
    company, user, bill = billed
    client.force_login(user)
    client.post(URL, {"bills": [bill.pk], "reference": "DD1", "outcome": "fail"})
    bill.refresh_from_db()
    assert bill.status == BillStatus.PENDING and not Repayment.objects.exists()


def test_another_companys_bill_is_404(client, billed):
    _, _, bill = billed
    stranger = make_partner_user(make_company())
    client.force_login(stranger)
    assert client.get(URL, {"bills": bill.pk}).status_code == 404
    assert client.post(URL, {"bills": [bill.pk], "reference": "DDx"}).status_code == 404


@pytest.mark.parametrize("tamper", ["signature", "stale", "amount"])
def test_forged_or_stale_notifications_are_refused(billed, tamper):
    company, _, bill = billed
    ts = int(time.time()) - (600 if tamper == "stale" else 0)
    payload, signature = credit.repayment_online_payload(
        company_id=company.pk, currency="CNY", bill_ids=[bill.pk], reference="DD42", ts=ts
    )
    if tamper == "signature":
        signature = "f" * 64
    if tamper == "amount":
        payload["amount"] = "1.00"
        from billing.services.orders import _sign

        signature = _sign(payload)
    with pytest.raises(BillingError):
        credit.repayment_online_callback(payload=payload, signature=signature)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PENDING and not Repayment.objects.exists()
