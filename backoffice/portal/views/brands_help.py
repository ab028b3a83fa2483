"""Public storefront content: 品牌专区 (brands), 帮助中心 (help centre) and the 产品手册
(product manual) downloads of a solution.

Read-only views over ``catalog.selectors_content``. Brands and help articles are public
like the rest of the catalogue; a manual is a private file served to signed-in users
only, and only while it and its solution are published (anything else is a 404).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from backoffice.core.files import private_file_response
from catalog import selectors_content as content
from catalog.models import HelpCategory

from .base import found_or_404, page_context


@require_GET
def brands(request: HttpRequest) -> HttpResponse:
    """品牌专区: every brand shown, with its logo, summary and first solutions."""
    return render(request, "portal/content/brands.html", {"brands": content.active_brands()})


@require_GET
def brand_detail(request: HttpRequest, slug: str) -> HttpResponse:
    brand = found_or_404(content.brand_get, slug)
    return render(
        request,
        "portal/content/brand_detail.html",
        {"brand": brand, "solutions": content.brand_solutions(brand)},
    )


def _help_list(request: HttpRequest, category: HelpCategory | None) -> HttpResponse:
    page, q = content.help_articles(
        category=category, q=request.GET.get("q", ""), page=request.GET.get("page")
    )
    return render(
        request,
        "portal/content/help.html",
        {
            "categories": content.help_categories(),
            "category": category,
            "q": q,
            **page_context(page),
        },
    )


@require_GET
def help_center(request: HttpRequest) -> HttpResponse:
    """帮助中心: the categories, every published article, and search (``?q=``)."""
    return _help_list(request, None)


@require_GET
def help_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = found_or_404(content.help_category_get, slug)
    return _help_list(request, category)


@require_GET
def help_article(request: HttpRequest, pk: int) -> HttpResponse:
    article = found_or_404(content.help_article_get, pk)
    return render(
        request,
        "portal/content/help_article.html",
        {
            "article": article,
            "categories": content.help_categories(),
            "category": article.category,
            "siblings": content.help_article_siblings(article),
        },
    )


@login_required
@require_GET
def solution_manual(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """产品手册 download: a published manual of a published solution, as an attachment."""
    manual = found_or_404(content.manual_get, slug=slug, pk=pk)
    return private_file_response(
        manual.file, filename=manual.filename, content_type="application/pdf"
    )
