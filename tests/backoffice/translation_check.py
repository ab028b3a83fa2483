"""The oracle of ``test_translations.py``: what counts as an untranslated string.

Built from the catalogue: every English msgid of ``locale/zh_Hans/LC_MESSAGES/django.po``
(ours, plus the third-party strings we override through ``backoffice/admin/unfold_i18n.py``
and ``backoffice/admin/third_party_i18n.py``) must not show in the visible text of a page
rendered in zh-hans. In English, no Chinese UI text may show, except user content (demo and
test data, read from the database) and the allowlist below.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.db import models

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Msgids that may show in English on a Chinese page. Each with its reason.
ALLOWED_MSGIDS = {
    # Brand, product and protocol names: the same in both languages.
    "AggreSmart",
    "Blue Cloud",  # the logo text of the contract document (蓝云 in running text)
    "API",
    "Webhooks",
    "Webhook",
    "Excel",
    "PDF",
    "CSV",
    "JSON",
    "Email",  # also a field's data header in demo exports: kept by its own label test
    "SKU",
    "URL",
    "IP",
    "ID",
    "CNY",
    "USD",
    "HKD",
    "EUR",
    # The language switcher names English in English on purpose.
    "English",
}
# Msgids shorter than this are too ambiguous to look for (units, codes, "OK"...).
MIN_LENGTH = 4
# Visible Chinese that may stay on an English page (beyond database content).
ALLOWED_CJK = {
    "简体中文",  # the language switcher names Chinese in Chinese
    "云睐",  # the brand: 云睐 AggreSmart
}

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[^}]*\}")
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass
class Catalogue:
    exact: dict[str, str] = field(default_factory=dict)  # normalised msgid -> msgid
    patterns: list[tuple[re.Pattern, str]] = field(default_factory=list)


def _usable(entry) -> bool:
    if entry.obsolete:
        return False
    msgid = _normal(entry.msgid)
    if msgid in ALLOWED_MSGIDS or len(msgid) < MIN_LENGTH:
        return False
    translated = entry.msgstr or next(iter(entry.msgstr_plural.values()), "")
    if translated and _normal(translated) == msgid:
        return False  # the same in both languages (names, codes)
    return not CJK.search(msgid) and re.search(r"[A-Za-z]{2}", msgid) is not None


@cache
def catalogue() -> Catalogue:
    result = Catalogue()
    for entry in polib.pofile(str(PO)):
        if not _usable(entry):
            continue
        msgid = _normal(entry.msgid.replace("%%", "%"))
        if _PLACEHOLDER.search(msgid):
            # A formatted string: look for its literal parts, with anything in the holes.
            parts = [re.escape(p) for p in _PLACEHOLDER.split(msgid)]
            if sum(len(p) for p in _PLACEHOLDER.split(msgid)) >= 12:
                pattern = r"(?<![A-Za-z])" + r".{1,80}?".join(parts) + r"(?![A-Za-z])"
                result.patterns.append((re.compile(pattern), entry.msgid))
            continue
        result.exact[msgid] = entry.msgid
        result.exact.setdefault(msgid.rstrip(":："), entry.msgid)
        if len(msgid.split()) >= 4:  # a sentence: also inside a longer text node
            pattern = r"(?<![A-Za-z])" + re.escape(msgid) + r"(?![A-Za-z])"
            result.patterns.append((re.compile(pattern), entry.msgid))
    return result


class _TextParser(HTMLParser):
    """Visible text nodes, and the attributes a user reads (placeholder, title, aria-label).

    Icon ligatures (``<span class="material-symbols-outlined">payments</span>``) are glyphs,
    not words: skipped.
    """

    SKIP = {"script", "style", "template", "noscript", "textarea"}
    READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, skip_classes: tuple[str, ...] = ()):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self._icon: list[str] = []  # open icon elements
        self._skip_classes = skip_classes
        self._depth = 0  # open elements
        self._skipped_at: int | None = None  # depth of an open skipped subtree

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag not in self.VOID:
            self._depth += 1
            if self._skipped_at is None and any(c in classes for c in self._skip_classes):
                self._skipped_at = self._depth
        if self._skipped_at is not None:
            return
        if tag in self.SKIP:
            self._skip += 1
        if "material-symbols" in classes:
            self._icon.append(tag)
        for name, value in attrs:
            if name == "alt" and "/admin/img/icon-" in (dict(attrs).get("src") or ""):
                continue  # Django's yes/no icons: alt="True" / "False", Django's own English
            if name in self.READ_ATTRIBUTES and value:
                self.texts.append(_normal(value))
        if tag == "input":
            kinds = dict(attrs)
            if kinds.get("type") in ("submit", "button") and kinds.get("value"):
                self.texts.append(_normal(kinds["value"]))

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            if self._skipped_at is not None:
                if self._depth == self._skipped_at:
                    self._skipped_at = None
                self._depth -= 1
                return
            self._depth -= 1
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if self._icon and self._icon[-1] == tag:
            self._icon.pop()

    def handle_data(self, data):
        if not self._skip and not self._icon and self._skipped_at is None:
            text = _normal(data)
            if text:
                self.texts.append(text)


def visible_texts(html: str, skip_classes: tuple[str, ...] = ()) -> list[str]:
    parser = _TextParser(skip_classes)
    parser.feed(html)
    return parser.texts


def english_left(html: str, content: str = "") -> set[str]:
    """Catalogue msgids that show untranslated in ``html``, except a text that is a value of
    the database (``content``, one value a line: an English name a user typed)."""
    cat = catalogue()
    found = set()
    for text in visible_texts(html):
        if content and f"\n{text}\n" in content:
            continue
        if text in cat.exact:
            found.add(cat.exact[text])
            continue
        for pattern, msgid in cat.patterns:
            if pattern.search(text):
                found.add(msgid)
    return found


def user_content() -> str:
    """Every text value in the database (user content: demo data, test rows), one string."""
    values = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            values.extend(str(v) for v in row if v)
    return "\n" + "\n".join(values) + "\n"


def document_terms() -> set[str]:
    """Chinese that belongs to a document or a file format, not to the interface: the
    merge fields of the Chinese contract template (``contracts.constants.MERGE_FIELDS``) and
    the column headers the console's imports expect (Chinese by design)."""
    from django.contrib import admin
    from django.test import RequestFactory

    from contracts.constants import MERGE_FIELDS

    terms = set(MERGE_FIELDS.values())
    request = RequestFactory().get("/admin/")
    for model_admin in admin.site._registry.values():
        getter = getattr(model_admin, "get_import_resource_classes", None)
        for resource in getter(request) if getter else ():
            terms.update(str(field.column_name) for field in resource().get_import_fields())
    return {run for term in terms for run in HAN.findall(term)}


def chinese_left(html: str, content: str, allowed: set[str]) -> set[str]:
    """Runs of Chinese characters in the visible text of ``html`` that are neither user
    content (``content``: the database's text) nor ``allowed``. The contract document
    (``.contract-doc``) is Chinese in every language (``contracts.constants.DOCUMENT_LANGUAGE``)."""
    found = set()
    for text in visible_texts(html, skip_classes=("contract-doc",)):
        for run in HAN.findall(text):
            if run in ALLOWED_CJK or run in allowed or run in content:
                continue
            found.add(run)
    return found
