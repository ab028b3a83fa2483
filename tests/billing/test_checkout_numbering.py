"""Ledger-entry numbers without a shared hot row (issue 22, Also): rebate and credit entries
of different companies never wait for each other's transactions; numbers keep the manual's
formats and stay unique."""

import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, OperationalError, connections, transaction

from billing.models import RebateEntry
from billing.numbering import rebate_entry_number
from tests.billing.helpers import charge_credit, spend_rebate
from tests.billing.order_helpers import Shop

SHANGHAI = ZoneInfo("Asia/Shanghai")


def spend_and_charge(shop: Shop, key: str) -> tuple[str, str]:
    """A checkout's two ledger postings: rebate spent, credit charged."""
    spent = spend_rebate(
        shop.company, "1.00", order_number=key, key=f"{key}:rebate", actor=shop.user
    )
    charged = charge_credit(
        shop.company, "1.00", order_number=key, key=f"{key}:credit", actor=shop.user
    )
    return spent.number, charged.number


@pytest.mark.django_db
def test_rebate_numbers_keep_the_format_and_are_unique_across_companies():
    first, second = Shop(), Shop()
    numbers = [spend_and_charge(shop, f"k{i}")[0] for i, shop in enumerate([first, second] * 3)]
    today = datetime.now(SHANGHAI).strftime("%Y%m%d")
    assert all(re.fullmatch(rf"{today}\d{{6,}}", number) for number in numbers), numbers
    assert len(set(numbers)) == len(numbers)
    assert numbers == sorted(numbers, key=lambda n: int(n[8:]))


@pytest.mark.django_db
def test_a_repeated_number_is_refused_by_the_database():
    shop = Shop()
    entry = RebateEntry.objects.filter(wallet__company=shop.company).first()
    clone = RebateEntry(
        wallet=entry.wallet,
        number=entry.number,
        entry_type=entry.entry_type,
        amount=entry.amount,
        balance_after=entry.balance_after,
        idempotency_key="another",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()
    assert rebate_entry_number() != rebate_entry_number()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ledger_postings_of_another_company_do_not_wait_for_an_open_checkout():
    """Company A's checkout has posted its rebate and credit and is still open (as while
    it finishes its order); company B's postings complete at once, under a lock timeout
    that a shared numbering row would trip."""
    first, second = Shop(), Shop()
    posted, release = threading.Event(), threading.Event()
    seen: dict = {}

    def open_checkout():
        try:
            with transaction.atomic():
                seen["first"] = spend_and_charge(first, "open")
                posted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def other_company():
        try:
            with transaction.atomic():
                with connections["default"].cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                seen["second"] = spend_and_charge(second, "other")
        except OperationalError as exc:
            seen["second"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=open_checkout)
    holder.start()
    assert posted.wait(timeout=30)
    other = threading.Thread(target=other_company)
    other.start()
    other.join(timeout=20)
    release.set()
    holder.join(timeout=30)

    assert isinstance(seen["second"], tuple), seen["second"]
    assert set(seen["first"]).isdisjoint(seen["second"])
    assert RebateEntry.objects.filter(number__in=[seen["first"][0], seen["second"][0]]).count() == 2
