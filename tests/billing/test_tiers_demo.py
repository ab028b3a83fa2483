"""Demo data: BlueCloud_D allocated ¥3,000 to TestCompany-A; a second load changes nothing."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import DelegatedCreditEntry, DelegatedCreditLine
from fixtures.assets_demo import load_assets
from fixtures.demo import load_partners, load_staff
from fixtures.tiers_demo import load_tiers
from partners.models import User

pytestmark = pytest.mark.django_db


def test_demo_allocation_loads_once_and_shows(client):
    load_staff()
    load_partners()
    load_assets()
    assert load_tiers() == 1
    assert load_tiers() == 0
    line = DelegatedCreditLine.objects.get(reseller__name="TestCompany-A")
    assert (line.distributor.name, line.credit_limit) == ("BlueCloud_D", Decimal("3000.00"))
    assert DelegatedCreditEntry.objects.count() == 1
    call_command("check_ledgers")
    client.force_login(User.objects.get(email="distributor@example.com"))
    page = client.get(reverse("portal:account_tiers")).text
    assert "TestCompany-A" in page and "¥3,000.00" in page
