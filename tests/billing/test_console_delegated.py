"""The console's company page of a distributor lists its delegated lines to finance only."""

import pytest
from django.urls import reverse

from tests.billing.delegated_helpers import Tree
from tests.factories import sales_staff

pytestmark = pytest.mark.django_db


def test_finance_sees_the_tree_on_the_distributor_page_and_sales_does_not(client):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    tree = Tree()
    tree.allocate("300.00")
    url = reverse("admin:partners_company_change", args=[tree.dist.pk])
    client.force_login(User.objects.get(email="finance@example.com"))
    page = client.get(url).text
    assert tree.sub.name in page and "¥300.00" in page
    assert (
        "¥300.00"
        not in client.get(reverse("admin:partners_company_change", args=[tree.other.pk])).text
    )
    sales = sales_staff()
    tree.dist.business_owner = sales
    tree.dist.save(update_fields=["business_owner"])
    client.force_login(sales)
    page = client.get(url)
    assert page.status_code == 200 and "¥300.00" not in page.text
