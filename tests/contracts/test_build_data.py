"""contract_build_data: line totals, per-table and grand totals, capitals, parties, currency."""

from decimal import Decimal

import pytest
from django.test import override_settings

from contracts.constants import DEMO_BANK_ACCOUNT, MERGE_FIELDS
from contracts.rendering import merge_context
from contracts.services import ContractError, contract_build_data

from .conftest import build_kwargs, lines

pytestmark = pytest.mark.django_db


def test_totals_and_capitals(company):
    data = contract_build_data(**build_kwargs(company))
    # products: 1×107 + 2×108 + 3×109 = 650; services: 2×1488.39 = 2976.78
    assert [line["amount"] for line in data["product_lines"]] == ["107.00", "216.00", "327.00"]
    assert data["product_total"] == "650.00"
    assert data["product_total_display"] == "¥650.00"
    assert data["product_total_capitals"] == "陆佰伍拾元整"
    assert data["service_total"] == "2976.78"
    assert data["service_total_capitals"] == "贰仟玖佰柒拾陆元柒角捌分"
    assert data["grand_total"] == "3626.78"
    assert data["grand_total_display"] == "¥3,626.78"
    assert data["grand_total_capitals"] == "叁仟陆佰贰拾陆元柒角捌分"
    assert [line["tax_rate_display"] for line in data["product_lines"]] == ["13", "6.5", "0"]
    assert [line["name"] for line in data["service_lines"]] == ["服务001号", "服务002号"]


def test_parties_default_to_the_business_owner(company, owner):
    data = contract_build_data(**build_kwargs(company))
    assert data["party_a"] == {
        "name": "BlueCloud_D",
        "contact_name": "An",
        "contact_phone": "13653812334",
    }
    assert data["party_b"]["name"] == "上海蓝云网络科技有限公司"
    assert data["party_b"]["contact_name"] == owner.name
    assert data["party_b"]["contact_email"] == owner.email
    explicit = contract_build_data(
        **build_kwargs(company, business_owner_name="ZhaoYikang(赵易康)"),
    )
    assert explicit["party_b"]["contact_name"] == "ZhaoYikang(赵易康)"


def test_a_zero_service_table_reads_zero_yuan(company):
    data = contract_build_data(**build_kwargs(company, lines=lines(products=1, services=0)))
    assert data["service_lines"] == []
    assert data["service_total"] == "0.00"
    assert data["service_total_capitals"] == "零元整"
    assert data["grand_total_capitals"] == "壹佰零柒元整"


@pytest.mark.parametrize(
    ("currency", "symbol", "prefix"), [("USD", "$", "美元"), ("HKD", "HK$", "港币")]
)
def test_foreign_currencies_are_named(company, currency, symbol, prefix):
    data = contract_build_data(**build_kwargs(company, currency=currency))
    assert data["currency_symbol"] == symbol
    assert data["grand_total_display"].startswith(symbol)
    assert data["grand_total_capitals"] == prefix + "叁仟陆佰贰拾陆元柒角捌分"


def test_labels_are_chinese_even_in_an_english_request(company, settings):
    from django.utils import translation

    with translation.override("en"):
        data = contract_build_data(**build_kwargs(company, payment_method="credit"))
    assert data["payment_method_label"] == "账期"
    assert data["currency_name"] == "人民币"


def test_bank_account_is_the_demo_one_unless_configured(company):
    assert contract_build_data(**build_kwargs(company))["bank"] == DEMO_BANK_ACCOUNT
    account = {"account_name": "蓝云", "bank_name": "工商银行", "account_no": "0200"}
    with override_settings(BLUECLOUD_BANK_ACCOUNT=account):
        assert contract_build_data(**build_kwargs(company))["bank"] == account


def test_rounding_is_half_up_per_line(company):
    data = contract_build_data(
        **build_kwargs(
            company,
            lines=[
                {
                    "name": "x",
                    "sku": "S",
                    "kind": "product",
                    "quantity": 3,
                    "unit_price": Decimal("0.335"),  # → 0.34 × 3 = 1.02
                    "tax_rate": Decimal("6"),
                }
            ],
        )
    )
    assert data["product_lines"][0]["unit_price"] == "0.34"
    assert data["grand_total"] == "1.02"


@pytest.mark.parametrize(
    "change",
    [
        {"payment_method": "cash"},
        {"currency": "EUR"},
        {"lines": []},
        {"lines": [{"name": "", "kind": "product", "quantity": 1, "unit_price": Decimal(1)}]},
        {"lines": [{"name": "x", "kind": "other", "quantity": 1, "unit_price": Decimal(1)}]},
        {"lines": [{"name": "x", "kind": "product", "quantity": 0, "unit_price": Decimal(1)}]},
        {"lines": [{"name": "x", "kind": "product", "quantity": 1.5, "unit_price": Decimal(1)}]},
        {"lines": [{"name": "x", "kind": "product", "quantity": True, "unit_price": Decimal(1)}]},
        {"lines": [{"name": "x", "kind": "product", "quantity": 1, "unit_price": Decimal(-1)}]},
        {"lines": [{"name": "x", "kind": "product", "quantity": 1, "unit_price": 1.5}]},
        {"lines": [{"name": "x", "kind": "product", "quantity": 1, "unit_price": "abc"}]},
        {
            "lines": [
                {
                    "name": "x",
                    "kind": "product",
                    "quantity": 1,
                    "unit_price": Decimal(1),
                    "tax_rate": Decimal("101"),
                }
            ]
        },
    ],
)
def test_bad_input_is_refused_with_a_message(company, change):
    with pytest.raises(ContractError) as info:
        contract_build_data(**build_kwargs(company, **change))
    assert info.value.messages and all(info.value.messages)


def test_merge_context_covers_exactly_the_documented_fields(company):
    data = contract_build_data(**build_kwargs(company))
    assert set(merge_context(data)) == set(MERGE_FIELDS)
