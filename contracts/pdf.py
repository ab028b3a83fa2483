"""The contract PDF (reportlab platypus): an embedded CJK TrueType font, a header and a
"第 N 页，共 M 页 · 最终版本 · 保密" footer (in the document's language) on every page, tables that split across pages
with their header row repeated.

Every piece of text goes through ``_para``/``_cell``, which escape it before reportlab's
Paragraph markup parser sees it, so a company called ``<font color=red>X</font>`` prints
literally. The document is always Chinese (``constants.DOCUMENT_LANGUAGE``).
"""

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from backoffice.core.fonts import CJK_FONT as FONT
from backoffice.core.fonts import cjk_font
from backoffice.core.numbering import NUMBER_TIMEZONE
from backoffice.core.pdf import (
    BLUE,
    GREY,
    HEAD_BG,
    NumberedCanvas,
    draw_rules,
    grid_style,
    heading_style,
    render_a4,
)
from backoffice.core.pdf import markup as _markup

from .constants import DOCUMENT_LANGUAGE, PARTY_B_NAME, PARTY_B_NAME_EN, PARTY_B_SHORT
from .models import ContractTemplate
from .rendering import document_build

MARGIN_X = 18 * mm
MARGIN_TOP = 30 * mm
MARGIN_BOTTOM = 22 * mm


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
        "title": ParagraphStyle(
            "title", parent=base, fontSize=15, leading=20, alignment=TA_CENTER, spaceAfter=2 * mm
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER, spaceAfter=4 * mm),
        "h2": heading_style("h2", base),
        "clause_title": ParagraphStyle(
            "clause_title", parent=base, textColor=BLUE, spaceBefore=2 * mm
        ),
        "clause": ParagraphStyle("clause", parent=base, spaceAfter=1 * mm),
        "total": ParagraphStyle("total", parent=base, alignment=TA_RIGHT, spaceBefore=1.5 * mm),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "cell_small": ParagraphStyle(
            "cell_small",
            parent=base,
            fontSize=6.5,
            leading=8.5,
            textColor=GREY,
        ),
    }


def _para(text, style: str = "base") -> Paragraph:
    return Paragraph(_markup(text), _styles()[style])


def _punctuation() -> tuple[str, str, str]:
    """Colon and brackets of the active language: Chinese text takes full-width ones."""
    if (translation.get_language() or "").startswith("zh"):
        return "：", "（", "）"
    return ": ", " (", ")"


def _labelled(label: str, value) -> Paragraph:
    colon = _punctuation()[0]
    return Paragraph(
        f'<font color="#52606d">{_markup(label)}{colon}</font>{_markup(value)}', _styles()["base"]
    )


class _NumberedCanvas(NumberedCanvas):
    """Draws "第 N 页，共 M 页" (Page N of M) in the middle of the footer."""

    page_count_at = (A4[0] / 2, 12 * mm)


def _page_decorations(number: str):
    """Header (logo text, contract number, Blue Cloud's name) and the static footer parts."""
    number_label = _("Contract number")

    def draw(canv, doc) -> None:
        width, height = A4
        canv.saveState()
        canv.setFont(FONT, 13)
        canv.setFillColor(BLUE)
        canv.drawString(MARGIN_X, height - 17 * mm, PARTY_B_SHORT)
        canv.setFont(FONT, 8.5)
        canv.setFillColor(colors.black)
        canv.drawString(MARGIN_X, height - 22 * mm, f"{number_label}: {number or '—'}")
        canv.drawRightString(width - MARGIN_X, height - 17 * mm, PARTY_B_NAME)
        canv.setFont(FONT, 7.5)
        canv.drawRightString(width - MARGIN_X, height - 21 * mm, PARTY_B_NAME_EN)
        draw_rules(canv, margin_x=MARGIN_X, header_y=height - 24.5 * mm, footer_y=16 * mm)
        canv.setFont(FONT, 8)
        canv.setFillColor(GREY)
        canv.drawString(MARGIN_X, 12 * mm, PARTY_B_SHORT)
        canv.drawRightString(width - MARGIN_X, 12 * mm, str(_("Final & Confidential")))
        canv.restoreState()

    return draw


def _lines_table(lines: list[dict], symbol: str) -> Table:
    rows = [
        [
            _para(_("Service/solution"), "cell"),
            _para(_("Name (material)"), "cell"),
            _para(_("Quantity"), "cell"),
            _para(f"{_('Unit price')}{symbol}", "cell"),
            _para(_("Tax rate") + "%", "cell"),
            _para(f"{_('Total amount')}{symbol}", "cell"),
        ]
    ]
    for line in lines:
        name = [_para(line["name"], "cell")]
        if line.get("sku"):
            name.append(_para(f"SKU: {line['sku']}", "cell_small"))
        rows.append(
            [
                _para(line.get("solution", ""), "cell"),
                name,
                str(line["quantity"]),
                line["unit_price_display"],
                line["tax_rate_display"],
                line["amount_display"],
            ]
        )
    style = [*grid_style(), ("ALIGN", (2, 1), (-1, -1), "RIGHT")]
    if not lines:
        rows.append([_para(_("None"), "cell"), "", "", "", "", ""])
        style.append(("SPAN", (0, 1), (-1, 1)))
    available = A4[0] - 2 * MARGIN_X
    widths = [0.2, 0.34, 0.09, 0.13, 0.09, 0.15]
    return Table(
        rows,
        colWidths=[available * w for w in widths],
        repeatRows=1,
        style=TableStyle(style),
    )


