"""Keys, errors, rate limit, idempotency (SQLite part), audit and the schema."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from openapi_spec_validator import validate

from billing.models import Order
from partners.models import ApiKey, EndCustomer
from partners.services import api_key_revoke
from tests.api.helpers import Api, make_key, order_body


def test_schema_validates(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert "/api/v1/orders" in schema["paths"]


def test_only_the_hash_and_prefix_are_stored(shop):
    key, raw = make_key(shop)
    assert raw.startswith(f"bc_{key.prefix}_")
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in json.dumps(row, default=str)
    assert row["hash"] != raw and len(row["hash"]) == 64


def test_no_key_unknown_revoked_expired_answer_401(client, shop):
    assert client.get("/api/v1/orders").status_code == 401
    response = Api(client, "bc_nope_nope").get("/orders")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_key"

    key, raw = make_key(shop)
    assert Api(client, raw).get("/orders").status_code == 200
    api_key_revoke(key=key, actor=shop.user)
    response = Api(client, raw).get("/orders")
    assert (response.status_code, response.json()["code"]) == (401, "key_revoked")

    key, raw = make_key(shop, expires_at=timezone.now() + timedelta(hours=1))
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Api(client, raw).get("/orders")
    assert (response.status_code, response.json()["code"]) == (401, "key_expired")


def test_problem_messages_follow_accept_language(client, shop):
    english = Api(client, "bc_x_y", language="en").get("/orders").json()
    chinese = Api(client, "bc_x_y", language="zh-CN,zh;q=0.9").get("/orders").json()
    assert set(english) >= {"type", "title", "status", "detail", "code"}
    assert english["code"] == chinese["code"] == "invalid_key"
    assert english["detail"] != chinese["detail"]


def test_validation_errors_are_problems(api):
    response = api.post("/orders", {"lines": "nope"}, **{"Idempotency-Key": "v1"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["errors"]


@override_settings(API_RATE_LIMIT="3/m")
def test_rate_limit_answers_429_with_retry_after(api):
    for _ in range(3):
        assert api.get("/orders").status_code == 200
    response = api.get("/orders")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "rate_limited"


def test_last_used_is_throttled(api, shop, django_assert_max_num_queries):
    api.get("/orders")
    key = ApiKey.objects.get(company=shop.company)
    first = key.last_used_at
    assert first is not None
    api.get("/orders")
    key.refresh_from_db()
    assert key.last_used_at == first


def test_idempotent_order_and_conflict(api, shop):
    headers = {"Idempotency-Key": "erp-1"}
    first = api.post("/orders", order_body(shop), **headers)
    assert first.status_code == 201, first.content
    again = api.post("/orders", order_body(shop), **headers)
    assert again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    other = api.post("/orders", order_body(shop, payment_method="online"), **headers)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    # Any field the order keeps counts, the remarks too.
    remarked = api.post("/orders", order_body(shop, remarks="请尽快开通"), **headers)
    assert remarked.status_code == 409, remarked.content
    assert Order.objects.filter(company=shop.company).count() == 1
    missing = api.post("/orders", order_body(shop))
    assert missing.status_code in (400, 422)


def test_writes_are_in_the_history_with_the_keys_name(api, shop):
    response = api.post(
        "/customers",
        {"name": "Li", "email": "li@example.com", "company_name": "Li Co"},
    )
    assert response.status_code == 201, response.content
    customer = EndCustomer.objects.get(pk=response.json()["id"])
    record = customer.history.latest()
    assert record.history_user == shop.user
    assert record.history_change_reason == "API key ERP"
    response = api.call("PATCH", f"/customers/{customer.pk}", {"phone": "+86 21 1234 5678"})
    assert response.status_code == 200
    assert customer.history.latest().history_change_reason == "API key ERP"


def test_order_list_cursor_and_query_count(api, shop, django_assert_max_num_queries):
    for n in range(5):
        shop.place(key=f"k{n}", payment_method="offline")
    seen = []
    cursor = None
    while True:
        path = "/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")
        with django_assert_max_num_queries(12):
            body = api.get(path).json()
        seen += [item["number"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 == len(set(seen))
    with django_assert_max_num_queries(12):
        assert len(api.get("/orders?limit=100").json()["items"]) == 5


@pytest.mark.parametrize(
    "path",
    ["/customers", "/statements", "/assets/wallet/entries", "/assets/coupons", "/assets/bills"],
)
def test_other_lists_have_constant_queries(api, shop, path, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert api.get(path).status_code == 200


def test_credit_pay_is_two_step(api, shop, mailoutbox):
    headers = {"Idempotency-Key": "credit-1"}
    refused = api.post(
        "/orders", order_body(shop, use_credit=True, credit_code="000000"), **headers
    )
    assert refused.status_code == 422
    sent = api.post("/orders/credit-code", **headers)
    assert sent.status_code == 202, sent.content


def test_catalog_lists_and_details_a_solution_with_its_skus(api, shop):
    """The catalog read endpoints a partner's shop calls first (the walk covers ids only)."""
    listed = api.get("/catalog/solutions")
    assert listed.status_code == 200, listed.content
    item = next(i for i in listed.json()["items"] if i["id"] == shop.sku.solution_id)
    assert item["from_price"] == "50.00" and item["from_currency"] == "CNY"
    detail = api.get(f"/catalog/solutions/{shop.sku.solution.slug}")
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert {s["code"] for s in body["skus"]} == {shop.sku.code, shop.sku2.code}
    assert api.get("/catalog/solutions/no-such-solution").status_code == 404


def test_every_parameterless_read_answers_200(api, shop, client):
    """Generated from the schema: each GET without path parameters works for a key with
    every scope (the tenancy walk covers the ones that take ids)."""
    shop.place(payment_method="offline")
    schema = client.get("/api/v1/openapi.json").json()
    required = {"q": "SaaSaMe"}
    checked = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path or path.endswith(("openapi.json", "/docs")):
            continue
        query = {
            p["name"]: required[p["name"]]
            for p in get.get("parameters", [])
            if p.get("required") and p["in"] == "query"
        }
        relative = path.removeprefix("/api/v1")
        response = api.get(
            relative + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        )
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        checked.append(path)
    assert len(checked) >= 8, checked
