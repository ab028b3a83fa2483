"""Storefront URLs (included into the "portal" namespace by ``urls.py``)."""

from django.urls import path

from .views import catalog, leads

urlpatterns = [
    path("solutions/", catalog.solutions, name="solutions"),
    path("solutions/category/<slug:slug>/", catalog.category, name="category"),
    path("solutions/<slug:slug>/", catalog.solution_detail, name="solution_detail"),
    path("solutions/<slug:slug>/trial/", leads.trial_create, name="trial_create"),
    path("products/", catalog.products, name="products"),
    path("search/", catalog.search, name="search"),
    path("tickets/new/", leads.ticket_create, name="ticket_create"),
    # Only catalogue images and resources are public; private uploads have no URL.
    path("media/catalog/<path:path>", catalog.catalog_media, name="catalog_media"),
]
