"""Partner mails go to the company's 管理员, and to its co-admins where the mail kind says so.

A company here has a 协同管理员 as well as its 管理员: the co-admin's role value ``co_admin``
sorts before ``admin``, which is how the credit mails used to reach the co-admin alone.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from backoffice.core.models import OutboundEmail
from billing.models import Bill
from billing.services import bills as bill_services
from billing.services import credit
from billing.services.fulfilment import order_deliver
from billing.services.orders import payment_confirm_offline, payment_submit_offline
from partners.models import CompanyRole
from partners.selectors import company_mail_recipients
from tests.billing.helpers import charge_credit, make_company, make_partner_user, set_credit_limit
from tests.billing.order_helpers import Shop
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def recipients(template: str) -> list[str]:
    return list(
        OutboundEmail.objects.filter(template=template).order_by("pk").values_list("to", flat=True)
    )


@pytest.fixture
def company():
    company = make_company()
    # The co-admin first, so neither creation order nor e-mail order favours the admin.
    company.co_admin = make_partner_user(
        company, email="a-co-admin@example.com", role=CompanyRole.CO_ADMIN
    )
    company.admin = make_partner_user(company, email="z-admin@example.com")
    return company


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


def _limit(company, staff, limit="1000"):
    set_credit_limit(company, staff, limit)


def _charge(company, amount, key):
    charge_credit(company, amount, order_number=key, key=key)


def test_limit_change_and_usage_alerts_go_to_the_admin_only(company, staff):
    _limit(company, staff)
    _charge(company, "750", "c1")  # crosses 70 %
    _charge(company, "150", "c2")  # crosses 85 %
    assert recipients("billing/mail/credit_limit_updated") == ["z-admin@example.com"]
    assert recipients("billing/mail/credit_usage_alert") == ["z-admin@example.com"] * 2


def test_offline_consumption_goes_to_the_admin_only(company, staff):
    _limit(company, staff)
    credit.credit_offline_charge(
        company_id=company.pk, currency="CNY", amount="10", actor=staff, reason="线下使用"
    )
    assert recipients("billing/mail/credit_offline_charge") == ["z-admin@example.com"]


def test_bill_reminder_and_overdue_notice_go_to_admin_and_co_admins(company, staff):
    _limit(company, staff)
    _charge(company, "100", "c1")
    bill_services.bills_generate(until=credit.local_today())
    bill = Bill.objects.get(account__company=company)
    Bill.objects.filter(pk=bill.pk).update(due_date=credit.local_today() + timedelta(days=2))
    bill_services.bills_mark_overdue_and_remind()
    Bill.objects.filter(pk=bill.pk).update(due_date=credit.local_today() - timedelta(days=1))
    bill_services.bills_mark_overdue_and_remind()
    both = ["z-admin@example.com", "a-co-admin@example.com"]
    assert recipients("billing/mail/bill_due_soon") == both
    assert recipients("billing/mail/bill_overdue") == both


def test_order_mails_go_to_admin_and_co_admins():
    shop = Shop()
    co_admin = make_partner_user(shop.company, email="a-co@example.com", role=CompanyRole.CO_ADMIN)
    order = shop.place(payment_method="offline")
    payment = payment_submit_offline(
        order_id=order.pk, user=shop.user, payer_account="6222", paid_on=date.today()
    )
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    order_deliver(order_id=order.pk, actor=shop.staff, delivery_content="SN-1")
    delivered = recipients("billing/mail/order_delivered")
    assert delivered == [shop.user.email, co_admin.email]


def test_a_registration_attempt_for_a_company_without_admin_goes_to_its_co_admin(company):
    """partners.services uses the same selector: no active 管理员, its co-admin is told."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from partners.services import registration_submit
    from tests.factories import sales_staff
    from tests.files import pdf_bytes

    company.admin.is_active = False
    company.admin.save(update_fields=["is_active"])
    registration_submit(
        company_name=company.name,
        business_owner=sales_staff(),
        contact_name="张三",
        email="zhang.san@example.com",
        phone="13800001111",
        address="上海",
        files=[SimpleUploadedFile("licence.pdf", pdf_bytes(), "application/pdf")],
    )
    assert recipients("partners/mail/registration_attempt_company") == ["a-co-admin@example.com"]


class TestSelector:
    def test_admin_first_then_signed_in_co_admins(self, company):
        never_signed_in = make_partner_user(company, role=CompanyRole.CO_ADMIN)
        never_signed_in.activated_at = None
        never_signed_in.save(update_fields=["activated_at"])
        assert company_mail_recipients(company_id=company.pk) == ["z-admin@example.com"]
        assert company_mail_recipients(company_id=company.pk, include_co_admins=True) == [
            "z-admin@example.com",
            "a-co-admin@example.com",
        ]

    def test_without_an_active_admin_the_co_admins_stand_in(self, company):
        company.admin.deleted_at = timezone.now()
        company.admin.save(update_fields=["deleted_at"])
        assert company_mail_recipients(company_id=company.pk) == ["a-co-admin@example.com"]

    def test_disabled_users_and_other_companies_get_nothing(self, company):
        company.co_admin.is_active = False
        company.co_admin.save(update_fields=["is_active"])
        make_partner_user(make_company(), email="stranger@example.com")
        assert company_mail_recipients(company_id=company.pk, include_co_admins=True) == [
            "z-admin@example.com"
        ]

    def test_one_query(self, company, django_assert_num_queries):
        with django_assert_num_queries(1):
            company_mail_recipients(company_id=company.pk, include_co_admins=True)
