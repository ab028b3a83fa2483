"""Document numbers: yyyyMMddHHmmss (Asia/Shanghai) + a gap-free sequence of ≥ 3 digits."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from backoffice.core.models import DocumentSequence
from backoffice.core.numbering import next_number, sequence_next
from contracts.models import Contract
from contracts.services import contract_agree, contract_build_data

from .conftest import build_kwargs, lines

pytestmark = pytest.mark.django_db
NUMBER = re.compile(r"^\d{14}\d{3,}$")


def test_timestamp_is_shanghai_local_time():
    now = datetime(2019, 12, 18, 19, 51, 51, tzinfo=UTC)  # 2019-12-19 03:51:51 in Shanghai
    number = next_number(key="t", prefix_format="%Y%m%d%H%M%S", now=now)
    assert number == "20191219035151001"
    assert next_number(key="t", prefix_format="%Y%m%d%H%M%S", now=now) == "20191219035151002"


def test_sequences_are_per_key_and_grow_past_three_digits():
    DocumentSequence.objects.create(key="big", last_value=998)
    assert sequence_next(key="big") == 999
    assert sequence_next(key="big") == 1000
    assert sequence_next(key="other") == 1
    now = datetime(2020, 2, 5, 0, 45, 36, tzinfo=UTC)
    assert next_number(key="big", prefix_format="%Y%m%d%H%M%S", now=now) == "202002050845361001"
    assert next_number(key="day", prefix_format="%Y%m%d", digits=6, now=now) == "20200205000001"


def test_rolled_back_numbers_are_given_back():
    assert sequence_next(key="gapless") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(key="gapless") == 2
        raise RuntimeError("the document was not created")
    assert sequence_next(key="gapless") == 2


def test_a_block_reserves_consecutive_values():
    assert sequence_next(key="block") == 1
    assert sequence_next(key="block", count=20_000) == 2
    assert sequence_next(key="block") == 20_002
    with pytest.raises(ValueError):
        sequence_next(key="block", count=0)


def test_fifty_contracts_get_unique_well_formed_numbers(company, partner):
    data = contract_build_data(**build_kwargs(company, lines=lines(products=1, services=1)))
    contracts = [contract_agree(data=data, company=company, agreed_by=partner) for _ in range(50)]
    numbers = [contract.number for contract in contracts]
    assert len(set(numbers)) == 50
    assert Contract.objects.filter(company=company).count() == 50
    shanghai = ZoneInfo("Asia/Shanghai")
    for contract in contracts:
        assert NUMBER.match(contract.number), contract.number
        local = contract.agreed_at.astimezone(shanghai)
        assert contract.number[:14] == local.strftime("%Y%m%d%H%M%S")
        assert contract.snapshot["contract_number"] == contract.number
        assert contract.snapshot["agreed_at"] == local.strftime("%Y-%m-%d %H:%M:%S")
    suffixes = [int(number[14:]) for number in numbers]
    assert suffixes == list(range(suffixes[0], suffixes[0] + 50))
