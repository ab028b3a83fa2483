"""额度管理 in the portal: the distributor's screens, the co-admin's grant, tenancy,
bad input, query counts, and the sub-reseller's 我的资产."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import DelegatedCreditEntry, DelegatedCreditLine
from tests.billing.delegated_helpers import Tree
from tests.billing.helpers import make_company

pytestmark = pytest.mark.django_db

TIERS = reverse("portal:account_tiers")
LOG = reverse("portal:account_tiers_log")
GRANT = reverse("portal:account_tiers_grant")


def detail(company) -> str:
    return reverse("portal:account_tier_reseller", args=[company.pk])


def post(client, company, action, amount, *, expected="0.00", reason="Q4"):
    return client.post(
        detail(company),
        {"action": action, "amount": amount, "reason": reason, "expected_limit": expected},
        follow=True,
    )


def limit_of(company) -> Decimal:
    row = DelegatedCreditLine.objects.filter(reseller=company).first()
    return row.credit_limit if row else Decimal("0.00")


def test_distributor_allocates_and_reclaims_through_the_forms(client):
    tree = Tree()
    client.force_login(tree.admin)
    page = client.get(TIERS)
    assert page.status_code == 200 and tree.sub.name in page.text
    assert tree.other_sub.name not in page.text
    post(client, tree.sub, "allocate", "300.00")
    assert limit_of(tree.sub) == Decimal("300.00")
    post(client, tree.sub, "reclaim", "100.00", expected="300.00")
    assert limit_of(tree.sub) == Decimal("200.00")
    log = client.get(LOG).text
    assert log.count('data-adjustment="credit"') == 2


@pytest.mark.parametrize(
    ("action", "amount", "expected"),
    [
        ("allocate", "1000.01", "0.00"),  # over the distributor's available credit
        ("allocate", "-5", "0.00"),  # negative
        ("allocate", "abc", "0.00"),  # not a number
        ("allocate", "10", "50.00"),  # stale: the page showed another allocation
        ("reclaim", "1", "0.00"),  # nothing to reclaim
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(client, action, amount, expected):
    tree = Tree()
    client.force_login(tree.admin)
    response = post(client, tree.sub, action, amount, expected=expected)
    assert response.status_code == 200
    assert 'class="form-errors"' in response.text or 'class="field-error"' in response.text
    assert DelegatedCreditEntry.objects.count() == 0
    assert limit_of(tree.sub) == 0


def test_foreign_ids_are_404_and_a_sub_reseller_cannot_allocate(client):
    tree = Tree()
    client.force_login(tree.admin)
    stranger = make_company()
    for company in (tree.other_sub, tree.other, tree.dist, stranger):
        assert client.get(detail(company)).status_code == 404
        assert post(client, company, "allocate", "10").status_code == 404
    client.force_login(tree.sub_user)
    for url in (TIERS, LOG, detail(tree.sub)):
        assert client.get(url).status_code == 404
    assert client.post(GRANT, {"user": tree.co_admin.pk, "granted": "on"}).status_code == 404
    assert DelegatedCreditLine.objects.count() == 0


def test_co_admin_views_and_allocates_only_when_granted(client):
    tree = Tree()
    client.force_login(tree.co_admin)
    assert client.get(TIERS).status_code == 200
    page = client.get(detail(tree.sub))
    assert page.status_code == 200 and 'data-form="allocate"' not in page.text
    post(client, tree.sub, "allocate", "10")
    assert limit_of(tree.sub) == 0
    assert client.post(GRANT, {"user": tree.co_admin.pk, "granted": "on"}).status_code == 302
    tree.co_admin.refresh_from_db()
    assert not tree.co_admin.can_allocate  # a co-admin cannot grant itself
    client.force_login(tree.admin)
    client.post(GRANT, {"user": tree.co_admin.pk, "granted": "on"})
    client.post(GRANT, {"user": tree.other_admin.pk, "granted": "on"})  # not its user
    tree.co_admin.refresh_from_db()
    tree.other_admin.refresh_from_db()
    assert tree.co_admin.can_allocate and not tree.other_admin.can_allocate
    client.force_login(tree.co_admin)
    post(client, tree.sub, "allocate", "10")
    assert limit_of(tree.sub) == Decimal("10.00")


def test_query_counts_do_not_grow_with_sub_resellers(client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tree = Tree()
    client.force_login(tree.admin)
    tree.allocate("100.00")

    def count(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = {url: count(url) for url in (TIERS, LOG, detail(tree.sub))}
    for _ in range(12):
        sub = Tree._sub(tree.dist)
        tree.allocate("10.00", reseller=sub)
    for url, queries in before.items():
        with django_assert_max_num_queries(queries):
            client.get(url)


def test_sub_reseller_sees_its_delegated_credit_with_the_distributor_as_source(client):
    tree = Tree()
    tree.allocate("300.00")
    client.force_login(tree.sub_user)
    page = client.get(reverse("portal:assets_credit")).text
    assert "data-delegated-credit" in page and tree.dist.name in page
