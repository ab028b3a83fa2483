"""The statement PDF in the "AggreSmart账单" layout of spec 9.2 (reportlab platypus).

The CJK TrueType font comes from ``backoffice.core.fonts.cjk_font`` (settings.CJK_FONT_PATH,
subfontIndex=0; embedded as a subset). Every page has a header (title, statement number)
and a footer (payer, "page N of M"); the lines table splits across pages and repeats its
header row. Text from the database reaches Paragraph markup only through ``_para``,
which escapes it first; other table cells are plain strings, which reportlab never parses.
The document is always Chinese (``constants.DOCUMENT_LANGUAGE``).
"""

from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from backoffice.core.fonts import cjk_font
from backoffice.core.money import format_money
from backoffice.core.pdf import (
    BLUE,
    GREY,
    HEAD_BG,
    NumberedCanvas,
    draw_rules,
    grid_style,
    heading_style,
    markup,
    render_a4,
)
from billing.models import Statement

from .constants import DOCUMENT_LANGUAGE, DOCUMENT_TITLE, PAYER_CONTACT, PAYER_NAME
from .labels import EMPTY, order_status_label, summary_items
from .selectors import statement_adjustments, statement_lines

MARGIN_X = 16 * mm
MARGIN_TOP = 26 * mm
MARGIN_BOTTOM = 20 * mm
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("st-base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle(
            "st-title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER
        ),
        "meta": ParagraphStyle("st-meta", parent=base, alignment=TA_CENTER, textColor=GREY),
        "total": ParagraphStyle(
            "st-total",
            parent=base,
            fontSize=20,
            leading=26,
            alignment=TA_CENTER,
            textColor=BLUE,
            spaceBefore=2 * mm,
            spaceAfter=3 * mm,
        ),
        "h2": heading_style("st-h2", base),
        # The lines heading may end a page: keeping it with a table longer than the rest of
        # the page would push the whole table to the next one.
        "h2_loose": heading_style("st-h2-loose", base, keepWithNext=0),
        "cell": ParagraphStyle("st-cell", parent=base, fontSize=8, leading=10.5),
        "right": ParagraphStyle("st-right", parent=base, fontSize=8, alignment=TA_RIGHT),
    }


def _para(text, style: ParagraphStyle) -> Paragraph:
    """Escaped text: the only way data reaches reportlab's markup parser."""
    return Paragraph(markup(text), style)


def _local(value) -> str:
    return timezone.localtime(value).strftime(DATETIME_FORMAT) if value else EMPTY


class _NumberedCanvas(NumberedCanvas):
    """Draws "page N of M" at the right of the footer."""

    page_count_at = (A4[0] - MARGIN_X, 11 * mm)
    page_count_right = True


def _decorate(number: str):
    number_text = f"{_('Statement no.')}: {number}"

    def draw(canv, doc) -> None:
        width, height = A4
        canv.saveState()
        canv.setFont(cjk_font(), 12)
        canv.setFillColor(BLUE)
        canv.drawString(MARGIN_X, height - 16 * mm, DOCUMENT_TITLE)
        canv.setFont(cjk_font(), 8.5)
        canv.setFillColor(colors.black)
        canv.drawRightString(width - MARGIN_X, height - 16 * mm, number_text)
        draw_rules(canv, margin_x=MARGIN_X, header_y=height - 19 * mm, footer_y=15 * mm)
        canv.setFont(cjk_font(), 8)
        canv.setFillColor(GREY)
        canv.drawString(MARGIN_X, 11 * mm, f"{PAYER_NAME} · {PAYER_CONTACT}")
        canv.restoreState()

    return draw


