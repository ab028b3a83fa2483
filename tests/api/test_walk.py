"""The tenancy walk, generated from the OpenAPI schema: every endpoint with a path id,
given another company's id, answers 404; every endpoint answers 403 to a key without
its scope; a sub-reseller's key sees none of its distributor's data."""

import pytest

from backoffice.api.api import api as ninja_api
from partners.models import ApiScope
from tests.api.helpers import ALL_SCOPES, Api, bare_key, make_key, order_body, sub_reseller_of
from tests.billing.order_helpers import Shop
from tests.billing.statements.helpers import make_statement

BODY = {"reason": "walk", "phone": "+86 21 5555 0000"}


def operations():
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path.removeprefix("/api/v1"), method.upper(), operation


def fill(path: str, ids: dict) -> str:
    prefix = path.split("/")[1]
    return (
        path.replace("{number}", ids["number"])
        .replace("{pk}", str(ids.get(prefix, 0)))
        .replace("{slug}", ids["slug"])
        .replace("{code}", ids["code"])
    )


@pytest.fixture
def other(db):
    shop = Shop()
    order = shop.place(key="other-1", payment_method="offline")
    statement = make_statement(shop.company)
    return {
        "shop": shop,
        "number": order.number,
        "customers": shop.customer.pk,
        "statements": statement.pk,
        "slug": shop.sku.solution.slug,
        "code": shop.sku.code,
    }


def test_the_walk_covers_every_path_with_an_id():
    paths = {path for path, _m, _o in operations() if "{" in path}
    assert len(paths) >= 10
    assert {"/orders/{number}", "/customers/{pk}", "/statements/{pk}/confirm"} <= paths


def test_another_companys_ids_answer_404(client, shop, other):
    caller = Api(client, make_key(shop)[1])
    checked = 0
    for path, method, _operation in operations():
        if "{" not in path or "{slug}" in path or "{code}" in path:
            continue  # the catalog is shared: slugs and SKU codes belong to no company
        response = caller.call(method, fill(path, other), BODY if method != "GET" else None)
        assert response.status_code == 404, (method, path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        checked += 1
    assert checked == 11  # orders 3, customers 3 (GET, PATCH, DELETE), statements 5


def test_every_endpoint_without_its_scope_answers_403(client, shop, other):
    unscoped = Api(client, bare_key(shop, []))
    checked = 0
    for path, method, _operation in operations():
        response = unscoped.call(method, fill(path, other), None)
        assert response.status_code == 403, (method, path, response.content)
        assert response.json()["code"] == "scope_missing"
        checked += 1
    assert checked == len(list(operations()))


def test_writes_need_their_own_scope(client, shop):
    reads = [s for s in ALL_SCOPES if s not in (ApiScope.ORDERS_WRITE,)]
    response = Api(client, bare_key(shop, reads)).post(
        "/orders", order_body(shop), **{"Idempotency-Key": "x"}
    )
    assert response.status_code == 403


def test_a_sub_resellers_key_cannot_see_its_distributor(client, shop):
    sub = sub_reseller_of(shop)
    parent_order = shop.place(key="parent-1", payment_method="offline")
    sub_order = sub.place(key="sub-1", payment_method="offline")
    parent_statement = make_statement(shop.company)
    sub_api = Api(client, make_key(sub)[1])
    assert sub_api.get(f"/orders/{parent_order.number}").status_code == 404
    assert [o["number"] for o in sub_api.get("/orders").json()["items"]] == [sub_order.number]
    assert sub_api.get(f"/statements/{parent_statement.pk}").status_code == 404
    assert sub_api.get(f"/customers/{shop.customer.pk}").status_code == 404
    # The distributor sees its sub-reseller's order read-only, and cannot cancel it.
    parent_api = Api(client, make_key(shop)[1])
    assert parent_api.get(f"/orders/{sub_order.number}").status_code == 200
    assert parent_api.post(f"/orders/{sub_order.number}/cancel").status_code == 404
