"""Storefront reads: menu, hot list, category grids, product centre, search and detail.

Every selector runs a fixed number of queries whatever the catalogue size: card
data (the cheapest active SKU's price and currency) comes from correlated
subqueries, relations from prefetches, and pages from a ``Paginator`` (one COUNT
plus one page query; a search instead reads its ranked ids once and then the page's
cards). Only published solutions are ever returned.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connections, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone, translation

from backoffice.core.money import Currency

from .models import Banner, Category, NewsItem, Review, Sku, Solution

PAGE_SIZE = 15
SEARCH_MAX_LENGTH = 100
MENU_CACHE_SECONDS = 60
MENU_CACHE_VERSION = 1
MENU_SOLUTIONS_PER_CATEGORY = 10
TAB_SOLUTIONS_PER_CATEGORY = 8
RELATED_LIMIT = 4
DETAIL_REVIEWS = 20
TRIGRAM_THRESHOLD = 0.5

# Rich-text tabs and the search text are never needed on cards.
CARD_DEFERRED = (
    "description",
    "details_html",
    "cases_html",
    "support_html",
    "agreement_html",
    "search_document",
)


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def category_label(category: Category) -> str:
    """The category's name in the current language (English name when set)."""
    return category.name_en if _english() and category.name_en else category.name


def published() -> QuerySet[Solution]:
    return Solution.objects.filter(is_published=True)


def with_card_data(queryset: QuerySet[Solution]) -> QuerySet[Solution]:
    """Annotate ``from_price``/``from_currency`` (cheapest active SKU) and defer the big fields.

    Prices in different currencies are not comparable: CNY plans (the default) win,
    then the lowest price.
    """
    default_currency_first = Case(
        When(currency=Currency.CNY, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    cheapest = Sku.objects.filter(solution=OuterRef("pk"), is_active=True).order_by(
        default_currency_first, "unit_price", "position", "pk"
    )
    return queryset.defer(*CARD_DEFERRED).annotate(
        from_price=Subquery(cheapest.values("unit_price")[:1]),
        from_currency=Subquery(cheapest.values("currency")[:1]),
    )


def _paginate(queryset: QuerySet, page) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def _in_category(category: Category) -> Exists:
    """The solution sits in ``category`` or, for a top category, in one of its children."""
    categories = Category.objects.filter(Q(pk=category.pk) | Q(parent_id=category.pk)).values("pk")
    return Exists(
        Solution.categories.through.objects.filter(
            solution_id=OuterRef("pk"), category_id__in=categories
        )
    )


# --------------------------------------------------------------------------
# Mega-menu and category tree
# --------------------------------------------------------------------------


@dataclass
class MenuSolution:
    name: str
    slug: str


@dataclass
class MenuCategory:
    pk: int
    name: str
    slug: str
    children: list["MenuCategory"] = field(default_factory=list)
    solutions: list[MenuSolution] = field(default_factory=list)
    has_more: bool = False


def menu_cache_key(language: str | None = None) -> str:
    language = language or translation.get_language() or "zh-hans"
    return f"catalog:menu:v{MENU_CACHE_VERSION}:{language}"


def menu_tree() -> list[MenuCategory]:
    """Active top categories, their active children and each child's published solutions.

    Cached for a minute per language (the labels are translated). Three queries on a
    cache miss, none on a hit.
    """
    key = menu_cache_key()
    tree = cache.get(key)
    if tree is None:
        tree = _menu_tree_build()
        cache.set(key, tree, MENU_CACHE_SECONDS)
    return tree


def _menu_tree_build() -> list[MenuCategory]:
    names = published().only("name", "slug").order_by("name", "pk")
    children = Category.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "solutions",
            queryset=names[: MENU_SOLUTIONS_PER_CATEGORY + 1],
            to_attr="menu_solutions",
        )
    )
    tops = (
        Category.objects.filter(parent__isnull=True, is_active=True)
        .order_by("position", "pk")
        .prefetch_related(
            Prefetch(
                "children", queryset=children.order_by("position", "pk"), to_attr="menu_children"
            )
        )
    )
    tree = []
    for top in tops:
        node = MenuCategory(pk=top.pk, name=category_label(top), slug=top.slug)
        for child in top.menu_children:
            solutions = child.menu_solutions
            node.children.append(
                MenuCategory(
                    pk=child.pk,
                    name=category_label(child),
                    slug=child.slug,
                    solutions=[
                        MenuSolution(name=s.name, slug=s.slug)
                        for s in solutions[:MENU_SOLUTIONS_PER_CATEGORY]
                    ],
                    has_more=len(solutions) > MENU_SOLUTIONS_PER_CATEGORY,
                )
            )
        tree.append(node)
    return tree


def category_get(slug: str) -> Category:
    """An active category by slug (with its parent); ``Category.DoesNotExist`` if there is
    none, or if its parent is inactive."""
    category = Category.objects.select_related("parent").get(slug=slug, is_active=True)
    if category.parent_id and not category.parent.is_active:
        raise Category.DoesNotExist(slug)
    return category


