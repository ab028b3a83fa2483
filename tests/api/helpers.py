"""Partner API test plumbing: a shop (company, 管理员, customer, SKUs, money) with a key."""

import json

from partners.models import ApiKey, ApiScope, Company, CompanyType
from partners.services import api_key_create
from tests.billing.helpers import make_partner_user
from tests.billing.order_helpers import Shop

ALL_SCOPES = list(ApiScope.values)


def make_key(shop: Shop, scopes=None, **kwargs) -> tuple[ApiKey, str]:
    return api_key_create(
        company=shop.company,
        actor=shop.user,
        name=kwargs.pop("name", "ERP"),
        scopes=ALL_SCOPES if scopes is None else scopes,
        **kwargs,
    )


def bare_key(shop: Shop, scopes: list[str]) -> str:
    """A key with exactly ``scopes`` (even none, which the service refuses)."""
    key, raw = make_key(shop, scopes=[ApiScope.CATALOG_READ])
    ApiKey.objects.filter(pk=key.pk).update(scopes=scopes)
    return raw


def sub_reseller_of(shop: Shop) -> Shop:
    """Make ``shop`` a distributor and give it a sub-reseller shop."""
    Company.objects.filter(pk=shop.company.pk).update(company_type=CompanyType.DISTRIBUTOR)
    shop.company.refresh_from_db()
    sub = Shop()
    Company.objects.filter(pk=sub.company.pk).update(
        parent=shop.company, company_type=CompanyType.RESELLER
    )
    sub.company.refresh_from_db()
    sub.user.refresh_from_db()
    return sub


class Api:
    """A test client that sends the key and JSON."""

    def __init__(self, client, raw: str, language: str = "en"):
        self.client, self.raw, self.language = client, raw, language

    def call(self, method: str, path: str, body=None, **headers):
        headers = {
            "Authorization": f"Bearer {self.raw}",
            "Accept-Language": self.language,
            **headers,
        }
        kwargs = {"headers": headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs)

    def get(self, path, **headers):
        return self.call("GET", path, **headers)

    def post(self, path, body=None, **headers):
        return self.call("POST", path, body if body is not None else {}, **headers)


def order_body(shop: Shop, **changes) -> dict:
    body = {
        "lines": [{"sku_id": shop.sku.pk, "quantity": 1}, {"sku_id": shop.sku2.pk, "quantity": 2}],
        "end_customer_id": shop.customer.pk,
        "payment_method": "offline",
    }
    body.update(changes)
    return body


__all__ = ["make_partner_user"]
