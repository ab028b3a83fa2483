"""Builders for receipt tests: finance users and a company with two open bills, an offline
shop and Blue Cloud's CNY bank account."""

from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command

from billing.models import BankAccount, Bill, CreditAccount, Order
from billing.selectors.receipts import receipt_problems
from billing.services import bills as bill_services
from billing.services import credit
from billing.services.receipts import Allocation, receipt_post
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.billing.helpers import charge_credit
from tests.billing.order_helpers import Shop
from tests.factories import UserFactory

CNY = "CNY"


def finance_user():
    user = UserFactory(is_staff=True)
    user.groups.add(staff_roles_sync()[StaffRole.FINANCE])
    return user


class World:
    """A shop (company with a 1000 credit line) with two bills (120 and 30) and 50 used on
    top, two finance users and Blue Cloud's CNY bank account."""

    def __init__(self):
        self.shop = Shop(rebate="0", coupon_value="10.00")
        self.company = self.shop.company
        self.maker = finance_user()
        self.checker = finance_user()
        today = credit.local_today()
        for amount, days_ago in (("120", 3), ("30", 1)):
            key = f"bill-{self.company.pk}-{days_ago}"
            charge_credit(self.company, amount, days_ago=days_ago, order_number=key, key=key)
            bill_services.bills_generate(until=today - timedelta(days=days_ago))
        self.bills = list(Bill.objects.filter(account__company=self.company).order_by("pk"))
        key = f"unbilled-{self.company.pk}"
        charge_credit(self.company, "50", order_number=key, key=key)
        self.bank, _created = BankAccount.objects.get_or_create(
            account_number="1219 0000 0001",
            defaults={"name": "招商银行上海分行", "bank_name": "招商银行", "currency": CNY},
        )

    @property
    def used(self) -> Decimal:
        return CreditAccount.objects.get(company=self.company, currency=CNY).used

    def post(self, amount, allocations=(), reference="CMB20261203001", actor=None, **kwargs):
        return receipt_post(
            actor=actor or self.maker,
            company_id=kwargs.pop("company_id", self.company.pk),
            bank_account_id=self.bank.pk,
            amount=amount,
            currency=CNY,
            value_date=credit.local_today(),
            bank_reference=reference,
            payer_name="蓝云测试渠道",
            payer_account="6222 0000 1111",
            allocations=allocations,
            **kwargs,
        )

    def bills_allocation(self, bills=None) -> Allocation:
        bills = bills or self.bills
        return Allocation("bills", tuple(b.pk for b in bills), sum(b.amount for b in bills))

    def offline_order(self) -> Order:
        return self.shop.place(payment_method="offline")


def ledgers_clean() -> None:
    call_command("check_ledgers")  # raises CommandError on any mismatch
    assert receipt_problems() == []