def _lines_table(statement: Statement, st: dict, available: float) -> Table:
    """The lines, a line that does not count in the sales (cancelled, unpaid) greyed and
    marked 不计入, and a totals row of the counted lines: it equals the summary's 销售额."""
    head = [
        _("Order no."),
        _("Order total amount"),
        _("Related products"),
        _("Order status"),
        _("Quantity"),
        _("Transaction time"),
        _("Counted in sales"),
    ]
    rows = [[_para(text, st["cell"]) for text in head]]
    style = grid_style() + [
        ("ALIGN", (1, 1), (1, -1), "RIGHT"),
        ("ALIGN", (4, 1), (4, -1), "RIGHT"),
    ]
    counted, quantity = Decimal(0), 0
    for line in statement_lines(statement=statement).iterator(chunk_size=2000):
        if line.in_sales:
            counted += line.order_total
            quantity += line.quantity
        else:
            style.append(("TEXTCOLOR", (0, len(rows)), (-1, len(rows)), GREY))
        rows.append(
            [
                line.order_number,
                format_money(line.order_total, statement.currency),
                _para(line.products or EMPTY, st["cell"]),
                order_status_label(line.order_status),
                str(line.quantity),
                _local(line.transacted_at),
                _("Counted") if line.in_sales else _("Not counted"),
            ]
        )
    if len(rows) == 1:
        rows.append([_("None"), "", "", "", "", "", ""])
        style.append(("SPAN", (0, 1), (-1, 1)))
    total = len(rows)
    rows.append(
        [
            _("Total (counted in sales)"),
            format_money(counted, statement.currency),
            "",
            "",
            str(quantity),
            "",
            "",
        ]
    )
    style += [
        ("BACKGROUND", (0, total), (-1, total), HEAD_BG),
        ("SPAN", (2, total), (3, total)),
    ]
    return Table(
        rows,
        colWidths=[available * w for w in (0.19, 0.12, 0.25, 0.09, 0.06, 0.18, 0.11)],
        repeatRows=1,
        style=TableStyle(style),
    )


def _story(statement: Statement) -> list:
    st = _styles()
    available = A4[0] - 2 * MARGIN_X
    printed = timezone.localdate().isoformat()
    story: list = [
        _para(DOCUMENT_TITLE, st["title"]),
        _para(
            f"{_('Printed on')}: {printed}    {_('Statement no.')}: {statement.number}",
            st["meta"],
        ),
        _para(format_money(statement.total_payable, statement.currency), st["total"]),
    ]
    parties = [
        [_para(_("Payee"), st["cell"]), _para(statement.company_name, st["cell"])],
        [_para(_("Payer"), st["cell"]), _para(PAYER_NAME, st["cell"])],
        [_para(_("Contact"), st["cell"]), _para(PAYER_CONTACT, st["cell"])],
    ]
    parties_style = grid_style(header=False) + [("BACKGROUND", (0, 0), (0, -1), HEAD_BG)]
    story.append(
        Table(
            parties,
            colWidths=[available * 0.2, available * 0.8],
            style=TableStyle(parties_style),
        )
    )

    story.append(_para(_("Statement summary"), st["h2"]))
    items = summary_items(statement)
    if statement.voucher_reference:
        items.append((_("Voucher"), statement.voucher_reference))
        items.append(
            (_("Payment date"), statement.paid_on.isoformat() if statement.paid_on else EMPTY)
        )
    rows = []
    for index in range(0, len(items), 2):
        pair = items[index : index + 2]
        row = []
        for label, value in pair:
            row += [_para(label, st["cell"]), _para(value, st["cell"])]
        row += [""] * (4 - len(row))
        rows.append(row)
    summary_style = grid_style(header=False) + [
        ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
        ("BACKGROUND", (2, 0), (2, -1), HEAD_BG),
    ]
    story.append(
        Table(
            rows,
            colWidths=[available * w for w in (0.17, 0.33, 0.17, 0.33)],
            style=TableStyle(summary_style),
        )
    )

    story.append(_para(_("Statement lines"), st["h2_loose"]))
    story.append(_lines_table(statement, st, available))

    adjustments = list(statement_adjustments(statement=statement))
    if adjustments:
        story.append(_para(_("Adjustments"), st["h2"]))
        rows = [[_para(t, st["cell"]) for t in (_("Amount"), _("Adjustment reason"), _("Date"))]]
        for adjustment in adjustments:
            rows.append(
                [
                    format_money(adjustment.amount, statement.currency, signed=True),
                    _para(adjustment.reason, st["cell"]),
                    _local(adjustment.created_at),
                ]
            )
        story.append(
            Table(
                rows,
                colWidths=[available * w for w in (0.2, 0.55, 0.25)],
                repeatRows=1,
                style=TableStyle(grid_style()),
            )
        )
    story.append(Spacer(1, 4 * mm))
    return story


def render_statement_pdf(statement: Statement) -> bytes:
    with translation.override(DOCUMENT_LANGUAGE):
        return render_a4(
            _story(statement),
            margins=(MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM),
            decorate=_decorate(statement.number),
            canvasmaker=_NumberedCanvas,
            title=f"{DOCUMENT_TITLE} {statement.number}",
            author=PAYER_NAME,
            subject=DOCUMENT_TITLE,
        )


def pdf_filename(statement: Statement) -> str:
    return f"statement-{statement.number}.pdf"
