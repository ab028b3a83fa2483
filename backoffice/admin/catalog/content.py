"""Storefront content: banners, news and industry groups."""

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.contrib.forms.widgets import WysiwygWidget
from unfold.decorators import display

from catalog.models import Banner, IndustryGroup, NewsItem, Solution
from catalog.services import news_item_save

from .common import CatalogAdmin, _thumbnail


@admin.register(Banner)
class BannerAdmin(CatalogAdmin):
    list_display = (
        "image_preview",
        "title",
        "position",
        "order",
        "starts_at",
        "ends_at",
        "is_active",
    )
    list_display_links = ("image_preview", "title")
    list_editable = ("order",)
    list_filter = ("position", "is_active")
    search_fields = ("title", "link_url")
    ordering = ("position", "order", "pk")
    readonly_fields = ("image_preview",)
    fields = (
        "title",
        ("image", "image_preview"),
        "link_url",
        ("position", "order"),
        ("starts_at", "ends_at"),
        "is_active",
    )

    @display(description=_("preview"))
    def image_preview(self, obj: Banner) -> str:
        return _thumbnail(obj.image, height=48)


class NewsItemForm(forms.ModelForm):
    class Meta:
        model = NewsItem
        fields = ("title", "slug", "summary", "body_html", "is_published", "published_at")
        widgets = {"body_html": WysiwygWidget()}


@admin.register(NewsItem)
class NewsItemAdmin(CatalogAdmin):
    form = NewsItemForm
    list_display = ("title", "slug", "is_published", "published_at")
    list_filter = ("is_published",)
    search_fields = ("title", "summary")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "published_at"
    ordering = ("-published_at", "-pk")

    def save_model(self, request, obj, form, change):
        news_item_save(news_item=obj, actor=request.user)


@admin.register(IndustryGroup)
class IndustryGroupAdmin(CatalogAdmin):
    list_display = ("name", "position", "solution_count")
    list_editable = ("position",)
    search_fields = ("name",)
    filter_horizontal = ("solutions",)
    ordering = ("position", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndustryGroup]:
        return super().get_queryset(request).annotate(solution_total=Count("solutions"))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "solutions":
            kwargs["queryset"] = Solution.objects.order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @display(description=_("solutions"), ordering="solution_total")
    def solution_count(self, obj: IndustryGroup) -> int:
        return obj.solution_total
