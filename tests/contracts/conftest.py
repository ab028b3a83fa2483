"""Shared fixtures of the contracts tests: companies and users built directly with the
partner models, PDFs stored under a per-test directory, and contract inputs."""

import itertools
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

# The console registers its domain modules in backoffice/admin/registry.py; import ours
# here too so these tests (and URL reversing) do not depend on that list.
import backoffice.admin.contracts  # noqa: F401
from contracts.models import Contract
from partners.models import Company, CompanyRole, Tier, User
from tests.files import storage_in

_counter = itertools.count(1)


def agree(*, data: dict, company: Company, agreed_by: User, **kwargs) -> Contract:
    """``contract_agree`` as a checkout commits it: the PDF task queued on commit runs
    (``Q_CLUSTER["sync"]``), and the contract is returned with its stored PDF."""
    from django.test import TestCase

    from contracts.services import contract_agree

    with TestCase.captureOnCommitCallbacks(execute=True):
        contract = contract_agree(data=data, company=company, agreed_by=agreed_by, **kwargs)
    contract.refresh_from_db()
    return contract


@pytest.fixture(autouse=True)
def contract_storage(tmp_path, monkeypatch):
    """Stored PDFs go to this test's directory, not var/test-media."""
    return storage_in(tmp_path, monkeypatch, (Contract, "pdf"))


def make_owner(**kwargs) -> User:
    n = next(_counter)
    return User.objects.create_user(
        email=f"owner{n}@example.com", name=kwargs.pop("name", "赵易康"), is_staff=True, **kwargs
    )


def make_company(name: str | None = None, *, owner: User | None = None) -> Company:
    n = next(_counter)
    company = Company(
        name=name or f"合同测试公司{n:04d}",
        tier=Tier.objects.get(code="registered"),
        business_owner=owner,
    )
    company.full_clean()
    company.save()
    return company


def make_partner(company: Company, *, role: str = CompanyRole.ADMIN, **kwargs) -> User:
    n = next(_counter)
    return User.objects.create_user(
        email=f"partner{n}@example.com",
        name=kwargs.pop("name", "An"),
        company=company,
        company_role=role,
        activated_at=timezone.now(),
        **kwargs,
    )


def lines(products: int = 3, services: int = 2) -> list[dict]:
    product_rates = [Decimal("13"), Decimal("6.5"), Decimal("0")]
    service_rates = [Decimal("9"), Decimal("3")]
    result = []
    for index in range(products):
        result.append(
            {
                "solution": "Saasame",
                "name": f"产品{index + 1:03d}号",
                "sku": f"S-BLU-BUS-PLA-P-PLAN-{index:03d}",
                "kind": "product",
                "quantity": index % 3 + 1,
                "unit_price": Decimal("107.00") + index,
                "tax_rate": product_rates[index % len(product_rates)],
            }
        )
    for index in range(services):
        result.append(
            {
                "solution": "服务实施项",
                "name": f"服务{index + 1:03d}号",
                "sku": f"M-JXX-BUS-PLA-P-SXXX-{index:03d}",
                "kind": "service",
                "quantity": 1,
                "unit_price": Decimal("1488.39"),
                "tax_rate": service_rates[index % len(service_rates)],
            }
        )
    return result


def build_kwargs(company: Company, **overrides) -> dict:
    kwargs = {
        "company": company,
        "contact_name": "An",
        "contact_phone": "13653812334",
        "payment_method": "online",
        "currency": "CNY",
        "lines": lines(),
        "end_customer": {
            "name": "AiKi",
            "company": "BlueCloud_D",
            "email": "chen.xixuan@example.com",
            "phone": "13653812334",
            "address": "上海市虹口区",
        },
    }
    kwargs.update(overrides)
    return kwargs


def pdf_text(path: Path | str, *, layout: bool = False) -> str:
    args = ["/usr/bin/pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    result = subprocess.run([*args, str(path), "-"], capture_output=True, check=True, text=True)
    return result.stdout


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def owner(db) -> User:
    return make_owner()


@pytest.fixture
def company(owner) -> Company:
    return make_company("BlueCloud_D", owner=owner)


@pytest.fixture
def partner(company) -> User:
    return make_partner(company)
