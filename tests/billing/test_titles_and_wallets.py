"""Readable titles of the queue models (their ``__str__``), the wallet page's 返利明细 and
the wallet list's default filter (empty foreign-currency wallets hidden)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from billing.models import CreditAccount, RebateWallet, RepaymentStatus
from tests.billing.factories import RepaymentFactory
from tests.billing.helpers import grant_rebate, make_company, set_credit_limit

pytestmark = pytest.mark.django_db


def titles(obj) -> tuple[str, str]:
    with translation.override("zh-hans"):
        chinese = str(obj)
    with translation.override("en"):
        return chinese, str(obj)


def test_a_repayment_and_a_credit_account_read_like_a_sentence(superuser):
    blue = make_company("BlueCloud_D")
    set_credit_limit(blue, superuser, "5000")
    account = CreditAccount.objects.get(company=blue, currency="CNY")
    repayment = RepaymentFactory(account=account, amount=Decimal("300"))
    assert repayment.status == RepaymentStatus.SUBMITTED
    assert titles(repayment) == (
        "BlueCloud_D 还款 ¥300.00 · 审核中",
        "BlueCloud_D repayment ¥300.00 · Under review",
    )
    bc = make_company("BC")
    set_credit_limit(bc, superuser, "2000")
    assert titles(CreditAccount.objects.get(company=bc, currency="CNY")) == (
        "BC 账期额度 ¥2,000.00",
        "BC credit line ¥2,000.00",
    )


def test_the_other_queue_rows_name_company_amount_and_status(superuser):
    from billing.models import PendingPosting
    from tests.backoffice.test_queue_rows import large_grant_request

    large_grant_request(make_company("BlueCloud_D"), superuser)
    chinese, english = titles(PendingPosting.objects.get())
    assert "BlueCloud_D ¥20,000.00" in chinese and "BlueCloud_D ¥20,000.00" in english


# --------------------------------------------------------------------------
# The wallet page: 返利明细, newest first, a page at a time
# --------------------------------------------------------------------------


def _wallet_page(client, wallet, **params):
    url = reverse("admin:billing_rebatewallet_change", args=[wallet.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_wallet_page_lists_its_entries_newest_first_and_paginated(staff_client, superuser):
    company = make_company("返利明细公司")
    wallet = RebateWallet.objects.get(company=company, currency="CNY")
    for n in range(3):
        grant_rebate(company, superuser, f"{n + 1}.00", reason=f"grant-{n + 1}")
    staff_client.get(reverse("admin:billing_rebatewallet_change", args=[wallet.pk]))  # warm
    html, few = _wallet_page(staff_client, wallet)
    assert html.index("grant-3") < html.index("grant-2") < html.index("grant-1")

    for n in range(3, 45):
        grant_rebate(company, superuser, f"{n + 1}.00", reason=f"grant-{n + 1}")
    html, many = _wallet_page(staff_client, wallet)
    assert many == few  # one query per page, whatever the number of entries
    assert (
        "grant-45" in html
        and "grant-1<" not in html
        and "grant-26<" in html
        and "grant-25<" not in html
    )
    older, _count = _wallet_page(staff_client, wallet, **{"entries-page": "3"})
    assert "grant-1<" in older and "grant-45" not in older


def test_empty_foreign_currency_wallets_are_hidden_until_asked_for(staff_client, superuser):
    company = make_company("外币钱包公司")
    grant_rebate(company, superuser, "8.00", currency="USD")
    wallets = RebateWallet.objects.filter(company=company)
    empty_foreign = wallets.exclude(currency__in=["CNY", "USD"])
    assert empty_foreign.exists()  # every company has one wallet per currency

    def listed(**params) -> set[int]:
        response = staff_client.get(reverse("admin:billing_rebatewallet_changelist"), params)
        return {wallet.pk for wallet in response.context["cl"].result_list}

    shown = listed(q="外币钱包公司")
    assert shown == set(wallets.filter(currency__in=["CNY", "USD"]).values_list("pk", flat=True))
    assert listed(q="外币钱包公司", shown="all") == set(wallets.values_list("pk", flat=True))
