"""Storefront URLs (included into the "portal" namespace by ``urls.py``)."""

from django.urls import path

from .views import brands_help, catalog, leads

urlpatterns = [
    path("solutions/", catalog.solutions, name="solutions"),
    path("solutions/category/<slug:slug>/", catalog.category, name="category"),
    path("solutions/<slug:slug>/", catalog.solution_detail, name="solution_detail"),
    path("solutions/<slug:slug>/trial/", leads.trial_create, name="trial_create"),
    path(
        "solutions/<slug:slug>/manuals/<int:pk>/",
        brands_help.solution_manual,
        name="solution_manual",
    ),
    path("products/", catalog.products, name="products"),
    path("brands/", brands_help.brands, name="brands"),
    path("brands/<slug:slug>/", brands_help.brand_detail, name="brand_detail"),
    path("help/", brands_help.help_center, name="help"),
    path("help/category/<slug:slug>/", brands_help.help_category, name="help_category"),
    path("help/<int:pk>/", brands_help.help_article, name="help_article"),
    path("search/", catalog.search, name="search"),
    path("tickets/new/", leads.ticket_create, name="ticket_create"),
    # Only catalogue images and resources are public; private uploads have no URL.
    path("media/catalog/<path:path>", catalog.catalog_media, name="catalog_media"),
]
