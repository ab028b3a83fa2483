"""Concurrency on PostgreSQL: row locks and conditional updates under real parallel transactions."""

import threading
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

from billing.models import (
    Coupon,
    CouponStatus,
    CreditAccount,
    CreditEntry,
    RebateWallet,
)
from billing.selectors import ledger_mismatches
from billing.services import bills as bill_services
from billing.services import coupons, credit
from billing.services.errors import BillingError
from tests.billing.factories import CouponCampaignFactory
from tests.billing.helpers import (
    charge_credit,
    grant_rebate,
    make_company,
    make_partner_user,
    set_credit_limit,
    spend_rebate,
    submit_offline_repayment,
)
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_parallel(count: int, work, workers: int = 16) -> Counter:
    """Run ``work(i)`` ``count`` times on ``workers`` threads started together; count outcomes."""
    outcomes: Counter = Counter()
    lock = threading.Lock()
    queue = list(range(count))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop()
            try:
                work(i)
                result = "ok"
            except BillingError:
                result = "refused"
            with lock:
                outcomes[result] += 1

    run_together(*[worker] * min(workers, count))
    return outcomes


def assert_ledgers_clean():
    report = ledger_mismatches()
    assert not any(v for v in report.values() if isinstance(v, list)), report


def test_64_concurrent_spends_of_10_on_100():
    company, staff = make_company(), UserFactory(is_staff=True)
    grant_rebate(company, staff, "100.00")

    def spend(i):
        spend_rebate(company, "10.00", order_number=f"o{i}", key=f"spend:{i}")

    outcomes = run_parallel(64, spend)
    assert outcomes == Counter({"ok": 10, "refused": 54})
    assert RebateWallet.objects.get(company=company, currency="CNY").balance == Decimal("0.00")
    assert_ledgers_clean()


def test_40_concurrent_credit_payments_of_50_against_1000():
    company, staff = make_company(), UserFactory(is_staff=True)
    set_credit_limit(company, staff)

    def pay(i):
        charge_credit(company, "50", order_number=f"o{i}", key=f"pay:{i}")

    outcomes = run_parallel(40, pay)
    assert outcomes == Counter({"ok": 20, "refused": 20})
    assert CreditAccount.objects.get(company=company, currency="CNY").used == Decimal("1000.00")
    assert_ledgers_clean()


def test_50_concurrent_redemptions_of_one_coupon():
    company, staff = make_company(), UserFactory(is_staff=True)
    campaign = CouponCampaignFactory(
        name="双十一促销", face_value="10", threshold_amount="0", quantity=1, created_by=staff
    )
    coupon = coupons.campaign_issue(campaign=campaign, company_ids=[company.pk])[0]
    lines = [
        coupons.CartLine(
            solution_id=1, region="cn", currency="CNY", amount=Decimal("100"), quantity=1
        )
    ]

    def redeem(i):
        coupons.coupon_redeem(
            coupon_id=coupon.pk, company_id=company.pk, order_number=f"o{i}", lines=lines
        )

    outcomes = run_parallel(50, redeem)
    assert outcomes == Counter({"ok": 1, "refused": 49})
    assert Coupon.objects.get(pk=coupon.pk).status == CouponStatus.USED


def test_confirming_one_offline_repayment_10_times_at_once_posts_one_entry():
    company, staff = make_company(), UserFactory(is_staff=True, is_superuser=True)
    user = make_partner_user(company)
    set_credit_limit(company, staff, "500")
    charge_credit(company, "120", key="c1")
    bill_services.bills_generate(until=credit.local_today())
    bill = company.credit_accounts.get(currency="CNY").bills.get()
    repayment = submit_offline_repayment(company, [bill], user, paid_on=date.today())

    outcomes = run_parallel(
        10, lambda i: bill_services.repayment_confirm(repayment_id=repayment.pk, actor=staff)
    )
    assert outcomes == Counter({"ok": 10})
    assert CreditEntry.objects.filter(entry_type="repayment").count() == 1
    assert CreditAccount.objects.get(company=company, currency="CNY").used == Decimal("0.00")
    assert_ledgers_clean()


def test_bill_run_in_two_workers_at_once_makes_one_bill():
    company, staff = make_company(), UserFactory(is_staff=True)
    set_credit_limit(company, staff, "500")
    charge_credit(company, "10", key="c1")
    today = credit.local_today()
    outcomes = run_parallel(2, lambda i: bill_services.bills_generate(until=today), workers=2)
    assert outcomes["ok"] == 2
    assert company.credit_accounts.get(currency="CNY").bills.count() == 1
    assert_ledgers_clean()


# --- checkout -------------------------------------------------------------------------


def _shop_with_users(count: int, **kwargs):
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import CreditPayCode
    from billing.services.credit import _code_hash
    from tests.billing.order_helpers import Shop

    shop = Shop(**kwargs)
    users = [make_partner_user(shop.company, role="co_admin") for _ in range(count)]
    for i, user in enumerate(users):
        CreditPayCode.objects.create(
            user=user,
            purpose=f"checkout:k{i}",
            code_hash=_code_hash("424242", user.pk, f"checkout:k{i}"),
            expires_at=timezone.now() + timedelta(minutes=10),
        )
    return shop, users


