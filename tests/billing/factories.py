"""Factories (factory_boy) for the billing rows tests insert directly.

Each factory declares only what a row needs; tests pass the values they care about.
The money services (``coupons.campaign_issue``, ``wallet``, ``credit``, checkout) stay the
way to make issued coupons, ledger entries and orders.

- ``CouponCampaignFactory``: a CNY campaign of 10.00 × 10 by a staff member;
  ``solutions=[...]`` restricts it.
- ``CouponFactory``: one coupon of a campaign, given to a company (no issue service).
- ``PaymentFactory``: an offline payment of ``order``'s payable total, in its currency.
- ``InvoiceRequestFactory``: an ordinary invoice request (``invoice_fields`` values).
- ``RepaymentFactory`` / ``RepaymentBillFactory``: a bill repayment and its claim on a bill.
- ``OnlineRepaymentFactory``: an online repayment by the sandbox provider.
- ``StatementFactory``: a draft CNY statement of a company, no orders behind it.
"""

import uuid

import factory
from django.utils import timezone

from billing.models import (
    Coupon,
    CouponCampaign,
    InvoiceRequest,
    InvoiceType,
    OnlineRepayment,
    Payment,
    PaymentKind,
    Repayment,
    RepaymentBill,
    RepaymentMethod,
    Statement,
)
from tests.factories import UserFactory
from tests.partners.factories import CompanyFactory

TAX_ID = "91310000MA1FL0XX1X"


class CouponCampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CouponCampaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"优惠活动{n}")
    face_value = "10.00"
    quantity = 10
    created_by = factory.SubFactory(UserFactory, is_staff=True)

    @factory.post_generation
    def solutions(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.solutions.set(extracted)


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    campaign = factory.SubFactory(CouponCampaignFactory)
    company = factory.SubFactory(CompanyFactory)
    code = factory.LazyFunction(lambda: uuid.uuid4().hex[:8].upper())


class PaymentFactory(factory.django.DjangoModelFactory):
    """``order`` is required."""

    class Meta:
        model = Payment

    kind = PaymentKind.OFFLINE
    reference = factory.LazyFunction(lambda: f"DD{uuid.uuid4().int % 10**16:016d}")
    amount = factory.LazyAttribute(lambda payment: payment.order.payable_total)
    currency = factory.LazyAttribute(lambda payment: payment.order.currency)


class InvoiceRequestFactory(factory.django.DjangoModelFactory):
    """``order``, ``requested_by``, ``amount`` and ``currency`` are given by the test."""

    class Meta:
        model = InvoiceRequest

    invoice_type = InvoiceType.ORDINARY
    title = "上海蓝云网络科技有限公司"
    tax_id = TAX_ID
    email = "finance@example.com"


class RepaymentFactory(factory.django.DjangoModelFactory):
    """``account`` and ``amount`` are given by the test."""

    class Meta:
        model = Repayment

    method = RepaymentMethod.OFFLINE


class RepaymentBillFactory(factory.django.DjangoModelFactory):
    """``repayment`` and ``bill`` are given by the test; the claim is active by default."""

    class Meta:
        model = RepaymentBill


class OnlineRepaymentFactory(factory.django.DjangoModelFactory):
    """``account``, ``reference`` and ``amount`` are given by the test."""

    class Meta:
        model = OnlineRepayment

    provider = "sandbox"


class StatementFactory(factory.django.DjangoModelFactory):
    """``company``, ``number`` and the period are given by the caller
    (``tests.billing.statements.helpers.make_statement``)."""

    class Meta:
        model = Statement

    currency = "CNY"
    status = "draft"
    company_name = factory.LazyAttribute(lambda statement: statement.company.name)
    address = factory.LazyAttribute(lambda statement: statement.company.address)
    generated_at = factory.LazyFunction(timezone.now)
