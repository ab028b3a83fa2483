"""Bank statement parsers: generic CSV, Chinese bank CSV (GBK), XLSX, MT940; bad files."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from billing.bankfiles import BankFileError, ParsedLine, line_dedupe_key, parse_bank_file
from tests.billing.bank_helpers import (
    CHINESE,
    CHINESE_HEADER,
    GENERIC,
    chinese_csv,
    generic_csv,
    mt940_file,
    xlsx_file,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (the msgids)."""
    with translation.override("en"):
        yield


def test_generic_csv_keeps_credits_with_every_field():
    content = generic_csv(
        [
            (
                "2026-12-02",
                "1,234.50",
                "CNY",
                "pay DD2612021530001234",
                "BlueCloud_D",
                "6222 0001",
                "T1",
            ),
            ("2026-12-02", "-80.00", "CNY", "bank fee", "", "", "T2"),
        ]
    )
    [line] = parse_bank_file(content=content, file_format="csv", profile=GENERIC)
    assert line == ParsedLine(
        row=2,
        value_date=date(2026, 12, 2),
        amount=Decimal("1234.50"),
        currency="CNY",
        reference="pay DD2612021530001234",
        payer_name="BlueCloud_D",
        payer_account="62220001",
        transaction_id="T1",
    )


def test_chinese_bank_csv_in_gbk_with_preamble_and_memo_columns_joined():
    content = chinese_csv(
        [
            (
                "20261202",
                "300.00",
                "",
                "上海某某科技有限公司",
                "31001",
                "货款",
                "ZD2612020000751234",
                "LS001",
            ),
            ("20261202", "", "50.00", "手续费", "", "", "", "LS002"),
            ("2026-12-03", '"￥2,000.00"', "", "北京某某", "31002", "", "", "LS003"),
        ]
    )
    lines = parse_bank_file(content=content, file_format="csv", profile=CHINESE)
    assert [(x.row, x.amount, x.transaction_id) for x in lines] == [
        (4, Decimal("300.00"), "LS001"),
        (6, Decimal("2000.00"), "LS003"),
    ]
    assert lines[0].reference == "货款 ZD2612020000751234"
    assert lines[0].payer_name == "上海某某科技有限公司"
    assert lines[1].value_date == date(2026, 12, 3)


def test_gbk_file_read_as_utf8_is_refused_with_its_row():
    content = chinese_csv([("20261202", "300.00", "", "上海", "31001", "货款", "", "LS001")])
    utf8 = CHINESE.__class__(**{**CHINESE.__dict__, "encoding": "utf-8-sig"})
    with pytest.raises(BankFileError) as exc:
        parse_bank_file(content=content, file_format="csv", profile=utf8)
    assert exc.value.row == 1
    assert "gbk" not in exc.value.message and "utf-8-sig" in exc.value.message


def test_xlsx_reads_dates_and_numbers_from_cells():
    content = xlsx_file(
        ["交易日期", "收入金额", "对方户名", "对方账号", "摘要", "附言", "流水号"],
        [
            [datetime(2026, 12, 2), 300, "BlueCloud_D", 6222000011112222, "还款", "ZD1", "X1"],
            [datetime(2026, 12, 2), None, "fee", None, None, None, "X2"],
        ],
    )
    [line] = parse_bank_file(content=content, file_format="xlsx", profile=CHINESE)
    assert line.value_date == date(2026, 12, 2)
    assert line.amount == Decimal("300.00")
    assert line.payer_account == "6222000011112222"
    assert line.reference == "还款 ZD1"


def test_mt940_credit_lines_with_bank_reference_as_transaction_id():
    content = mt940_file(
        [
            ("261202", "C", "300,00", "ZD2612020000751234 BlueCloud_D"),
            ("261202", "D", "50,00", "fee"),
            ("261203", "C", "1200,50", "?20DD2612021530001234?31622200001111?32BlueCloud_D"),
        ]
    )
    lines = parse_bank_file(content=content, file_format="mt940")
    assert [(x.amount, x.transaction_id) for x in lines] == [
        (Decimal("300.00"), "MT2612020001"),
        (Decimal("1200.50"), "MT2612030003"),
    ]
    assert lines[0].reference == "ZD2612020000751234 BlueCloud_D"
    assert (lines[1].reference, lines[1].payer_account, lines[1].payer_name) == (
        "DD2612021530001234",
        "622200001111",
        "BlueCloud_D",
    )


def test_not_an_mt940_file_is_refused():
    with pytest.raises(BankFileError):
        parse_bank_file(content=b"hello", file_format="mt940")


@pytest.mark.parametrize(
    ("row", "column", "cells"),
    [
        (3, "Amount", ("2026-12-02", "12a.00", "CNY", "x", "y", "z", "T9")),
        (3, "Date", ("02/12/2026", "12.00", "CNY", "x", "y", "z", "T9")),
        (3, "Currency", ("2026-12-02", "12.00", "yuan", "x", "y", "z", "T9")),
    ],
)
def test_bad_cell_names_its_row_and_column(row, column, cells):
    good = ("2026-12-01", "1.00", "CNY", "a", "b", "c", "T1")
    content = generic_csv([good, cells])
    with pytest.raises(BankFileError) as exc:
        parse_bank_file(content=content, file_format="csv", profile=GENERIC)
    assert (exc.value.row, exc.value.column) == (row, column)
    assert f"Row {row}, column {column}" in exc.value.message


def test_file_without_the_profile_header_is_refused():
    content = b"a,b,c\n1,2,3\n"
    with pytest.raises(BankFileError) as exc:
        parse_bank_file(content=content, file_format="csv", profile=GENERIC)
    assert "Date" in exc.value.message


def test_chinese_header_constant_matches_the_profile():
    assert set(CHINESE.columns["reference"]) <= set(CHINESE_HEADER.split(","))


def test_dedupe_key_is_the_transaction_id_else_a_stable_hash():
    line = ParsedLine(row=1, value_date=date(2026, 12, 2), amount=Decimal("5.00"), currency="CNY")
    assert line_dedupe_key(ParsedLine(**{**line.__dict__, "transaction_id": "T1"})) == "T1"
    hashed = line_dedupe_key(line)
    assert hashed.startswith("H") and len(hashed) == 41
    moved = ParsedLine(**{**line.__dict__, "row": 9})
    assert line_dedupe_key(moved) == hashed  # same line in another file: same key
    other = ParsedLine(**{**line.__dict__, "payer_name": "X"})
    assert line_dedupe_key(other) != hashed


def test_progress_is_reported_while_reading():
    rows = [("2026-12-02", f"{n}.00", "CNY", "r", "p", "a", f"T{n}") for n in range(1, 450)]
    calls = []
    lines = parse_bank_file(
        content=generic_csv(rows),
        file_format="csv",
        profile=GENERIC,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(lines) == 449
    assert calls and calls[0][0] == 200 and calls[-1][1] >= 450


def test_row_counts_choose_inline_or_task_parsing():
    from billing.bankfiles import count_rows

    assert count_rows(content=xlsx_file(["a", "b"], [[1, 2]] * 40), file_format="xlsx") == 41
    assert (
        count_rows(content=mt940_file([("261202", "C", "1,00", "x")] * 3), file_format="mt940") == 3
    )
    assert count_rows(content=b"not a workbook", file_format="xlsx") == 1
