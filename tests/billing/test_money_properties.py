"""Property-based checkout money test (issue 14 finding 7): random prices, quantities,
coupons (face value, threshold, minimum quantity, solutions), rebates, wallet balances and
credit in whole cents, placed as real orders through ``checkout_place_order``.

For every input the outcome matches a model computed here in integer cents:
- accepted: payable = goods − coupon − rebate exactly, the coupon never exceeds the lines it
  applies to, the wallet and the credit line moved by exactly the rebate and the credit amount;
- refused: a ``BillingError`` with the expected code, and nothing changed;
- never an ``IntegrityError`` or any other exception;
- the wallet's and the credit line's balances equal the sums of their entries after every
  example, and ``ledger_mismatches`` (``check_ledgers``) finds nothing at the end.

It runs 500 examples on SQLite in the normal pass and the same 500 on PostgreSQL in the
PostgreSQL pass (decimals are floats in SQLite's SQL arithmetic, numerics in PostgreSQL's).
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Case, Count, Sum, Value, When
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from backoffice.core.money import to_money
from billing.models import (
    Coupon,
    CouponStatus,
    CreditAccount,
    CreditPayCode,
    Order,
    OrderStatus,
    RebateWallet,
)
from billing.selectors import ledger_mismatches
from billing.services import wallet
from billing.services.checkout import LineInput, checkout_place_order
from billing.services.credit import _code_hash
from billing.services.errors import BillingError
from catalog.models import Sku
from partners.models import EndCustomer
from tests.billing.factories import CouponCampaignFactory, CouponFactory
from tests.billing.helpers import make_company, make_partner_user
from tests.catalog.factories import PublishedSolutionFactory, SkuFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = 500
CODE = "424242"
CENT = Decimal("0.01")
BIG = 10**8  # ¥1,000,000.00


def money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def cents(amount: Decimal) -> int:
    return int(amount / CENT)


# Small amounts hit the cents cases (¥10.70 − ¥10 − ¥0.50); large ones the big sums.
amounts = st.one_of(st.integers(0, 2_000), st.integers(0, 100_000), st.integers(0, BIG))
quantities = st.one_of(st.integers(1, 5), st.integers(1, 9999))


@st.composite
def checkouts(draw):
    skus = draw(st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True))
    coupon = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "face": st.integers(1, BIG),
                "threshold": st.one_of(st.just(0), amounts),
                "min_quantity": st.integers(0, 3),
                "solutions": st.sets(st.sampled_from("AB")),
            }
        )
    )
    return {
        "lines": [(sku, draw(amounts), draw(quantities)) for sku in skus],
        "coupon": coupon,
        "rebate": draw(st.one_of(st.just(0), amounts)),
        "balance": draw(amounts),
        "method": draw(st.sampled_from(["online", "offline", "credit"])),
        "available": draw(amounts),
    }


class World:
    """One company, its user and customer, and three SKUs (two of solution A, one of B),
    built once; every example re-prices the SKUs and sets the balances it needs with a few
    queries (the PostgreSQL pass runs the same 500 examples)."""

    def __init__(self):
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.company = make_company()
        self.user = make_partner_user(self.company)
        self.customer = EndCustomer.objects.create(
            company=self.company, name="c", email="c@example.com", company_name="C Co"
        )
        a = PublishedSolutionFactory(name="Solution A", with_sku=False)
        b = PublishedSolutionFactory(name="Solution B", with_sku=False)
        self.solutions = {"A": a, "B": b}
        self.skus = [SkuFactory(solution=a), SkuFactory(solution=a), SkuFactory(solution=b)]
        self.wallet = RebateWallet.objects.get(company=self.company, currency="CNY")
        self.account = CreditAccount.objects.get(company=self.company, currency="CNY")
        self.balance, self.used = self.wallet.balance, self.account.used
        self.campaigns = {}

    def prices_set(self, lines) -> None:
        prices = {self.skus[sku].pk: money(price) for sku, price, _quantity in lines}
        Sku.objects.filter(pk__in=prices).update(
            unit_price=Case(*(When(pk=pk, then=Value(p)) for pk, p in prices.items()))
        )

    def wallet_set(self, cents_wanted: int) -> None:
        """Grant or claw back the difference (a real posting, so the ledger stays whole)."""
        difference = money(cents_wanted) - self.balance
        post = wallet.wallet_grant if difference > 0 else wallet.wallet_clawback
        if difference:
            post(
                company_id=self.company.pk,
                currency="CNY",
                amount=abs(difference),
                actor=self.staff,
                reason="test",
            )

    def credit_set(self, available_cents: int) -> None:
        CreditAccount.objects.filter(pk=self.account.pk).update(
            credit_limit=self.used + money(available_cents)
        )

    def coupon(self, spec) -> Coupon:
        """A coupon of a campaign with these terms (campaigns are shared between examples)."""
        terms = (spec["face"], spec["threshold"], spec["min_quantity"], *sorted(spec["solutions"]))
        campaign = self.campaigns.get(terms)
        if campaign is None:
            campaign = self.campaigns[terms] = CouponCampaignFactory(
                name="p",
                face_value=money(spec["face"]),
                threshold_amount=money(spec["threshold"]),
                min_quantity=spec["min_quantity"],
                quantity=10**6,
                created_by=self.staff,
            )
            campaign.solutions.set([self.solutions[name] for name in sorted(spec["solutions"])])
        return CouponFactory(
            campaign=campaign, company=self.company, code=uuid.uuid4().hex[:8].upper()
        )

    def state(self, coupon_id) -> tuple:
        """Balances, entry counts and orders; the ledger invariant (balance = Σ entries) too."""
        wallet_row = (
            RebateWallet.objects.filter(pk=self.wallet.pk)
            .annotate(n=Count("entries"), total=Sum("entries__amount"))
            .values_list("balance", "n", "total")[0]
        )
        credit_row = (
            CreditAccount.objects.filter(pk=self.account.pk)
            .annotate(n=Count("entries"), total=Sum("entries__amount"))
            .values_list("used", "n", "total")[0]
        )
        for balance, _n, total in (wallet_row, credit_row):
            assert balance == to_money(total or 0), (balance, total)
        self.balance, self.used = wallet_row[0], credit_row[0]
        return (
            wallet_row[:2],
            credit_row[:2],
            Order.objects.filter(company=self.company).count(),
            Coupon.objects.get(pk=coupon_id).status if coupon_id else None,
        )


def expected(case) -> tuple[str | None, dict]:
    """The outcome in integer cents: (refusal code or None, the amounts)."""
    goods = sum(price * quantity for _sku, price, quantity in case["lines"])
    discount = 0
    spec = case["coupon"]
    if spec is not None:
        names = spec["solutions"] or {"A", "B"}
        eligible = [
            (price, quantity)
            for sku, price, quantity in case["lines"]
            if ("A" if sku < 2 else "B") in names
        ]
        total = sum(price * quantity for price, quantity in eligible)
        if (
            not eligible
            or total < spec["threshold"]
            or sum(q for _p, q in eligible) < spec["min_quantity"]
        ):
            return "coupon", {}
        discount = min(spec["face"], total)
    rebate = case["rebate"]
    if rebate > goods - discount:
        return "rebate", {}
    payable = goods - discount - rebate
    credit = payable if case["method"] == "credit" else 0
    if rebate > case["balance"]:
        return "insufficient", {}
    if credit > case["available"]:
        return "insufficient", {}
    return None, {
        "goods": goods,
        "discount": discount,
        "rebate": rebate,
        "payable": payable,
        "credit": credit,
    }


def prepare(case, world: World) -> dict:
    """Price the SKUs, set the balances, issue the coupon: the checkout's arguments."""
    world.prices_set(case["lines"])
    world.wallet_set(case["balance"])
    world.credit_set(case["available"])
    coupon = world.coupon(case["coupon"]) if case["coupon"] is not None else None
    key = str(uuid.uuid4())
    use_credit = case["method"] == "credit"
    if use_credit:
        CreditPayCode.objects.create(
            user=world.user,
            purpose=f"checkout:{key}",
            code_hash=_code_hash(CODE, world.user.pk, f"checkout:{key}"),
            expires_at=timezone.now() + timedelta(hours=1),
        )
    return {
        "user": world.user,
        "lines": [LineInput(world.skus[sku].pk, quantity) for sku, _p, quantity in case["lines"]],
        "end_customer_id": world.customer.pk,
        "payment_method": "online" if use_credit else case["method"],
        "idempotency_key": key,
        "coupon_id": coupon.pk if coupon else None,
        "rebate_amount": money(case["rebate"]),
        "use_credit": use_credit,
        "credit_code": CODE if use_credit else "",
    }


