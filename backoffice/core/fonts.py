"""The CJK TrueType font of every PDF the product renders (contracts, statements)."""

import functools

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: The name the font is registered under in reportlab.
CJK_FONT = "AggreSmartCJK"


@functools.cache
def cjk_font() -> str:
    """Register the CJK TrueType font once per process (parsing the TTC is the slow part).

    A TrueType font is embedded (as a subset) by reportlab; the built-in CID fonts
    (STSong-Light, ...) are never used because they are not embedded.
    """
    pdfmetrics.registerFont(TTFont(CJK_FONT, settings.CJK_FONT_PATH, subfontIndex=0))
    # One face only: map bold/italic to it so markup never falls back to Helvetica.
    pdfmetrics.registerFontFamily(
        CJK_FONT, normal=CJK_FONT, bold=CJK_FONT, italic=CJK_FONT, boldItalic=CJK_FONT
    )
    return CJK_FONT
