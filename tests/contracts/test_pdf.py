"""The agreed contract's PDF: content (pdftotext), embedded fonts (pdffonts), rendering
(pdftoppm), escaping of user text, and a long contract split over several pages."""

import re
import subprocess
from decimal import Decimal

import pytest

from contracts.services import contract_build_data

from .conftest import (
    agree,
    build_kwargs,
    compact,
    lines,
    make_company,
    make_owner,
    make_partner,
    pdf_text,
)

pytestmark = pytest.mark.django_db


def _agree(company, partner, **overrides):
    data = contract_build_data(**build_kwargs(company, **overrides))
    return agree(data=data, company=company, agreed_by=partner)


def _pages(text: str) -> int:
    return text.rstrip("\f").count("\f") + 1


def test_contract_text_has_parties_lines_totals_and_capitals(company, partner, owner):
    contract = _agree(company, partner)
    text = pdf_text(contract.pdf.path)
    flat = compact(text)
    pages = _pages(text)

    assert contract.number in flat
    for needle in (
        "经销商（甲方）名称：BlueCloud_D",
        "经销商联系人姓名：An",
        "经销商联系人联系方式：13653812334",
        "乙方名称：上海蓝云网络科技有限公司",
        f"乙方联系人姓名：{owner.name}",
        f"乙方联系人联系方式：{owner.email}",
        "产品订单",
        "服务/部署订单",
        "名称（物料）",
        "税率%",
        "总计（含税总金额）：¥650.00大写（陆佰伍拾元整）",
        "总计（含税总金额）：¥2,976.78大写（贰仟玖佰柒拾陆元柒角捌分）",
        "本订单表总金额（含产品订单和服务/部署订单）：¥3,626.78大写（叁仟陆佰贰拾陆元柒角捌分）",
        "乙方帐户信息",
        "附录A服务开通信息表",
        "chen.xixuan@example.com",
        "AiKi",
        "本订单支付方式为线上支付",
        "货币为人民币",
        "ShanghaiBlueCloudTechnologyCo.,Ltd.",
    ):
        assert needle in flat, needle
    for line in lines():
        assert line["name"] in flat
        assert line["sku"] in flat
    assert f"第 1 页，共 {pages} 页" in text  # the footer in the document's language
    assert f"第 {pages} 页，共 {pages} 页" in text
    assert text.count("最终版本 · 保密") == pages


def test_each_table_row_shows_quantity_price_tax_rate_and_amount(company, partner):
    contract = _agree(company, partner)
    layout = pdf_text(contract.pdf.path, layout=True)
    for quantity, price, rate, amount in [
        ("1", "107.00", "13", "107.00"),
        ("2", "108.00", "6.5", "216.00"),
        ("3", "109.00", "0", "327.00"),
        ("1", "1,488.39", "9", "1,488.39"),
        ("1", "1,488.39", "3", "1,488.39"),
    ]:
        row = rf"\s{quantity}\s+{re.escape(price)}\s+{re.escape(rate)}\s+{re.escape(amount)}\s*$"
        assert re.search(row, layout, re.MULTILINE), (quantity, price, rate, amount)


@pytest.mark.parametrize(("method", "needle"), [("offline", "线下支付"), ("credit", "账期支付")])
def test_payment_clause_follows_the_payment_method(company, partner, method, needle):
    contract = _agree(company, partner, payment_method=method)
    flat = compact(pdf_text(contract.pdf.path))
    assert needle in flat
    assert "在线即时支付" not in flat


def test_usd_contract_uses_dollars(company, partner):
    contract = _agree(company, partner, currency="USD")
    flat = compact(pdf_text(contract.pdf.path))
    assert "$3,626.78" in flat
    assert "大写（美元叁仟陆佰贰拾陆元柒角捌分）" in flat
    assert "货币为美元" in flat
    assert contract.currency == "USD" and contract.total == Decimal("3626.78")


def test_long_contract_spans_pages_and_keeps_every_line(company, partner):
    many = lines(products=150, services=50)
    contract = _agree(company, partner, lines=many)
    text = pdf_text(contract.pdf.path)
    flat = compact(text)
    pages = _pages(text)
    assert pages >= 5
    for line in many:
        assert line["name"] in flat, line["name"]
    assert f"第 1 页，共 {pages} 页" in text and f"第 {pages} 页，共 {pages} 页" in text
    assert text.count("最终版本 · 保密") == pages
    # The header row is repeated on every page a table continues on.
    assert flat.count("名称（物料）") > 2


def test_cjk_font_is_embedded_and_no_font_is_not(company, partner, tmp_path):
    contract = _agree(company, partner)
    fonts = subprocess.run(
        ["/usr/bin/pdffonts", contract.pdf.path], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts, "pdffonts lists no font"
    cjk = [row for row in fonts if "WenQuanYi" in row]
    assert cjk
    for row in fonts:
        # name type encoding emb sub uni object-id generation
        columns = row.split()
        assert columns[-5] == "yes", row  # emb
    assert not any("Helvetica" in row or "STSong" in row for row in fonts)

    prefix = tmp_path / "page"
    subprocess.run(
        ["/usr/bin/pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", contract.pdf.path, prefix],
        check=True,
        capture_output=True,
    )
    pngs = list(tmp_path.glob("page*.png"))
    assert len(pngs) == 1
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pngs[0].stat().st_size > 5_000


def test_user_text_is_escaped_not_interpreted():
    owner = make_owner(name="<b>bold</b> owner")
    company = make_company("<font color=red>X</font> A & B", owner=owner)
    partner = make_partner(company)
    data = contract_build_data(
        **build_kwargs(
            company,
            contact_name="<b>bold</b>",
            contact_phone="A & B",
            lines=[
                {
                    "name": "<font color=red>X</font>",
                    "sku": "S-<i>-&",
                    "kind": "product",
                    "quantity": 1,
                    "unit_price": Decimal("1"),
                    "tax_rate": Decimal("0"),
                }
            ],
            end_customer={
                "name": "<b>bold</b>",
                "company": "A & B <br/>",
                "email": "x@example.com",
                "phone": "",
                "address": "<para>",
            },
        )
    )
    contract = agree(data=data, company=company, agreed_by=partner)
    flat = compact(pdf_text(contract.pdf.path))
    assert "<fontcolor=red>X</font>A&B" in flat
    assert "经销商联系人姓名：<b>bold</b>" in flat
    assert "经销商联系人联系方式：A&B" in flat
    assert "乙方联系人姓名：<b>bold</b>owner" in flat
    assert "SKU:S-<i>-&" in flat
    assert "A&B<br/>" in flat
    assert "<para>" in flat
