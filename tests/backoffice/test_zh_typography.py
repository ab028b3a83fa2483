"""Chinese typography and one name per concept (README, Glossary).

The catalogue checked is the one ``scripts/i18n.py`` compiles: the msgstrs of
locale/zh_Hans/LC_MESSAGES/django.po, with the locale/pending/*.json translations laid
over them (later files win, as in i18n.py). So the test holds on a branch whose .po is
not regenerated yet, and after the lead regenerates it.
"""

import json
import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

from billing.models import BillStatus, RepaymentStatus, StatementStatus

ROOT = Path(__file__).resolve().parents[2]
CJK = "\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”‘’"
# A half-width , ; : ? ! ( ) touching a Chinese character. Placeholders (%(name)s),
# URLs and times (9:00) never touch one, so they need no exception.
HALF_WIDTH = re.compile(rf"(?<=[{CJK}])[,;:?!()]|[,;:?!()](?=[{CJK}])")
# Technical strings where a half-width mark next to Chinese is meant (none today).
ALLOWED: set[str] = set()


def zh_catalogue() -> dict[str, str]:
    po = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    catalogue = {
        entry.msgid: entry.msgstr or " ".join(entry.msgstr_plural.values())
        for entry in po
        if not entry.obsolete
    }
    for path in sorted((ROOT / "locale" / "pending").glob("*.json")):
        catalogue.update(json.loads(path.read_text(encoding="utf-8")))
    return catalogue


def test_chinese_catalogue_uses_full_width_punctuation():
    offending = {
        msgid: [text[max(m.start() - 5, 0) : m.end() + 5] for m in HALF_WIDTH.finditer(text)]
        for msgid, text in zh_catalogue().items()
        if msgid not in ALLOWED and HALF_WIDTH.search(text)
    }
    assert offending == {}, f"{len(offending)} Chinese strings with half-width punctuation"


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("请稍候,再试。", True),
        ("账单 %(number)s:已生成", True),
        ("确认吗?", True),
        ("请输入（最多 150 字）。", False),
        ("%(count)d 张优惠券：%(items)s。", False),
        ("在线时间：9:00-18:00", False),
        ("Send Authorization: Bearer <key>", False),
    ],
)
def test_the_scan_tells_half_width_from_full_width(text, bad):
    assert bool(HALF_WIDTH.search(text)) is bad


def test_no_second_name_for_a_concept_in_the_catalogue():
    """The words the glossary replaced do not come back in Chinese strings."""
    retired = {
        "零钱": "可抵扣优惠金额",
        "返利钱包": "可抵扣优惠金额",
        "钱包": "可抵扣优惠金额账户",
        "还款审核中": "审核中",
        "已还清": "已完成",
        "异议": "争议",
        "分销商用户": None,  # only the manual's 添加/编辑分销商用户 pages keep it
    }
    allowed = {"Add distributor user", "Edit distributor user"}
    found = {
        msgid: word
        for msgid, text in zh_catalogue().items()
        for word in retired
        if word in text and msgid not in allowed
    }
    assert found == {}


def test_portal_and_console_share_the_state_names():
    """Both front doors show the model's own label (get_status_display), so one Chinese
    word per state: the glossary's."""
    catalogue = zh_catalogue()
    with translation.override("en"):  # the msgids
        names = {
            str(RepaymentStatus.SUBMITTED.label): "审核中",
            str(BillStatus.SETTLED.label): "已完成",
            str(BillStatus.PENDING.label): "待还款",
            str(StatementStatus.DISPUTED.label): "有争议",
        }
    assert {msgid: catalogue[msgid] for msgid in names} == names
    portal = (ROOT / "backoffice" / "portal" / "views" / "assets.py").read_text(encoding="utf-8")
    assert "bill.get_status_display()" in portal and "repayment.get_status_display()" in portal
