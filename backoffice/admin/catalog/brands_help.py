"""Storefront content: brands (品牌专区), help categories and articles (帮助中心).

Product manuals (产品手册) are edited as an inline of the solution (``solutions``).
Saving goes through ``catalog.services_content``, which sanitises the rich text.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.contrib.forms.widgets import WysiwygWidget
from unfold.decorators import display

from catalog.models import Brand, HelpArticle, HelpCategory
from catalog.services_content import brand_save, help_article_save

from .common import CatalogAdmin, _thumbnail


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = (
            "name",
            "slug",
            "logo",
            "summary",
            "intro_html",
            "website",
            "position",
            "is_active",
        )
        widgets = {"intro_html": WysiwygWidget()}


@admin.register(Brand)
class BrandAdmin(CatalogAdmin):
    form = BrandForm
    list_display = ("logo_thumbnail", "name", "solution_count", "position", "is_active")
    list_display_links = ("logo_thumbnail", "name")
    list_editable = ("position",)
    list_filter = ("is_active",)
    search_fields = ("name", "summary")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("position", "name", "pk")
    readonly_fields = ("logo_thumbnail",)
    fields = (
        ("name", "slug"),
        ("logo", "logo_thumbnail"),
        "summary",
        "intro_html",
        "website",
        ("position", "is_active"),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Brand]:
        return super().get_queryset(request).annotate(solution_total=Count("solutions"))

    @display(description=_("logo"))
    def logo_thumbnail(self, obj: Brand) -> str:
        return _thumbnail(obj.logo)

    @display(description=_("solutions"), ordering="solution_total")
    def solution_count(self, obj: Brand) -> int:
        return getattr(obj, "solution_total", 0)

    def save_model(self, request, obj, form, change):
        brand_save(brand=obj, actor=request.user)


@admin.register(HelpCategory)
class HelpCategoryAdmin(CatalogAdmin):
    list_display = ("name", "slug", "article_count", "position", "is_active")
    list_editable = ("position",)
    list_filter = ("is_active",)
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("position", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[HelpCategory]:
        return super().get_queryset(request).annotate(article_total=Count("articles"))

    @display(description=_("help articles"), ordering="article_total")
    def article_count(self, obj: HelpCategory) -> int:
        return getattr(obj, "article_total", 0)


class HelpArticleForm(forms.ModelForm):
    class Meta:
        model = HelpArticle
        fields = ("category", "title", "body_html", "position", "is_published")
        widgets = {"body_html": WysiwygWidget()}


@admin.register(HelpArticle)
class HelpArticleAdmin(CatalogAdmin):
    form = HelpArticleForm
    list_display = ("title", "category", "position", "is_published", "updated_at")
    list_select_related = ("category",)
    list_editable = ("position",)
    list_filter = ("is_published", "category")
    search_fields = ("title",)
    search_help_text = _("Search by title")
    ordering = ("category__position", "category_id", "position", "pk")

    def save_model(self, request, obj, form, change):
        help_article_save(article=obj, actor=request.user)
