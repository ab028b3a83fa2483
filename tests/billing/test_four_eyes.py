"""Four-eyes on finance postings above FOUR_EYES_THRESHOLD (staff-console issue)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError
from django.urls import reverse

from billing.models import (
    CreditAccount,
    CreditEntry,
    CreditLimitChange,
    PendingPosting,
    PendingPostingKind,
    PendingPostingStatus,
    RebateEntry,
    RebateWallet,
)
from billing.services.approvals import posting_approve, posting_reject, posting_request
from billing.services.errors import BillingError
from tests.billing.helpers import make_company
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CNY = "CNY"


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.FOUR_EYES_THRESHOLD = Decimal("10000.00")


def finance_user(**kwargs):
    group, _ = Group.objects.get_or_create(name="four-eyes finance")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="billing",
            codename__in=["change_rebatewallet", "change_creditaccount", "view_pendingposting"],
        )
    )
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(group)
    return user


@pytest.fixture
def maker():
    return finance_user()


@pytest.fixture
def checker():
    return finance_user()


@pytest.fixture
def company():
    return make_company()


def posting(kind, company, maker, amount, reason, **kwargs):
    """``posting_request`` of ``kind`` for the company's CNY balances."""
    return posting_request(
        kind=kind,
        company_id=company.pk,
        currency=CNY,
        amount=amount,
        maker=maker,
        reason=reason,
        **kwargs,
    )


def grant(company, maker, amount="20000.00", **kwargs):
    return posting(PendingPostingKind.WALLET_GRANT, company, maker, amount, "年度补偿", **kwargs)


def limit_request(company, maker, amount, term_days, reason="保函"):
    return posting(
        PendingPostingKind.CREDIT_LIMIT, company, maker, amount, reason, term_days=term_days
    )


def test_above_threshold_waits_and_the_ledger_is_unchanged(company, maker, checker):
    pending = grant(company, maker)
    assert isinstance(pending, PendingPosting)
    assert pending.status == PendingPostingStatus.PENDING
    assert not RebateEntry.objects.filter(wallet__company=company).exists()
    assert RebateWallet.objects.get(company=company, currency=CNY).balance == 0

    approved = posting_approve(pending_id=pending.pk, checker=checker)
    entry = RebateEntry.objects.get(wallet__company=company)
    assert entry.amount == Decimal("20000.00") and entry.actor == checker
    assert entry.idempotency_key == f"pending:{pending.pk}"
    assert approved.status == PendingPostingStatus.APPROVED
    assert approved.checker == checker and approved.result_reference == entry.number
    assert RebateWallet.objects.get(company=company, currency=CNY).balance == Decimal("20000.00")


def test_the_maker_cannot_approve_their_own_posting(company, maker):
    pending = grant(company, maker)
    with pytest.raises(BillingError) as refused:
        posting_approve(pending_id=pending.pk, checker=maker)
    assert refused.value.code == "own_posting"
    assert refused.value.messages == ["您不能复核自己发起的操作。"]
    pending.refresh_from_db()
    assert pending.status == PendingPostingStatus.PENDING and pending.checker is None
    assert not RebateEntry.objects.exists()


def test_the_database_refuses_a_decision_by_the_maker(company, maker):
    pending = grant(company, maker)
    with pytest.raises(IntegrityError):
        PendingPosting.objects.filter(pk=pending.pk).update(
            status=PendingPostingStatus.APPROVED, checker=maker
        )


def test_at_or_below_threshold_takes_effect_at_once(company, maker):
    entry = grant(company, maker, amount="10000.00")
    assert isinstance(entry, RebateEntry) and entry.actor == maker
    assert not PendingPosting.objects.exists()
    assert RebateWallet.objects.get(company=company, currency=CNY).balance == Decimal("10000.00")


def test_approving_twice_posts_once(company, maker, checker):
    pending = grant(company, maker)
    posting_approve(pending_id=pending.pk, checker=checker)
    posting_approve(pending_id=pending.pk, checker=checker)
    assert RebateEntry.objects.filter(wallet__company=company).count() == 1
    assert RebateWallet.objects.get(company=company, currency=CNY).balance == Decimal("20000.00")


