"""What the project's reportlab documents share: escaped markup and a canvas that
numbers its pages."""

from xml.sax.saxutils import escape

from reportlab.pdfgen import canvas as rl_canvas


def markup(text) -> str:
    """Escaped text with its line breaks kept: the only way data reaches reportlab's
    Paragraph markup parser (a name like ``<font color=red>X</font>`` prints literally)."""
    return escape(str(text)).replace("\n", "<br/>")


class NumberedCanvas(rl_canvas.Canvas):
    """Two passes: the pages are kept until ``save`` knows the total, then
    ``draw_page_count`` draws "page N of M" on each (``self._pageNumber`` is N).
    A document subclasses it for its own font, colour and position."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_page_states: list[dict] = []

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
