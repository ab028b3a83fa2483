"""A two-tier world: distributors with sub-resellers, users, a credit line, a shop."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.services.checkout import LineInput, checkout_place_order
from billing.services.delegated import credit_allocate, credit_reclaim
from partners.models import CompanyRole, CompanyType, EndCustomer
from tests.billing.helpers import make_company, make_partner_user, set_credit_limit
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.factories import UserFactory


class Tree:
    """Distributor ``dist`` (line ``limit``) with sub-reseller ``sub``; ``other`` is another
    distributor with its own sub-reseller ``other_sub``."""

    def __init__(self, *, limit="1000.00", sku_price="100.00"):
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.dist = self._distributor()
        self.admin = make_partner_user(self.dist)
        self.co_admin = make_partner_user(self.dist, role=CompanyRole.CO_ADMIN)
        self.sub = self._sub(self.dist)
        self.sub_user = make_partner_user(self.sub)
        self.other = self._distributor()
        self.other_admin = make_partner_user(self.other)
        self.other_sub = self._sub(self.other)
        if Decimal(limit):
            set_credit_limit(self.dist, self.staff, limit)
            set_credit_limit(self.other, self.staff, limit)
        self.customer = EndCustomer.objects.create(
            company=self.sub, name="c", email="c@example.com", company_name="End Co"
        )
        solution = PublishedSolutionFactory(with_sku=False)
        self.sku = SkuFactory(solution=solution, unit_price=Decimal(sku_price))

    @staticmethod
    def _distributor():
        company = make_company()
        company.company_type = CompanyType.DISTRIBUTOR
        company.save(update_fields=["company_type"])
        return company

    @staticmethod
    def _sub(parent):
        company = make_company()
        company.parent = parent
        company.save(update_fields=["parent"])
        return company

    def allocate(self, amount, *, reason="season", **kwargs):
        return self._move(credit_allocate, amount, reason=reason, **kwargs)

    def reclaim(self, amount, *, reason="unused", **kwargs):
        return self._move(credit_reclaim, amount, reason=reason, **kwargs)

    def _move(self, service, amount, *, actor=None, reseller=None, **kwargs):
        """Call ``credit_allocate``/``credit_reclaim`` in CNY, by the distributor's admin
        for the sub-reseller unless ``actor``/``reseller`` say otherwise."""
        return service(
            actor=actor or self.admin,
            reseller_id=(reseller or self.sub).pk,
            currency="CNY",
            amount=amount,
            **kwargs,
        )

    def buy_on_credit(self, quantity=1, *, key=None, user=None):
        """The sub-reseller's checkout on credit with its code (``CODE``, stored directly)."""
        key = key or str(uuid.uuid4())
        user = user or self.sub_user
        give_code(user, f"checkout:{key}")
        return checkout_place_order(
            user=user,
            lines=[LineInput(self.sku.pk, quantity)],
            end_customer_id=self.customer.pk,
            payment_method="online",
            idempotency_key=key,
            use_credit=True,
            credit_code=CODE,
        )


CODE = "424242"


def give_code(user, purpose: str) -> None:
    """A credit-pay code ``CODE`` for ``purpose``, as if mailed."""
    from billing.models import CreditPayCode
    from billing.services.credit import _code_hash

    CreditPayCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=_code_hash(CODE, user.pk, purpose),
        expires_at=timezone.now() + timedelta(minutes=10),
    )