def test_a_double_submitted_request_queues_once(company, maker):
    first = grant(company, maker, idempotency_key="console:grant:1:abc")
    second = grant(company, maker, idempotency_key="console:grant:1:abc")
    assert first.pk == second.pk and PendingPosting.objects.count() == 1


def test_reject_needs_a_reason_and_posts_nothing(company, maker, checker):
    pending = grant(company, maker)
    with pytest.raises(BillingError):
        posting_reject(pending_id=pending.pk, checker=checker, reason="  ")
    with pytest.raises(BillingError):
        posting_reject(pending_id=pending.pk, checker=maker, reason="撤回")
    rejected = posting_reject(pending_id=pending.pk, checker=checker, reason="金额有误")
    assert rejected.status == PendingPostingStatus.REJECTED
    assert rejected.rejection_reason == "金额有误"
    with pytest.raises(BillingError):
        posting_approve(pending_id=pending.pk, checker=checker)
    assert not RebateEntry.objects.exists()


def test_checker_without_finance_permission_is_refused(company, maker):
    pending = grant(company, maker)
    with pytest.raises(BillingError):
        posting_approve(pending_id=pending.pk, checker=UserFactory(is_staff=True))
    assert not RebateEntry.objects.exists()


def test_credit_limit_compares_the_new_limit(company, maker, checker):
    small = limit_request(company, maker, "5000", 45)
    assert isinstance(small, CreditLimitChange)
    pending = limit_request(company, maker, "50000", 60, reason="新保函")
    assert isinstance(pending, PendingPosting)
    account = CreditAccount.objects.get(company=company, currency=CNY)
    assert account.credit_limit == Decimal("5000.00") and account.term_days == 45
    posting_approve(pending_id=pending.pk, checker=checker)
    account.refresh_from_db()
    assert account.credit_limit == Decimal("50000.00") and account.term_days == 60
    pending.refresh_from_db()
    change = CreditLimitChange.objects.latest("pk")
    assert pending.result_reference == f"limit-change:{change.pk}" and change.actor == checker


def test_offline_charge_waits_for_the_checker(company, maker, checker):
    limit_request(company, maker, "9000", 30)
    CreditAccount.objects.filter(company=company).update(credit_limit=Decimal("90000"))
    pending = posting(PendingPostingKind.OFFLINE_CHARGE, company, maker, "12000", "线下合同")
    assert not CreditEntry.objects.exists()
    posting_approve(pending_id=pending.pk, checker=checker)
    entry = CreditEntry.objects.get()
    assert entry.amount == Decimal("12000.00") and entry.idempotency_key == f"pending:{pending.pk}"


def test_console_grant_above_threshold_queues_and_second_user_approves(
    client, company, maker, checker
):
    wallet = RebateWallet.objects.get(company=company, currency=CNY)
    client.force_login(maker)
    page = client.get(reverse("admin:billing_rebatewallet_grant_detail", args=[wallet.pk]))
    token = page.context["form"].initial["token"]
    response = client.post(
        reverse("admin:billing_rebatewallet_grant_detail", args=[wallet.pk]),
        {"amount": "15000", "reason": "补发", "token": str(token)},
        follow=True,
    )
    assert "待复核" in response.content.decode() or "复核" in response.content.decode()
    pending = PendingPosting.objects.get()
    assert not RebateEntry.objects.exists()

    approve_url = reverse("admin:billing_pendingposting_approve_posting_detail", args=[pending.pk])
    client.post(approve_url, {})  # the maker: refused
    pending.refresh_from_db()
    assert pending.status == PendingPostingStatus.PENDING and not RebateEntry.objects.exists()

    client.force_login(checker)
    assert client.get(reverse("admin:billing_pendingposting_changelist")).status_code == 200
    response = client.post(approve_url, {})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == PendingPostingStatus.APPROVED
    assert RebateEntry.objects.get().amount == Decimal("15000.00")