def test_32_concurrent_checkouts_never_overdraw_wallet_or_credit():
    from billing.models import Order
    from billing.services.checkout import LineInput

    shop, users = _shop_with_users(32, rebate="100.00", credit_limit="400.00")

    def checkout(i):
        shop.place(
            user=users[i],
            lines=[LineInput(shop.sku2.pk, 1)],
            key=f"k{i}",
            rebate_amount="10.00",
            use_credit=True,
            credit_code="424242",
        )

    outcomes = run_parallel(32, checkout)
    assert outcomes == Counter({"ok": 10, "refused": 22})
    assert Order.objects.count() == 10
    assert RebateWallet.objects.get(company=shop.company, currency="CNY").balance == Decimal("0.00")
    assert CreditAccount.objects.get(company=shop.company, currency="CNY").used == Decimal("400.00")
    assert_ledgers_clean()


def test_32_concurrent_checkouts_with_one_coupon_use_it_once():
    from billing.models import Order
    from billing.services.checkout import LineInput

    shop, users = _shop_with_users(32, rebate="0", credit_limit="0")

    def checkout(i):
        shop.place(
            user=users[i],
            lines=[LineInput(shop.sku2.pk, 1)],
            key=f"c{i}",
            coupon_id=shop.coupon.pk,
        )

    outcomes = run_parallel(32, checkout)
    assert outcomes == Counter({"ok": 1, "refused": 31})
    assert Order.objects.filter(coupon=shop.coupon).count() == 1


def test_same_submission_20_times_at_once_creates_one_order():
    from billing.models import Order
    from billing.services.checkout import LineInput
    from tests.billing.order_helpers import Shop

    shop = Shop()
    orders = []

    def submit(i):
        orders.append(
            shop.place(
                lines=[LineInput(shop.sku.pk, 1)],
                key="same-click",
                coupon_id=shop.coupon.pk,
                rebate_amount="7.00",
            ).pk
        )

    outcomes = run_parallel(20, submit)
    assert outcomes == Counter({"ok": 20})
    assert Order.objects.count() == 1 and len(set(orders)) == 1
    assert RebateWallet.objects.get(company=shop.company, currency="CNY").balance == Decimal(
        "93.00"
    )
    assert_ledgers_clean()


def test_a_checkout_rendering_its_contract_blocks_no_other_checkout(monkeypatch):
    """The contract PDF renders after the order commits (the task queued on commit): while
    one checkout renders it, its order is already stored, another company's checkout
    completes, and a console edit of the template is not held up (nothing is locked)."""
    import contracts.services as contract_services
    from billing.models import Order
    from billing.services.checkout import LineInput, checkout_place_order
    from contracts.models import ContractTemplate
    from tests.billing.order_helpers import Shop

    first, second = Shop(), Shop()
    rendering, release = threading.Event(), threading.Event()
    real_render = contract_services.render_contract_pdf
    seen = {}

    def slow_render(document):
        if threading.current_thread().name == "first":
            rendering.set()
            release.wait(timeout=30)
        return real_render(document)

    monkeypatch.setattr(contract_services, "render_contract_pdf", slow_render)

    def place(shop, key):
        try:
            seen[key] = checkout_place_order(
                user=shop.user,
                lines=[LineInput(shop.sku.pk, 1)],
                end_customer_id=shop.customer.pk,
                payment_method="offline",
                idempotency_key=key,
            ).number
        finally:
            connections.close_all()

    def template_edit_would_wait():
        from django.db import OperationalError, transaction

        try:
            with transaction.atomic():
                with connections["default"].cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                ContractTemplate.objects.select_for_update().filter(is_active=True).first()
            seen["edit"] = "got the lock"
        except OperationalError:
            seen["edit"] = "waited"
        finally:
            connections.close_all()

    one = threading.Thread(target=place, args=(first, "first-key"), name="first")
    one.start()
    assert rendering.wait(timeout=30)
    # Seen from another connection: the order was committed before its PDF renders.
    seen["committed"] = Order.objects.filter(idempotency_key="first-key").exists()
    two = threading.Thread(target=place, args=(second, "second-key"), name="second")
    two.start()
    two.join(timeout=20)
    finished_while_rendering = not two.is_alive() and "second-key" in seen
    edit = threading.Thread(target=template_edit_would_wait)
    edit.start()
    edit.join(timeout=20)
    release.set()
    one.join(timeout=30)

    assert seen["committed"]  # rendering started after the order's commit
    assert finished_while_rendering
    assert seen["edit"] == "got the lock"
    assert {"first-key", "second-key"} <= set(seen)
    assert Order.objects.count() == 2
    assert seen["first-key"] != seen["second-key"]
