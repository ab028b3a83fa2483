"""Portal download of an e-contract: only the signed-in user's company's contracts."""

import hashlib

import pytest
from django.urls import reverse

from contracts.services import contract_build_data

from .conftest import agree, build_kwargs, make_company, make_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(company, partner):
    data = contract_build_data(**build_kwargs(company))
    return agree(data=data, company=company, agreed_by=partner)


def test_url_name():
    assert reverse("portal:contract_pdf", args=[7]) == "/contracts/7/pdf/"


def test_own_company_downloads_its_contract_as_an_attachment(client, company, contract):
    colleague = make_partner(company, role="co_admin")
    client.force_login(colleague)
    response = client.get(reverse("portal:contract_pdf", args=[contract.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert f"contract-{contract.number}.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == contract.sha256


def test_another_company_gets_404(client, contract):
    stranger = make_partner(make_company())
    client.force_login(stranger)
    assert client.get(reverse("portal:contract_pdf", args=[contract.pk])).status_code == 404
    assert client.get(reverse("portal:contract_pdf", args=[contract.pk + 999])).status_code == 404


def test_staff_without_a_company_gets_404(client, contract, superuser):
    client.force_login(superuser)
    assert client.get(reverse("portal:contract_pdf", args=[contract.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, contract):
    response = client.get(reverse("portal:contract_pdf", args=[contract.pk]))
    assert response.status_code == 302
    assert "login" in response.url


def test_only_get_is_allowed(client, partner, contract):
    client.force_login(partner)
    assert client.post(reverse("portal:contract_pdf", args=[contract.pk])).status_code == 405


def test_a_distributor_downloads_its_sub_resellers_contracts_but_not_the_reverse(client, contract):
    from partners.models import CompanyType

    reseller = contract.company
    distributor = make_company()
    distributor.company_type = CompanyType.DISTRIBUTOR
    distributor.save()
    reseller.parent = distributor
    reseller.save()
    own_partner = make_partner(distributor)
    own_contract = agree(
        data=contract_build_data(**build_kwargs(distributor)),
        company=distributor,
        agreed_by=own_partner,
    )
    url = reverse("portal:contract_pdf", args=[contract.pk])

    client.force_login(own_partner)
    assert client.get(url).status_code == 200

    other = make_company()
    other.company_type = CompanyType.DISTRIBUTOR
    other.save()
    client.force_login(make_partner(other))
    assert client.get(url).status_code == 404

    client.force_login(make_partner(reseller, role="co_admin"))
    assert client.get(reverse("portal:contract_pdf", args=[own_contract.pk])).status_code == 404