# --------------------------------------------------------------------------
# Card lists
# --------------------------------------------------------------------------


def hot_solutions(limit: int = 8) -> list[Solution]:
    """热门解决方案: pinned first (lowest rank), then paid orders, rating and name."""
    return list(
        with_card_data(published()).order_by(
            F("pinned_rank").asc(nulls_last=True),
            "-paid_order_count",
            "-rating_avg",
            "name",
            "pk",
        )[:limit]
    )


def category_tabs(limit: int = TAB_SOLUTIONS_PER_CATEGORY) -> dict[int | None, list[Solution]]:
    """Cards for the home page tab strip: ``None`` → ALL, top category pk → its solutions.

    Three queries: the first ``limit`` solutions of every top category (a window over
    the solution–category links), the ALL list, and the cards of the picked ids.
    """
    links = (
        Solution.categories.through.objects.filter(
            solution__is_published=True, category__is_active=True
        )
        .annotate(top_id=Coalesce("category__parent_id", "category_id"))
        .annotate(
            row=Window(
                RowNumber(),
                partition_by=[F("top_id")],
                order_by=[F("solution__name").asc(), F("solution_id").asc()],
            )
        )
        .filter(row__lte=limit)
        .values_list("top_id", "solution_id")
    )
    picked: dict[int | None, list[int]] = {}
    for top_id, solution_id in links:
        ids = picked.setdefault(top_id, [])
        if solution_id not in ids:
            ids.append(solution_id)
    picked[None] = list(published().order_by("name", "pk").values_list("pk", flat=True)[:limit])
    wanted = {pk for ids in picked.values() for pk in ids}
    cards = {s.pk: s for s in with_card_data(published().filter(pk__in=wanted))}
    return {top_id: [cards[pk] for pk in ids if pk in cards] for top_id, ids in picked.items()}


def category_solutions(category: Category, page=1) -> Page:
    """A category's published solutions; a top category includes its children's."""
    queryset = with_card_data(published().filter(_in_category(category))).order_by("name", "pk")
    return _paginate(queryset, page)


def all_solutions(page=1, category: Category | None = None, q: str = "") -> Page:
    """产品中心: every published solution, optionally in a category and matching ``q``."""
    queryset = published()
    if category is not None:
        queryset = queryset.filter(_in_category(category))
    term = normalise_query(q)
    if term:
        return _search_page(queryset, term, page)
    return _paginate(with_card_data(queryset).order_by("name", "pk"), page)


