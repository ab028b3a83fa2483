"""A company with open items of every kind a bank line may settle, and the 6-line bank
file of the acceptance test: 3 lines matched by reference, 1 by payer account, 1
ambiguous, 1 unknown."""

from datetime import timedelta

from billing.models import BankAccount, BankStatementProfile, Bill
from billing.services import bills as bill_services
from billing.services import credit
from billing.services.orders import payment_submit_offline
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.billing.bank_helpers import generic_csv
from tests.billing.helpers import charge_credit, submit_offline_repayment
from tests.billing.order_helpers import Shop
from tests.factories import UserFactory

PAYER = "6222 0000 1111"
GENERIC_PROFILE = "通用格式 (Generic)"


def finance_user(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(staff_roles_sync()[StaffRole.FINANCE])
    return user


class BankWorld:
    def __init__(self):
        self.shop = Shop(rebate="0")
        self.company = self.shop.company
        self.maker = finance_user()
        self.checker = finance_user()
        today = credit.local_today()
        self.today = today
        for amount, days_ago in (("120", 3), ("30", 1)):
            key = f"bill-{self.company.pk}-{days_ago}"
            charge_credit(self.company, amount, days_ago=days_ago, order_number=key, key=key)
            bill_services.bills_generate(until=today - timedelta(days=days_ago))
        self.bill, self.repaid_bill = Bill.objects.filter(account__company=self.company).order_by(
            "pk"
        )
        self.repayment = submit_offline_repayment(
            self.company, [self.repaid_bill], self.shop.user, payer_account=PAYER
        )
        self.reported = self.shop.place(payment_method="offline")
        self.payment = payment_submit_offline(
            order_id=self.reported.pk,
            user=self.shop.user,
            payer_account=PAYER,
            paid_on=today,
            transfer_reference="",
        )
        self.unreported = self.shop.place(payment_method="offline")
        assert self.unreported.amount_due == self.payment.amount  # the ambiguous pair
        self.bank = BankAccount.objects.create(
            name="招商银行上海分行", bank_name="招商银行", account_number="31001234", currency="CNY"
        )
        self.profile = BankStatementProfile.objects.get(name=GENERIC_PROFILE)

    def rows(self) -> list[tuple]:
        day = self.today.isoformat()
        due = f"{self.payment.amount:.2f}"
        return [
            (day, due, "CNY", f"付款 {self.payment.reference}", "Buyer", "9999", "B001"),
            (day, due, "CNY", f"订单 {self.unreported.number}", "Buyer", "9999", "B002"),
            (day, f"{self.bill.amount:.2f}", "CNY", f"还款 {self.bill.number}", "", "", "B003"),
            (day, f"{self.repayment.amount:.2f}", "CNY", "还款", "Buyer", PAYER, "B004"),
            (day, due, "CNY", "货款", "Buyer", PAYER, "B005"),
            (day, "12.37", "CNY", "利息", "招商银行", "", "B006"),
        ]

    def file(self) -> bytes:
        return generic_csv(self.rows())

    def assert_all_settled(self) -> None:
        """The 4 matched lines confirmed: every order, payment, repayment and bill moved
        as when finance confirms each alone."""
        from billing.models import (
            BillStatus,
            OrderStatus,
            PaymentRecordStatus,
            PaymentStatus,
            RepaymentStatus,
        )

        self.payment.refresh_from_db()
        assert self.payment.status == PaymentRecordStatus.SUCCEEDED
        for order in (self.reported, self.unreported):
            order.refresh_from_db()
            assert (order.status, order.payment_status) == (
                OrderStatus.PROCESSING,
                PaymentStatus.PAID,
            )
        self.repayment.refresh_from_db()
        assert self.repayment.status == RepaymentStatus.CONFIRMED
        for bill in (self.bill, self.repaid_bill):
            bill.refresh_from_db()
            assert bill.status == BillStatus.SETTLED
