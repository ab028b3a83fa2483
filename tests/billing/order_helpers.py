"""Builders for order tests: a company with a user, a customer, money and two SKUs."""

import uuid
from datetime import date
from decimal import Decimal

from billing.models import Order, OrderStatus
from billing.services import coupons
from billing.services.checkout import LineInput, checkout_place_order
from billing.services.orders import payment_confirm_offline, payment_submit_offline
from partners.models import EndCustomer
from tests.billing.factories import CouponCampaignFactory
from tests.billing.helpers import grant_rebate, make_company, make_partner_user, set_credit_limit
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.factories import UserFactory


class Shop:
    def __init__(self, *, rebate="100.00", credit_limit="1000.00", coupon_value="10.00"):
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.company = make_company()
        self.user = make_partner_user(self.company)
        self.customer = EndCustomer.objects.create(
            company=self.company,
            name="test2",
            email="customer@example.com",
            company_name="BlueCloud_O",
        )
        solution = PublishedSolutionFactory(name="SaaSaMe Transport", with_sku=False)
        self.sku = SkuFactory(
            solution=solution, unit_price=Decimal("107.00"), plan_name="迁移至蓝云"
        )
        self.sku2 = SkuFactory(
            solution=solution, unit_price=Decimal("50.00"), plan_name="DR", kind="service"
        )
        if Decimal(rebate):
            grant_rebate(self.company, self.staff, rebate, reason="demo")
        if Decimal(credit_limit):
            set_credit_limit(self.company, self.staff, credit_limit)
        campaign = CouponCampaignFactory(
            name="双十一促销",
            face_value=coupon_value,
            threshold_amount="0",
            quantity=5,
            created_by=self.staff,
        )
        self.coupon = coupons.campaign_issue(campaign=campaign, company_ids=[self.company.pk])[0]

    def place(self, *, key=None, **kwargs):
        defaults = {
            "user": self.user,
            "lines": [LineInput(self.sku.pk, 1), LineInput(self.sku2.pk, 2)],
            "end_customer_id": self.customer.pk,
            "payment_method": "online",
            "idempotency_key": key or str(uuid.uuid4()),
        }
        return checkout_place_order(**{**defaults, **kwargs})


def paid_order(shop: Shop, **kwargs) -> Order:
    """An offline order whose transfer finance confirmed: 处理中 / 已付款, payable ¥207."""
    order = shop.place(payment_method="offline", **kwargs)
    payment = payment_submit_offline(
        order_id=order.pk, user=shop.user, payer_account="6222 0000 1111", paid_on=date.today()
    )
    payment_confirm_offline(payment_id=payment.pk, actor=shop.staff)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    return order