def safe_link(url: str) -> str:
    """A banner target usable as ``href``: a site path or an http(s) URL, else nothing."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        return url
    if url.lower().startswith(("http://", "https://")):
        return url
    return ""


def active_banners(position: str) -> list[Banner]:
    """Banners of a slot that are switched on and inside their period; ``href`` is safe."""
    now = timezone.now()
    banners = list(
        Banner.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            position=position,
            is_active=True,
            starts_at__lte=now,
        ).order_by("order", "pk")
    )
    for banner in banners:
        banner.href = safe_link(banner.link_url)
    return banners


def latest_news(limit: int = 6) -> list[NewsItem]:
    return list(
        NewsItem.objects.filter(is_published=True, published_at__lte=timezone.now())
        .defer("body_html")
        .order_by("-published_at", "-pk")[:limit]
    )


# --------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------


def normalise_query(q: str | None) -> str:
    """Trimmed, whitespace-collapsed and cut to ``SEARCH_MAX_LENGTH`` characters."""
    return " ".join(str(q or "")[:SEARCH_MAX_LENGTH].split())


def search_solutions(q: str, page=1) -> Page:
    """Keyword search over name, summary, provider and SKU codes/plan names.

    Matches ``search_document`` (kept lower-cased by the services). Every term must
    appear (partial words and Chinese substrings work); on PostgreSQL a trigram word
    similarity also catches near misses. Ranked: exact name, name prefix, name
    contains, then similarity and name. An empty query returns an empty page.
    """
    term = normalise_query(q)
    if not term:
        return _paginate(Solution.objects.none(), page)
    return _search_page(published(), term, page)


def _search_page(queryset: QuerySet[Solution], term: str, page) -> Page:
    """One page of ``queryset`` matching ``term``: ranked ids first, then the page's cards.

    The ranking has to see every match (the similarity orders them), so one query reads
    the ranked ids and the paginator counts them in Python: the matching and ranking
    work is done once, not once for a COUNT and again for the page. A second query
    reads the card data of the (at most ``PAGE_SIZE``) ids on the page; none when the
    page is empty. On PostgreSQL the ranking query runs in a short transaction that
    first tunes it (see ``_ranked_ids``): one statement more, whatever the catalogue
    size.
    """
    ids_page = Paginator(_ranked_ids(queryset, term), PAGE_SIZE).get_page(page)
    page_ids = list(ids_page.object_list)
    cards = with_card_data(queryset).in_bulk(page_ids) if page_ids else {}
    # A solution unpublished between the two queries is simply left out.
    ids_page.object_list = [cards[pk] for pk in page_ids if pk in cards]
    return ids_page


def _name_rank(term: str) -> Case:
    """0 exact name, 1 name prefix, 2 name contains the term, 3 a match elsewhere."""
    return Case(
        When(name__iexact=term, then=Value(0)),
        When(name__istartswith=term, then=Value(1)),
        When(name__icontains=term, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def _ranked_ids(queryset: QuerySet[Solution], term: str) -> list[int]:
    """The pks of ``queryset`` matching ``term``, best first."""
    lowered = term.lower()
    words = lowered.split()
    name_rank = _name_rank(term)
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        matches_all = Q()
        for word in words:
            matches_all &= Q(search_document__icontains=word)
        ranked = queryset.filter(matches_all).order_by(name_rank.asc(), "name", "pk")
        return list(ranked.values_list("pk", flat=True))

    from django.contrib.postgres.lookups import TrigramWordSimilar
    from django.contrib.postgres.search import TrigramWordSimilarity

    # Each branch is its own sub-query served by the trigram GIN index: the document is
    # lower-case, so a plain LIKE per word; and ``%>`` (word similarity at least
    # ``pg_trgm.word_similarity_threshold``), which the index can answer where
    # ``word_similarity() >= x`` makes PostgreSQL compute it on every row. As
    # ``pk IN (a) OR pk IN (b)`` each becomes a hashed sub-plan, built once and only
    # when needed: the similarity is computed for the index's candidates only, and not
    # at all when the LIKE branch already matched every row. (One bitmap OR over both
    # would compute it again as a filter after the index recheck.)
    contains_all = Solution.objects.filter(
        *(Q(search_document__contains=word) for word in words)
    ).values("pk")
    similar = Solution.objects.filter(
        TrigramWordSimilar(F("search_document"), Value(lowered))
    ).values("pk")
    ranked = queryset.filter(Q(pk__in=contains_all) | Q(pk__in=similar)).order_by(
        name_rank.asc(),
        TrigramWordSimilarity(Value(lowered), "search_document").desc(),
        "name",
        "pk",
    )
    # Both settings last until the end of this transaction only (``is_local``):
    # - the ``%>`` threshold is ours, not pg_trgm's default of 0.6;
    # - pg_trgm declares its functions with the default cost, so the planner believes
    #   a similarity test as cheap as ``=`` and, on a table of a few thousand rows,
    #   prefers a sequential scan that computes it on every row (tens of µs each on a
    #   100-character document). Without sequential scans it takes the GIN index,
    #   which leaves only the candidates to compute.
    # The similarity is only a sort key, never selected: computed once per match.
    with transaction.atomic(using=queryset.db, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true), "
                "set_config('enable_seqscan', 'off', true)",
                [str(TRIGRAM_THRESHOLD)],
            )
        return list(ranked.values_list("pk", flat=True))


# --------------------------------------------------------------------------
# Detail
# --------------------------------------------------------------------------


def solution_detail(slug: str) -> Solution:
    """A published solution with everything its page shows (``Solution.DoesNotExist``
    if there is none).

    Prefetched: ``active_skus``, ``images``, ``resources``, ``related_cards`` (published
    related solutions with card data), ``latest_reviews`` (visible, with company),
    ``category_list`` (with parent).
    """
    reviews = (
        Review.objects.filter(is_hidden=False)
        .select_related("company")
        .order_by("-created_at", "-pk")
    )
    queryset = published().prefetch_related(
        Prefetch(
            "skus",
            queryset=Sku.objects.filter(is_active=True).order_by("position", "pk"),
            to_attr="active_skus",
        ),
        "images",
        "resources",
        Prefetch(
            "related",
            queryset=with_card_data(published()).order_by("name", "pk")[:RELATED_LIMIT],
            to_attr="related_cards",
        ),
        Prefetch("reviews", queryset=reviews[:DETAIL_REVIEWS], to_attr="latest_reviews"),
        Prefetch(
            "categories",
            queryset=Category.objects.select_related("parent").order_by("position", "pk"),
            to_attr="category_list",
        ),
    )
    return queryset.get(slug=slug)  # Solution.DoesNotExist if not published


def related_fallback(solution: Solution, limit: int = RELATED_LIMIT) -> list[Solution]:
    """Hot solutions other than ``solution``, for a detail page without related ones."""
    return [s for s in hot_solutions(limit + 1) if s.pk != solution.pk][:limit]


def open_tickets():
    """Consultation tickets not closed (new or in progress)."""
    from catalog.models import ConsultationTicket, LeadStatus

    return ConsultationTicket.objects.exclude(status=LeadStatus.CLOSED)


def open_trial_requests():
    """Trial requests not closed (new or in progress)."""
    from catalog.models import LeadStatus, TrialRequest

    return TrialRequest.objects.exclude(status=LeadStatus.CLOSED)
