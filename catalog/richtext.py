"""Sanitising of the staff-edited rich-text tabs (方案详情, 成功案例, 技术支持, 用户协议).

The services run every ``*_html`` field through :func:`sanitize_html` before saving,
so the storefront may render the stored HTML with ``|safe``. The allow-list covers
what the console editor (Trix) produces plus plain hand-written HTML: headings,
paragraphs, lists, emphasis, links, images, tables, quotes and code. Scripts, event
handlers, ``style`` attributes and ``javascript:``/``data:`` URLs are removed.
"""

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        *(f"h{level}" for level in range(1, 7)),
        "p",
        "div",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "s",
        "del",
        "a",
        "img",
        "figure",
        "figcaption",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "blockquote",
        "code",
        "pre",
        "span",
    }
)

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}

# Elements whose content is dropped together with the tag (not kept as text).
DROPPED_WITH_CONTENT: frozenset[str] = frozenset({"script", "style", "iframe", "object", "embed"})

LINK_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES: frozenset[str] = frozenset({"http", "https"})


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Images may only load over http(s) or from a relative path (no mailto:, data:)."""
    if tag == "img" and attribute == "src":
        scheme, sep, _rest = value.partition(":")
        if sep and "/" not in scheme and scheme.strip().lower() not in IMAGE_SCHEMES:
            return None
    return value


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the allow-list; links get ``rel="noopener noreferrer"``."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
