"""What the project's reportlab documents share: escaped markup, the palette and the
table grid, a canvas that numbers its pages, the A4 document itself, and reproducible
output.

A document built with ``invariant=1`` and a canvas given ``created=`` (its own date, e.g.
a contract's agreed time) is byte-identical every time it is rendered from the same data:
reportlab's document ID is then a digest of the content and the fixed date instead of the
wall clock.
"""

import io
from collections.abc import Callable
from datetime import datetime
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import SimpleDocTemplate

from .fonts import cjk_font

BLUE = colors.HexColor("#1f5fbf")  # headings, the header and its rule
GREY = colors.HexColor("#52606d")  # secondary text: labels, footers
GRID = colors.HexColor("#9aa5b1")  # table grid, the footer rule
HEAD_BG = colors.HexColor("#e8eef7")  # header row or label column of a table


def markup(text) -> str:
    """Escaped text with its line breaks kept: the only way data reaches reportlab's
    Paragraph markup parser (a name like ``<font color=red>X</font>`` prints literally)."""
    return escape(str(text)).replace("\n", "<br/>")


def document_timestamp(when: datetime) -> TimeStamp:
    """reportlab's timestamp (CreationDate and ModDate) fixed at the aware ``when``, in its
    own UTC offset, instead of the wall clock."""
    stamp = TimeStamp(invariant=True)
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    stamp.t = when.timestamp()
    stamp.lt = when.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh, stamp.dmm = int(minutes / 60), abs(minutes) % 60
    stamp.tzname = when.tzname() or "UTC"
    return stamp


def heading_style(name: str, parent: ParagraphStyle, **overrides) -> ParagraphStyle:
    """A section heading: blue 11 pt, kept with what follows unless ``keepWithNext=0``."""
    options = {
        "fontSize": 11,
        "leading": 15,
        "textColor": BLUE,
        "spaceBefore": 4 * mm,
        "spaceAfter": 2 * mm,
        "keepWithNext": 1,
        **overrides,
    }
    return ParagraphStyle(name, parent=parent, **options)


def grid_style(*, header: bool = True) -> list:
    """A table's gridded 8 pt CJK cells; with ``header`` its first row is shaded."""
    style = [
        ("FONT", (0, 0), (-1, -1), cjk_font(), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEAD_BG))
    return style


def draw_rules(canv, *, margin_x: float, header_y: float, footer_y: float) -> None:
    """The page's blue rule under the header and grey rule over the footer."""
    width = A4[0]
    canv.setStrokeColor(BLUE)
    canv.setLineWidth(0.8)
    canv.line(margin_x, header_y, width - margin_x, header_y)
    canv.setStrokeColor(GRID)
    canv.setLineWidth(0.4)
    canv.line(margin_x, footer_y, width - margin_x, footer_y)


class NumberedCanvas(rl_canvas.Canvas):
    """Two passes: the pages are kept until ``save`` knows the total, then
    ``draw_page_count`` draws "page N of M" on each (``self._pageNumber`` is N), in grey
    8 pt at ``page_count_at`` (x, y): centred on x, or ending at it when
    ``page_count_right``. A document subclasses it for its position."""

    page_count_at: tuple[float, float]
    page_count_right = False

    def __init__(self, *args, created: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_page_states: list[dict] = []
        if created is not None:
            self._doc._timeStamp = document_timestamp(created)

    def showPage(self):  # noqa: N802 - reportlab API
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_page_states)
        for state in self._saved_page_states:
            self.__dict__.update(state)
            self.draw_page_count(total)
            super().showPage()
        super().save()

    def draw_page_count(self, total: int) -> None:
        self.saveState()
        self.setFont(cjk_font(), 8)
        self.setFillColor(GREY)
        text = _("Page %(page)d of %(total)d") % {"page": self._pageNumber, "total": total}
        draw = self.drawRightString if self.page_count_right else self.drawCentredString
        draw(*self.page_count_at, text)
        self.restoreState()


def render_a4(
    story: list,
    *,
    margins: tuple[float, float, float],
    decorate: Callable,
    canvasmaker: Callable,
    **info,
) -> bytes:
    """The PDF of ``story`` on A4 in the CJK font: ``margins`` are (side, top, bottom),
    ``decorate`` draws each page's header and footer, ``info`` is the document's title,
    author, subject (and ``invariant``)."""
    side, top, bottom = margins
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=side,
        rightMargin=side,
        topMargin=top,
        bottomMargin=bottom,
        initialFontName=cjk_font(),  # so no Helvetica is referenced, even as the default
        lang="zh-CN",
        **info,
    )
    pdf.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=canvasmaker)
    return buffer.getvalue()