def test_checkout_money_is_exact_for_any_prices_coupons_and_rebates():
    world = World()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=checkouts())
    def check(case):
        refusal, amounts_ = expected(case)
        event(f"refused: {refusal}" if refusal else "placed")
        kwargs = prepare(case, world)
        before = world.state(kwargs["coupon_id"])
        try:
            order = checkout_place_order(**kwargs)
        except BillingError as exc:
            assert refusal is not None, (case, exc)
            assert exc.code == refusal, (case, exc.code, exc)
            assert world.state(kwargs["coupon_id"]) == before  # nothing changed
        else:
            assert refusal is None, (case, refusal)
            order.refresh_from_db()
            stored = {
                "goods": cents(order.goods_total),
                "discount": cents(order.coupon_discount),
                "rebate": cents(order.rebate_amount),
                "payable": cents(order.payable_total),
                "credit": cents(order.credit_amount),
            }
            assert stored == amounts_, case
            assert order.payable_total == (
                order.goods_total - order.coupon_discount - order.rebate_amount
            )
            after = world.state(kwargs["coupon_id"])
            assert after[0][0] == before[0][0] - order.rebate_amount  # wallet balance
            assert after[1][0] == before[1][0] + order.credit_amount  # credit used
            assert after[2] == before[2] + 1
            assert after[3] in (None, CouponStatus.USED)
            paid = order.payable_total == order.credit_amount
            assert (order.status == OrderStatus.PROCESSING) == paid

    check()
    report = ledger_mismatches()
    assert not [v for v in report.values() if isinstance(v, list) and v], report
