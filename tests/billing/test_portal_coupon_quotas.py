"""优惠券额度 in the portal: the distributor's 管理员 hands out and reclaims; the co-admin
only looks; sub-resellers and other distributors get 404s; query counts stay constant."""

import re

import pytest
from django.urls import reverse

from billing.models import Coupon, CouponMove, CouponQuota
from billing.services.coupon_quotas import coupon_hand_out
from tests.billing.coupon_quota_helpers import Distribution, make_distribution_company
from tests.billing.helpers import make_partner_user
from tests.pages import get_queries

pytestmark = pytest.mark.django_db

LIST = reverse("portal:account_coupon_quotas")


def detail(world) -> str:
    return reverse("portal:account_coupon_quota", args=[world.quota.pk])


def post(client, world, action="hand_out", **data):
    fields = {
        "reseller": world.reseller.pk,
        "count": 1,
        "reason": "",
        "expected_handed_out": world.refresh().handed_out,
        **data,
    }
    return client.post(
        detail(world), {"action": action, **{f"{action}-{k}": v for k, v in fields.items()}}
    )


def state(world):
    return (
        list(Coupon.objects.filter(quota=world.quota).values_list("pk", "company_id")),
        CouponMove.objects.count(),
        CouponQuota.objects.get(pk=world.quota.pk).handed_out,
    )


def test_admin_hands_out_and_reclaims(client):
    world = Distribution(quantity=5)
    client.force_login(world.admin)
    page = client.get(detail(world)).content.decode()
    # the choice list holds the distributor's own sub-resellers only
    options = set(re.findall(r'<option value="(\d+)"', page))
    assert options == {str(r.pk) for r in world.resellers}
    response = post(client, world, count=3, reason="新客户")
    assert response.status_code == 302
    assert Coupon.objects.filter(company=world.reseller).count() == 3
    response = post(client, world, action="reclaim", count=1)
    assert response.status_code == 302
    assert world.refresh().handed_out == 2
    listing = client.get(LIST).content.decode()
    assert 'data-table="coupon-moves"' in listing and "新客户" in listing


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"count": 6}, id="over-quota"),
        pytest.param({"count": 0}, id="zero"),
        pytest.param({"count": -2}, id="negative"),
        pytest.param({"expected_handed_out": 3}, id="stale"),
        pytest.param({"reseller": "foreign"}, id="foreign-reseller"),
    ],
)
def test_bad_input_is_a_translated_form_error_and_changes_nothing(client, data):
    world = Distribution(quantity=5)
    if data.get("reseller") == "foreign":
        data["reseller"] = make_distribution_company(
            parent=make_distribution_company(distributor=True)
        ).pk
    client.force_login(world.admin)
    before = state(world)
    response = post(client, world, **data)
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.findall(r'class="(?:field-error|form-errors)"[^>]*>(?:<p>)?([^<]+)', html)
    assert errors and all(re.search(r"[\u4e00-\u9fff]", e) for e in errors), errors  # Chinese
    assert state(world) == before


def test_co_admin_may_look_but_not_hand_out(client):
    world = Distribution(quantity=2)
    client.force_login(world.co_admin)
    assert client.get(LIST).status_code == 200
    page = client.get(detail(world)).content.decode()
    assert 'data-form="hand_out"' not in page
    before = state(world)
    assert post(client, world).status_code == 404
    assert state(world) == before


def test_sub_reseller_and_other_distributor_get_404(client):
    world, other = Distribution(), Distribution()
    client.force_login(world.reseller_admins[0])
    assert client.get(LIST).status_code == 404
    assert client.get(detail(world)).status_code == 404
    assert post(client, world).status_code == 404
    client.force_login(other.admin)
    before = state(world)
    assert client.get(detail(world)).status_code == 404
    assert post(client, world, reseller=other.reseller.pk).status_code == 404
    assert state(world) == before


def test_sub_reseller_sees_the_distributor_as_source(client):
    world = Distribution(quantity=2)
    coupon_hand_out(
        actor=world.admin, quota_id=world.quota.pk, reseller_id=world.reseller.pk, count=1
    )
    client.force_login(world.reseller_admins[0])
    page = client.get(reverse("portal:assets_coupons")).content.decode()
    assert f'<td data-col="source">{world.distributor.name}</td>' in page


def test_query_counts_do_not_grow_with_resellers_coupons_or_moves(client):
    world = Distribution(subs=1, quantity=40)
    client.force_login(world.admin)
    coupon_hand_out(
        actor=world.admin, quota_id=world.quota.pk, reseller_id=world.reseller.pk, count=1
    )
    get_queries(client, LIST)  # the first request after signing in does more (session)
    small = (get_queries(client, LIST), get_queries(client, detail(world)))
    for _ in range(6):
        reseller = make_distribution_company(parent=world.distributor)
        make_partner_user(reseller)
        coupon_hand_out(
            actor=world.admin, quota_id=world.quota.pk, reseller_id=reseller.pk, count=3
        )
    world.refresh()
    assert (get_queries(client, LIST), get_queries(client, detail(world))) == small
    # the sub-reseller's 我的资产 coupons page too
    client.force_login(world.reseller_admins[0])
    coupons = reverse("portal:assets_coupons")
    get_queries(client, coupons)
    one = get_queries(client, coupons)
    coupon_hand_out(
        actor=world.admin, quota_id=world.quota.pk, reseller_id=world.reseller.pk, count=5
    )
    assert get_queries(client, coupons) == one
