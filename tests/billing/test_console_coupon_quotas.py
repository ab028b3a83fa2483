"""Console: finance issues a coupon quota to a distributor and sees quotas and moves;
a role without the right (销售) does not get the action."""

import pytest
from django.urls import reverse

from billing.models import Coupon, CouponMove, CouponQuota
from partners.services import staff_roles_sync
from partners.staff_roles import StaffRole
from tests.billing.coupon_quota_helpers import make_distribution_company
from tests.billing.factories import CouponCampaignFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff(client, role):
    user = UserFactory(is_staff=True)
    user.groups.add(staff_roles_sync()[role])
    client.force_login(user)
    return user


def test_finance_issues_a_quota_and_sees_quotas_and_moves(client):
    finance = staff(client, StaffRole.FINANCE)
    campaign = CouponCampaignFactory(quantity=10, created_by=finance)
    distributor = make_distribution_company(distributor=True)
    reseller = make_distribution_company(parent=distributor)
    action = reverse("admin:billing_couponcampaign_issue_quota_detail", args=[campaign.pk])
    page = client.get(action).content.decode()
    assert distributor.name in page and reseller.name not in page  # distributors only
    response = client.post(action, {"distributor": reseller.pk, "quantity": 3})
    assert response.status_code == 200 and not CouponQuota.objects.exists()
    response = client.post(action, {"distributor": distributor.pk, "quantity": 11})
    assert response.status_code == 200 and not CouponQuota.objects.exists()
    response = client.post(action, {"distributor": distributor.pk, "quantity": 3, "reason": "Q4"})
    assert response.status_code == 302
    quota = CouponQuota.objects.get()
    assert (quota.distributor, quota.quantity, quota.issued_by) == (distributor, 3, finance)
    assert Coupon.objects.filter(quota=quota, company=distributor).count() == 3
    assert CouponMove.objects.filter(quota=quota).count() == 3
    assert client.get(reverse("admin:billing_couponquota_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_couponmove_changelist")).status_code == 200


def test_sales_cannot_issue_a_quota(client):
    staff(client, StaffRole.SALES)
    campaign = CouponCampaignFactory(quantity=10)
    distributor = make_distribution_company(distributor=True)
    action = reverse("admin:billing_couponcampaign_issue_quota_detail", args=[campaign.pk])
    response = client.post(action, {"distributor": distributor.pk, "quantity": 3})
    assert response.status_code in (302, 403, 404)
    assert not CouponQuota.objects.exists()
    assert client.get(reverse("admin:billing_couponquota_changelist")).status_code in (403, 302)
