from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.models import BannerPosition

HOT_LIMIT = 8
NEWS_LIMIT = 6


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """首页: carousel, 热门解决方案, category tabs, 新闻动态 and ad slots (spec 3)."""
    menu = selectors.menu_tree()
    tabs = selectors.category_tabs()
    category_tabs = [
        {"key": "all", "category": None, "solutions": tabs.get(None, [])},
        *(
            {"key": f"c{top.pk}", "category": top, "solutions": tabs.get(top.pk, [])}
            for top in menu
        ),
    ]
    return render(
        request,
        "portal/home.html",
        {
            "banners": selectors.active_banners(BannerPosition.HOME_CAROUSEL),
            "ads": selectors.active_banners(BannerPosition.HOME_AD),
            "hot_solutions": selectors.hot_solutions(HOT_LIMIT),
            "category_tabs": category_tabs,
            "news_items": selectors.latest_news(NEWS_LIMIT),
        },
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
