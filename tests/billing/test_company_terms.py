"""A company's tier and revenue-share rate change on finance's word only (four-eyes)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.models import PendingPosting, PendingPostingKind, PendingPostingStatus
from billing.services.approvals import company_terms_request, posting_approve, posting_reject
from billing.services.errors import BillingError
from partners.models import Company, Tier
from tests.backoffice.console_walk import main_post_form
from tests.partners.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    from fixtures.demo import load_staff
    from partners.models import User

    load_staff()
    return {
        role: User.objects.get(email=f"{role}@example.com")
        for role in ("admin", "sales", "finance", "ops")
    }


@pytest.fixture
def company(staff):
    return CompanyFactory(business_owner=staff["sales"])


def _gold() -> Tier:
    return Tier.objects.order_by("-revenue_share_rate").first()


def _change_form(client, company) -> dict:
    url = reverse("admin:partners_company_change", args=[company.pk])
    data = main_post_form(client.get(url).content.decode())
    return {key: values[-1] for key, values in data.items()}


def test_sales_change_of_terms_waits_for_finance(client, staff, company):
    before = (company.tier_id, company.revenue_share_rate)
    gold = _gold()
    client.force_login(staff["sales"])
    url = reverse("admin:partners_company_change", args=[company.pk])
    data = {**_change_form(client, company), "tier": gold.pk, "revenue_share_rate": "0.9900"}

    refused = client.post(url, {**data, "terms_reason": ""})
    assert refused.status_code == 200
    assert "terms_reason" in refused.context["adminform"].form.errors

    response = client.post(url, {**data, "terms_reason": "年度升级", "address": "上海新地址"})
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.tier_id, company.revenue_share_rate) == before  # not yet
    assert company.address == "上海新地址"  # the rest of the form is saved
    pending = PendingPosting.objects.get(kind=PendingPostingKind.COMPANY_TERMS)
    assert (pending.tier, pending.revenue_share_rate, pending.maker) == (
        gold,
        Decimal("0.9900"),
        staff["sales"],
    )

    with pytest.raises(BillingError):
        posting_approve(pending_id=pending.pk, checker=staff["sales"])  # own, and not finance
    with pytest.raises(BillingError):
        posting_approve(pending_id=pending.pk, checker=staff["ops"])  # not finance

    client.force_login(staff["finance"])
    approve = reverse("admin:billing_pendingposting_approve_posting_detail", args=[pending.pk])
    page = client.get(approve)
    assert page.status_code == 200 and gold.name in page.content.decode()
    assert client.post(approve, {}).status_code == 302
    company.refresh_from_db()
    assert (company.tier, company.revenue_share_rate) == (gold, Decimal("0.9900"))
    latest = company.history.order_by("-history_id").first()
    assert latest.history_user == staff["finance"] and latest.history_change_reason == "年度升级"


def test_finance_or_super_admin_change_applies_at_once(staff, company):
    gold = _gold()
    changed = company_terms_request(
        company_id=company.pk,
        tier=gold,
        revenue_share_rate=None,
        maker=staff["admin"],
        reason="签约金牌",
    )
    assert isinstance(changed, Company) and changed.tier == gold
    assert not PendingPosting.objects.exists()


def test_a_rejected_change_changes_nothing(staff, company):
    before = (company.tier_id, company.revenue_share_rate)
    pending = company_terms_request(
        company_id=company.pk,
        tier=_gold(),
        revenue_share_rate=Decimal("0.5"),
        maker=staff["sales"],
        reason="客户要求",
    )
    posting_reject(pending_id=pending.pk, checker=staff["finance"], reason="无依据")
    pending.refresh_from_db()
    company.refresh_from_db()
    assert pending.status == PendingPostingStatus.REJECTED
    assert (company.tier_id, company.revenue_share_rate) == before


def test_the_database_refuses_terms_without_a_tier_or_with_money(staff, company):
    for fields in (
        {"tier": None, "currency": ""},
        {"tier": _gold(), "currency": "CNY"},
        {"tier": _gold(), "currency": "", "revenue_share_rate": Decimal("1.5")},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            PendingPosting.objects.create(
                kind=PendingPostingKind.COMPANY_TERMS,
                company=company,
                amount=0,
                reason="x",
                maker=staff["sales"],
                **fields,
            )
