"""Categories (two levels)."""

from django.contrib import admin

from catalog.models import Category

from .common import CatalogAdmin


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    list_display = ("name", "name_en", "parent", "slug", "position", "is_active")
    list_display_links = ("name",)
    list_editable = ("position",)
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter), "is_active")
    list_select_related = ("parent",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    ordering = ("parent__position", "parent_id", "position", "pk")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
