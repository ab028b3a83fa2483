"""Public storefront: 多品类解决方案, category pages, 产品中心, search, solution detail.

Read-only views over ``catalog.selectors``; nothing here changes state.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET
from django.views.static import serve

from backoffice.core.money import format_money
from catalog import selectors, selectors_content
from catalog.models import BannerPosition, Category, Region, Sku, Solution

from .base import found_or_404, page_context

PRODUCT_RECOMMENDED = 4
QUANTITY_MAX = 9999


def _catalogue(request: HttpRequest, category: Category | None) -> HttpResponse:
    menu = selectors.menu_tree()
    if category is None:
        page = selectors.all_solutions(request.GET.get("page"))
        top, heading, children = None, None, []
    else:
        page = selectors.category_solutions(category, request.GET.get("page"))
        top = category.parent if category.parent_id else category
        heading = selectors.category_label(category)
        children = next((node.children for node in menu if node.pk == top.pk), [])
    return render(
        request,
        "portal/catalog/catalogue.html",
        {
            "menu": menu,
            "category": category,
            "active_top_pk": top.pk if top else None,
            "heading": heading,
            "parent_label": selectors.category_label(top) if top and top != category else "",
            "sub_categories": children,
            "ads": selectors.active_banners(BannerPosition.SOLUTION_AD),
            **page_context(page),
        },
    )


@require_GET
def solutions(request: HttpRequest) -> HttpResponse:
    """多品类解决方案: every published solution, with the category menu on the left."""
    return _catalogue(request, None)


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = found_or_404(selectors.category_get, slug)
    return _catalogue(request, category)


def _query(request: HttpRequest) -> tuple[str, bool]:
    """The search text, cut to the maximum length; the flag says whether it was cut."""
    raw = request.GET.get("q", "")
    return selectors.normalise_query(raw), len(raw.strip()) > selectors.SEARCH_MAX_LENGTH


@require_GET
def products(request: HttpRequest) -> HttpResponse:
    """产品中心 (12.1): search box, 推荐 cards, category filter and every product."""
    q, truncated = _query(request)
    category = None
    slug = request.GET.get("category", "")
    if slug:
        try:
            category = selectors.category_get(slug[:60])
        except Category.DoesNotExist:
            category = None
    page = selectors.all_solutions(request.GET.get("page"), category=category, q=q)
    return render(
        request,
        "portal/catalog/products.html",
        {
            "q": q,
            "truncated": truncated,
            "menu": selectors.menu_tree(),
            "category": category,
            "recommended": [] if (q or category) else selectors.hot_solutions(PRODUCT_RECOMMENDED),
            **page_context(page),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """关键字搜索: result cards; no result suggests the categories."""
    q, truncated = _query(request)
    page = selectors.search_solutions(q, request.GET.get("page"))
    return render(
        request,
        "portal/catalog/search.html",
        {
            "q": q,
            "truncated": truncated,
            "menu": selectors.menu_tree() if not page.paginator.count else [],
            **page_context(page),
        },
    )


def _order_urls() -> tuple[str, str, bool]:
    """Cart and buy-now targets; pending (buttons disabled) until the orders issue adds them."""
    try:
        return reverse("portal:cart_add"), reverse("portal:buy_now"), False
    except NoReverseMatch:
        return "/cart/add/", "/checkout/buy-now/", True


def _sku_choice(solution: Solution, code: str) -> tuple[Sku | None, list[tuple[str, str]]]:
    """The selected SKU (``?sku=`` or the first of the first region) and the regions on sale."""
    skus = solution.active_skus
    labels = dict(Region.choices)
    regions: list[tuple[str, str]] = []
    for sku in skus:
        if sku.region not in {value for value, _ in regions}:
            regions.append((sku.region, labels.get(sku.region, sku.region)))
    regions.sort(key=lambda r: list(labels).index(r[0]) if r[0] in labels else len(labels))
    selected = next((sku for sku in skus if sku.code == code), None)
    if selected is None and regions:
        selected = next(sku for sku in skus if sku.region == regions[0][0])
    return selected, regions


@require_GET
def solution_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """方案详情 (4.6): plans and prices per region, tabs, contact box and related solutions."""
    solution = found_or_404(selectors.solution_detail, slug)
    selected, regions = _sku_choice(solution, request.GET.get("sku", "")[:40])
    region_first = {}
    for sku in solution.active_skus:
        region_first.setdefault(sku.region, sku)
    related = solution.related_cards or selectors.related_fallback(solution)
    cart_url, buy_now_url, orders_pending = _order_urls()
    sku_data = [
        {
            "code": sku.code,
            "plan": sku.plan_name,
            "region": sku.region,
            "price": format_money(sku.unit_price, sku.currency),
        }
        for sku in solution.active_skus
    ]
    top_category = next((c.parent or c for c in solution.category_list if c.is_active), None)
    return render(
        request,
        "portal/catalog/solution_detail.html",
        {
            "solution": solution,
            "skus": solution.active_skus,
            "selected": selected,
            "regions": [(value, label, region_first[value]) for value, label in regions],
            "sku_data": sku_data,
            "related": related,
            "reviews": solution.latest_reviews,
            "manuals": selectors_content.solution_manuals(solution),
            "top_category": top_category,
            "cart_url": cart_url,
            "buy_now_url": buy_now_url,
            "orders_pending": orders_pending,
            "quantity_max": QUANTITY_MAX,
        },
    )


CATALOG_MEDIA = "catalog"
DOWNLOAD_FOLDERS = ("resources/",)


@require_GET
def catalog_media(request: HttpRequest, path: str) -> HttpResponse:
    """Public catalogue images and resource files (MEDIA_ROOT/catalog only).

    Everything else under MEDIA_ROOT (private uploads) has no URL. Files are served
    with nosniff and a sandboxing CSP; resource files are downloads, never inline.
    """
    root = Path(settings.MEDIA_ROOT) / CATALOG_MEDIA
    try:
        response = serve(request, path, document_root=root)
    except SuspiciousFileOperation as exc:  # "../" out of the catalogue folder
        raise Http404 from exc
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    if path.startswith(DOWNLOAD_FOLDERS):
        response["Content-Disposition"] = f'attachment; filename="{Path(path).name}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
