"""What the project's reportlab documents share: escaped markup, a canvas that
numbers its pages, and reproducible output.

A document built with ``invariant=1`` and a canvas given ``created=`` (its own date, e.g.
a contract's agreed time) is byte-identical every time it is rendered from the same data:
reportlab's document ID is then a digest of the content and the fixed date instead of the
wall clock.
"""

from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen import canvas as rl_canvas


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


class NumberedCanvas(rl_canvas.Canvas):
    """Two passes: the pages are kept until ``save`` knows the total, then
    ``draw_page_count`` draws "page N of M" on each (``self._pageNumber`` is N).
    A document subclasses it for its own font, colour and position."""

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
        raise NotImplementedError
