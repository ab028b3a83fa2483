"""Writes of the storefront content: brands, help articles and product manuals.

Rich text is sanitised here (``catalog.richtext``) whoever saves it: the console, the
demo data or a test, so the portal may render it with ``|safe``. Manual files must be
plain, readable PDFs, like every PDF partners download.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partners.models import User

from .models_content import Brand, HelpArticle, SolutionManual
from .richtext import sanitize_html


def _set_history_user(instance, actor: User | None) -> None:
    if actor is not None:
        instance._history_user = actor


@transaction.atomic
def brand_save(*, brand: Brand, actor: User | None = None) -> Brand:
    """Create or update a brand (品牌专区) with its introduction sanitised."""
    brand.intro_html = sanitize_html(brand.intro_html or "")
    brand.full_clean()
    _set_history_user(brand, actor)
    brand.save()
    return brand


@transaction.atomic
def help_article_save(*, article: HelpArticle, actor: User | None = None) -> HelpArticle:
    """Create or update a help article (帮助中心) with its body sanitised."""
    article.body_html = sanitize_html(article.body_html or "")
    article.full_clean()
    _set_history_user(article, actor)
    article.save()
    return article


def manual_file_check(data: bytes, name: str) -> None:
    """Refuse (``ValidationError``) a manual file that is not a plain, readable PDF."""
    from partners.uploads import pdf_problem, pdf_refusal

    if not name.lower().endswith(".pdf"):
        raise ValidationError(_("Product manuals must be PDF files."), code="manual_not_pdf")
    problem = pdf_problem(data)
    if problem:
        raise pdf_refusal(problem, name)


@transaction.atomic
def manual_save(*, manual: SolutionManual, actor: User | None = None) -> SolutionManual:
    """Create or update a product manual (产品手册)."""
    if not manual.file:
        raise ValidationError({"file": _("Upload the manual's PDF file.")})
    manual.full_clean()
    _set_history_user(manual, actor)
    manual.save()
    return manual
