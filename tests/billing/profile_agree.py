"""Profile of the 同意 POST (issue 19): not collected by the suite (no ``test_`` prefix);
run it explicitly to see where the request's time goes:

    .venv/bin/pytest -q -s -p no:cacheprovider tests/billing/profile_agree.py

Each round opens a checkout, posts the e-order step (which caches the quote), then
profiles only the 同意 POST (offline payment, coupon and rebate spent). The on-commit PDF
task does not run inside the test's transaction, as it does not run in the request.
"""

import cProfile
import io
import pstats
import time

import pytest
from django.core.cache import cache

from billing.services import coupons
from tests.billing.factories import CouponCampaignFactory
from tests.billing.portal_order_helpers import (
    CHECKOUT,
    carried,
    checkout_data,
    html_of,
    start_checkout,
)

pytestmark = pytest.mark.django_db
ROUNDS = 8


def test_profile_agree(signed_in, shop):
    cache.clear()
    shop.place()  # counters exist
    campaign = CouponCampaignFactory(
        face_value="10.00", threshold_amount="0", quantity=ROUNDS, created_by=shop.staff
    )
    issued = [
        coupons.coupon_create(campaign=campaign, company_id=shop.company.pk) for _ in range(ROUNDS)
    ]
    profile = cProfile.Profile()
    elapsed = []
    for coupon in issued:
        fields = {
            "end_customer": shop.customer.pk,
            "payment_method": "offline",
            "use_coupon": "yes",
            "coupon": coupon.pk,
            "use_rebate": "yes",
            "rebate_amount": "1",
        }
        html = start_checkout(signed_in, shop)
        html = html_of(
            signed_in.post(CHECKOUT, checkout_data(html, action="recalculate", **fields))
        )
        confirm = html_of(signed_in.post(CHECKOUT, checkout_data(html, action="submit", **fields)))
        agree = {**carried(confirm), "action": "agree"}
        start = time.perf_counter()
        profile.enable()
        response = signed_in.post(CHECKOUT, agree)
        profile.disable()
        elapsed.append(time.perf_counter() - start)
        assert response.status_code == 302
    elapsed.sort()
    print(f"\n同意 POST: median {elapsed[len(elapsed) // 2] * 1000:.1f} ms over {ROUNDS}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())
