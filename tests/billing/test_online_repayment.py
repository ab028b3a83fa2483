"""线上还款: started by the server (its reference drawn there, unique per company), paid at
the provider, recorded once from the provider's signed notification."""

import time

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.models import (
    Bill,
    BillStatus,
    CreditAccount,
    OnlineRepayment,
    PaymentRecordStatus,
    Repayment,
)
from billing.payments.sandbox import sign
from billing.services import bills as bill_services
from billing.services import credit, payments
from billing.services.errors import BillingError
from tests.billing.factories import OnlineRepaymentFactory
from tests.billing.helpers import (
    charge_credit,
    make_company,
    make_partner_user,
    set_credit_limit,
    submit_offline_repayment,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("portal:assets_repay_online")


def pay_url(online) -> str:
    return reverse("portal:assets_repay_online_pay", args=[online.reference])


def complete_url(online) -> str:
    return reverse("portal:assets_repay_online_complete", args=[online.reference])


def billed_company(amount="95.50"):
    company, staff = make_company(), UserFactory(is_staff=True)
    user = make_partner_user(company)
    set_credit_limit(company, staff)
    charge_credit(company, amount, order_number=f"o-{company.pk}", key=f"c-{company.pk}")
    bill_services.bills_generate(until=credit.local_today())
    return company, user, Bill.objects.get(account__company=company)


@pytest.fixture
def billed():
    return billed_company()


def start(company, user, bill) -> OnlineRepayment:
    return bill_services.repayment_online_start(
        company_id=company.pk, currency="CNY", bill_ids=[bill.pk], actor=user
    )


def test_cashier_pays_the_bill_and_restores_credit(client, billed):
    company, user, bill = billed
    client.force_login(user)
    page = client.get(URL, {"bills": bill.pk})
    assert page.status_code == 200 and "¥95.50" in page.content.decode()
    # A reference posted by the browser is ignored: the server draws its own.
    response = client.post(URL, {"bills": [bill.pk], "reference": "DD1"})
    online = OnlineRepayment.objects.get()
    assert online.reference.startswith("HK") and online.reference != "DD1"
    assert response["Location"] == pay_url(online)
    assert online.provider_reference == f"R{online.account_id}_{online.reference}"
    cashier = client.get(pay_url(online))
    assert cashier.status_code == 200 and online.reference in cashier.content.decode()

    response = client.post(complete_url(online))
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.SETTLED
    assert CreditAccount.objects.get(company=company, currency="CNY").used == 0
    online.refresh_from_db()
    assert online.status == PaymentRecordStatus.SUCCEEDED and online.repayment is not None
    assert online.repayment.provider_reference == online.provider_reference
    client.post(complete_url(online))  # again: nothing more
    payload, signature = bill_services.repayment_online_payload(online)
    payments.repayment_online_callback(payload=payload, signature=signature)  # replay
    assert Repayment.objects.count() == 1


def test_failed_payment_changes_nothing(client, billed):
    company, user, bill = billed
    client.force_login(user)
    online = start(company, user, bill)
    client.post(complete_url(online), {"outcome": "fail"})
    bill.refresh_from_db()
    online.refresh_from_db()
    assert bill.status == BillStatus.PENDING and not Repayment.objects.exists()
    assert online.status == PaymentRecordStatus.FAILED and online.confirmed_at is None


def test_another_companys_bill_or_repayment_is_404(client, billed):
    company, user, bill = billed
    online = start(company, user, bill)
    stranger = make_partner_user(make_company())
    client.force_login(stranger)
    assert client.get(URL, {"bills": bill.pk}).status_code == 404
    assert client.post(URL, {"bills": [bill.pk]}).status_code == 404
    assert client.get(pay_url(online)).status_code == 404
    assert client.post(complete_url(online)).status_code == 404
    bill.refresh_from_db()
    assert bill.status == BillStatus.PENDING and not Repayment.objects.exists()


@pytest.mark.parametrize("tamper", ["signature", "stale", "amount"])
def test_forged_or_stale_notifications_are_refused(billed, tamper):
    company, user, bill = billed
    online = start(company, user, bill)
    ts = int(time.time()) - (600 if tamper == "stale" else 0)
    payload, signature = bill_services.repayment_online_payload(online, ts=ts)
    if tamper == "signature":
        signature = "f" * 64
    if tamper == "amount":
        payload["amount"] = "1.00"
        signature = sign(payload)
    with pytest.raises(BillingError):
        payments.repayment_online_callback(payload=payload, signature=signature)
    bill.refresh_from_db()
    online.refresh_from_db()
    assert bill.status == BillStatus.PENDING and not Repayment.objects.exists()
    assert online.status == PaymentRecordStatus.PENDING


def test_references_are_unique_per_company_not_across_companies(billed):
    company, user, bill = billed
    other_company, other_user, other_bill = billed_company("10.00")
    mine = start(company, user, bill)
    theirs = start(other_company, other_user, other_bill)
    theirs.reference = mine.reference  # the same reference in another company: allowed
    theirs.save(update_fields=["reference"])
    assert mine.provider_reference != theirs.provider_reference
    with pytest.raises(IntegrityError), transaction.atomic():
        OnlineRepaymentFactory(
            account=mine.account, reference=mine.reference, amount="1.00", provider="sandbox"
        )
    # Each company's notification settles its own bill.
    for online in (mine, theirs):
        payload, signature = bill_services.repayment_online_payload(online)
        payments.repayment_online_callback(payload=payload, signature=signature)
    bill.refresh_from_db()
    other_bill.refresh_from_db()
    assert bill.status == other_bill.status == BillStatus.SETTLED


def test_money_for_bills_settled_meanwhile_is_a_refund_due(billed):
    company, user, bill = billed
    online = start(company, user, bill)
    finance = UserFactory(is_staff=True)
    offline = submit_offline_repayment(company, [bill], user)
    bill_services.repayment_confirm(repayment_id=offline.pk, actor=finance)
    payload, signature = bill_services.repayment_online_payload(online)
    online = payments.repayment_online_callback(payload=payload, signature=signature)
    assert online.status == PaymentRecordStatus.REFUND_DUE and online.confirmed_at
    assert online.repayment is None and online.refund_reason
    assert Repayment.objects.count() == 1  # the bill is settled once
    assert CreditAccount.objects.get(company=company, currency="CNY").used == 0


def test_no_online_repayment_while_an_offline_one_is_under_review(billed):
    company, user, bill = billed
    submit_offline_repayment(company, [bill], user)
    with pytest.raises(BillingError):
        start(company, user, bill)
    assert not OnlineRepayment.objects.exists()
