"""个人中心 › API 密钥: the 管理员 creates a key (shown once), sees last use and revokes;
other roles do not reach the page; the console lists and revokes keys."""

import pytest
from django.urls import reverse

from partners.models import ApiKey, CompanyRole
from tests.api.helpers import Api, make_key
from tests.billing.helpers import make_partner_user


def test_admin_creates_a_key_shown_once_and_revokes_it(client, shop):
    client.force_login(shop.user)
    url = reverse("portal:account_api_keys")
    response = client.post(url, {"name": "ERP", "scopes": ["orders:read", "orders:write"]})
    assert response.status_code == 200
    key = ApiKey.objects.get(company=shop.company)
    secret = response.context["secret"]
    assert secret.startswith(f"bc_{key.prefix}_") and secret in response.content.decode()
    assert sorted(key.scopes) == ["orders:read", "orders:write"]
    assert secret not in client.get(url).content.decode()  # shown once
    assert Api(client, secret).get("/orders").status_code == 200
    response = client.post(reverse("portal:account_api_key_revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert Api(client, secret).get("/orders").status_code == 401


def test_a_key_needs_a_name_and_a_scope(client, shop):
    client.force_login(shop.user)
    response = client.post(reverse("portal:account_api_keys"), {"name": "ERP"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_co_admin_does_not_reach_the_page(client, shop):
    co = make_partner_user(shop.company, role=CompanyRole.CO_ADMIN)
    client.force_login(co)
    assert client.get(reverse("portal:account_api_keys")).status_code == 404


def test_a_key_stops_working_when_its_creator_is_no_longer_admin(client, shop):
    _key, raw = make_key(shop)
    shop.user.company_role = CompanyRole.CO_ADMIN
    shop.user.save(update_fields=["company_role"])
    response = Api(client, raw).get("/orders")
    assert (response.status_code, response.json()["code"]) == (401, "key_inactive")


@pytest.mark.django_db
def test_console_lists_and_revokes_keys(staff_client, shop):
    key, _raw = make_key(shop)
    changelist = reverse("admin:partners_apikey_changelist")
    assert key.name in staff_client.get(changelist).content.decode()
    response = staff_client.post(
        changelist, {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
