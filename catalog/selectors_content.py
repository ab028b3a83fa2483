"""Storefront reads of the console-managed content: 品牌专区, 帮助中心 and 产品手册.

Fixed query counts whatever the data size: brand lists prefetch their published
solutions' names, help lists read one page, search is ``icontains`` on the title and
body of published articles (a help centre holds dozens of articles, not thousands).
"""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Solution
from .models_content import Brand, HelpArticle, HelpCategory, SolutionManual
from .selectors import normalise_query, published, with_card_data

HELP_PAGE_SIZE = 20
BRAND_CARD_SOLUTIONS = 4

ARTICLE_LIST_FIELDS = ("pk", "title", "category_id", "position", "updated_at")


def active_brands() -> list[Brand]:
    """Brands shown in the brand zone, each with ``solution_total`` and ``solution_names``
    (its first published solutions, for the card). Two queries."""
    names = published().only("pk", "name", "slug", "brand_id").order_by("name", "pk")
    brands = list(
        Brand.objects.filter(is_active=True)
        .defer("intro_html")
        .annotate(solution_total=Count("solutions", filter=Q(solutions__is_published=True)))
        .prefetch_related(Prefetch("solutions", queryset=names, to_attr="published_solutions"))
        .order_by("position", "name", "pk")
    )
    for brand in brands:
        brand.card_solutions = brand.published_solutions[:BRAND_CARD_SOLUTIONS]
    return brands


def brand_get(slug: str) -> Brand:
    """A brand shown in the brand zone (``Brand.DoesNotExist`` otherwise)."""
    return Brand.objects.get(slug=slug, is_active=True)


def brand_solutions(brand: Brand) -> list[Solution]:
    """The brand's published solutions as storefront cards."""
    return list(with_card_data(published().filter(brand=brand)).order_by("name", "pk"))


def help_categories() -> list[HelpCategory]:
    """Active help categories with ``article_total`` (published articles). One query."""
    return list(
        HelpCategory.objects.filter(is_active=True)
        .annotate(article_total=Count("articles", filter=Q(articles__is_published=True)))
        .order_by("position", "pk")
    )


def published_articles() -> QuerySet[HelpArticle]:
    return HelpArticle.objects.filter(is_published=True, category__is_active=True)


def help_articles(*, category: HelpCategory | None = None, q: str = "", page=1) -> tuple[Page, str]:
    """One page of published articles (of ``category``, matching ``q`` in title or body)
    and the normalised search text."""
    term = normalise_query(q)
    queryset = (
        published_articles()
        .select_related("category")
        .only(*ARTICLE_LIST_FIELDS, "category__name", "category__slug")
    )
    if category is not None:
        queryset = queryset.filter(category=category)
    for word in term.split():
        queryset = queryset.filter(Q(title__icontains=word) | Q(body_html__icontains=word))
    queryset = queryset.order_by("category__position", "category_id", "position", "pk")
    return Paginator(queryset, HELP_PAGE_SIZE).get_page(page), term


def help_category_get(slug: str) -> HelpCategory:
    return HelpCategory.objects.get(slug=slug, is_active=True)


def help_article_get(pk: int) -> HelpArticle:
    """A published article of an active category (``HelpArticle.DoesNotExist`` otherwise)."""
    return published_articles().select_related("category").get(pk=pk)


def help_article_siblings(article: HelpArticle) -> list[HelpArticle]:
    """The other published articles of the article's category, for the side list."""
    return list(
        published_articles()
        .filter(category_id=article.category_id)
        .exclude(pk=article.pk)
        .only(*ARTICLE_LIST_FIELDS)
        .order_by("position", "pk")[:10]
    )


def published_manuals() -> QuerySet[SolutionManual]:
    """Manuals partners may download: published, of a published solution."""
    return SolutionManual.objects.filter(is_published=True, solution__is_published=True)


def solution_manuals(solution: Solution) -> list[SolutionManual]:
    return list(published_manuals().filter(solution=solution).order_by("position", "pk"))


def manual_get(*, slug: str, pk: int) -> SolutionManual:
    """A downloadable manual of the solution ``slug`` (``SolutionManual.DoesNotExist`` if it
    is unpublished, belongs to another solution or its solution is not published)."""
    return published_manuals().select_related("solution").get(pk=pk, solution__slug=slug)