def _total_line(label: str, display: str, capitals: str) -> Paragraph:
    colon, left, right = _punctuation()
    text = f"{label}{colon}{display}  {_('In words')}{left}{capitals}{right}"
    return _para(text, "total")


def _story(doc: dict) -> list:
    party_a, party_b = doc["party_a"], doc["party_b"]
    symbol = doc["currency_symbol"]
    story: list = [
        _para(party_a["name"], "title"),
        _para(_("Order form"), "subtitle"),
    ]
    meta = [
        _labelled(_("Contract number"), doc.get("contract_number") or "—"),
        _labelled(_("Payment method"), doc["payment_method_label"]),
    ]
    if doc.get("agreed_at"):
        meta.append(_labelled(_("Agreed at"), doc["agreed_at"]))
    story.extend(meta)
    story.append(Spacer(1, 3 * mm))
    parties = [
        (_("Reseller (Party A) name"), party_a["name"]),
        (_("Reseller contact name"), party_a["contact_name"]),
        (_("Reseller contact info"), party_a["contact_phone"]),
        (_("Party B name"), party_b["name"]),
        (_("Party B contact name"), party_b["contact_name"]),
        (_("Party B contact info"), party_b["contact_email"]),
    ]
    story.extend(_labelled(label, value) for label, value in parties)

    story.append(_para(_("Terms"), "h2"))
    for index, clause in enumerate(doc["clauses"], start=1):
        if clause["title"]:
            story.append(_para(f"{index}. {clause['title']}", "clause_title"))
            story.append(_para(clause["text"], "clause"))
        else:
            story.append(_para(f"{index}. {clause['text']}", "clause"))

    total_label = _("Total (incl. tax)")
    for heading, lines, key in (
        (_("Product order"), doc["product_lines"], "product_total"),
        (_("Service/deployment order"), doc["service_lines"], "service_total"),
    ):
        story.append(_para(heading, "h2"))
        story.append(_lines_table(lines, symbol))
        story.append(_total_line(total_label, doc[f"{key}_display"], doc[f"{key}_capitals"]))

    story.append(Spacer(1, 3 * mm))
    story.append(
        _total_line(
            _("Total of this order form (product and service/deployment orders)"),
            doc["grand_total_display"],
            doc["grand_total_capitals"],
        )
    )
    bank = doc["bank"]
    story.append(
        KeepTogether(
            [
                _para(_("Party B bank account"), "h2"),
                _labelled(_("Account name"), bank["account_name"]),
                _labelled(_("Bank"), bank["bank_name"]),
                _labelled(_("Account no."), bank["account_no"]),
            ]
        )
    )

    # Appendix A follows on the same page when it fits (no forced break: a page holding
    # only the bank account and a page holding only the appendix were nearly empty).
    customer = doc.get("end_customer") or {}
    rows = [
        [_para(label, "cell"), _para(customer.get(key, ""), "cell")]
        for label, key in (
            (pgettext("person", "Name"), "name"),
            (_("Company"), "company"),
            (_("E-mail"), "email"),
            (_("Phone"), "phone"),
            (_("Address"), "address"),
        )
    ]
    available = A4[0] - 2 * MARGIN_X
    appendix_title = _para(_("Appendix A: service activation information"), "h2")
    story.append(Spacer(1, 4 * mm))
    story.append(
        KeepTogether(
            [
                appendix_title,
                Table(
                    rows,
                    colWidths=[available * 0.25, available * 0.75],
                    style=TableStyle(
                        [*grid_style(header=False), ("BACKGROUND", (0, 0), (0, -1), HEAD_BG)]
                    ),
                ),
            ]
        )
    )
    return story


def _agreed_at(doc: dict) -> datetime | None:
    """The snapshot's agreed time (Shanghai local time, as printed), or None for a draft."""
    try:
        local = datetime.strptime(doc.get("agreed_at") or "", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=ZoneInfo(NUMBER_TIMEZONE))


def render_contract_pdf(data: dict, template: ContractTemplate | None = None) -> bytes:
    """The contract PDF of ``data`` (merge data) with ``template``'s clauses.

    Without ``template``, ``data`` must be a document that already has its clauses
    (``rendering.document_build``), e.g. a stored snapshot.

    An agreed document (a snapshot with its ``agreed_at``) renders byte-identically every
    time: reportlab's invariant mode, the creation date is the agreed time and the
    document ID a digest of the content. The task after the commit and a download that
    comes first therefore store and serve the same bytes (and SHA-256).
    """
    doc = document_build(data=data, template=template)
    agreed_at = _agreed_at(doc)
    with translation.override(DOCUMENT_LANGUAGE):
        number = doc.get("contract_number", "")
        return render_a4(
            _story(doc),
            margins=(MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM),
            decorate=_page_decorations(number),
            canvasmaker=functools.partial(_NumberedCanvas, created=agreed_at),
            title=f"{_('Contract number')} {number}".strip(),
            author=PARTY_B_NAME,
            subject=_("E-order"),
            invariant=1 if agreed_at else None,
        )
