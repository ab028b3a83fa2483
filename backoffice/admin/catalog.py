"""Console: solution catalog (categories, solutions and SKUs, banners, news, industry groups,
reviews).

Thin interface over ``catalog.services``: saving a solution sanitises its rich-text
tabs and rebuilds its search text, SKUs are validated by ``sku_save``, publishing and
review hiding go through their services and report refusals with reasons. Consultation
tickets and trial requests live in the leads module.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline, TabularInline
from unfold.contrib.forms.widgets import WysiwygWidget
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextareaWidget

from catalog.models import (
    Banner,
    Category,
    IndustryGroup,
    NewsItem,
    Review,
    Sku,
    Solution,
    SolutionImage,
    SolutionResource,
)
from catalog.resources import SkuExcelResource, SolutionExcelResource
from catalog.services import (
    RICH_TEXT_FIELDS,
    news_item_save,
    review_set_hidden,
    reviews_set_hidden,
    sku_parameters_validate,
    sku_save,
    solution_publish,
    solution_save,
    solution_search_document_refresh,
    solution_unpublish,
)
from partners.uploads import pdf_problem, pdf_refusal

from .base import BaseAdmin
from .navigation import NavGroup

EMPTY = "—"


def _thumbnail(file_field, *, height: int = 32) -> str:  # 32, 48 or 64
    if not file_field:
        return EMPTY
    # Sizes are classes in console/console.css: no style="" in our markup (the CSP).
    return format_html(
        '<img src="{}" alt="" class="bo-thumb bo-thumb-{}" loading="lazy">', file_field.url, height
    )


def _back_to_change(request: HttpRequest, model_admin: admin.ModelAdmin, object_id) -> HttpResponse:
    """Leave a dialog action: htmx navigates on HX-Redirect, a plain POST on a 302."""
    opts = model_admin.model._meta
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[object_id],
        current_app=model_admin.admin_site.name,
    )
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


class CatalogAdmin(BaseAdmin):
    """Import needs add and change rights (a view-only role may still export).

    Only solutions and SKUs have Excel resources that validate like the services;
    the other catalog admins do not import at all (see ``importable``).
    """

    nav_group = NavGroup.CATALOG
    importable = False

    def has_import_permission(self, request) -> bool:
        return (
            self.importable
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def has_export_permission(self, request) -> bool:
        return self.has_view_or_change_permission(request)


# --- Categories ------------------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    nav_icon = "category"
    nav_order = 10

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


# --- Solutions -----------------------------------------------------------------------


class SkuForm(forms.ModelForm):
    class Meta:
        model = Sku
        fields = (
            "solution",
            "code",
            "plan_name",
            "region",
            "currency",
            "unit_price",
            "tax_rate",
            "kind",
            "parameters",
            "is_active",
            "position",
        )
        widgets = {"parameters": UnfoldAdminTextareaWidget(attrs={"rows": 2, "cols": 40})}
        help_texts = {
            "parameters": _(
                'What the buyer fills in at checkout, e.g. [{"key": "tenant_id", "label": '
                '"租户ID", "required": true, "max_length": 64}].'
            ),
        }

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean_parameters(self):
        try:
            return sku_parameters_validate(self.cleaned_data.get("parameters"))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class SkuInline(TabularInline):
    model = Sku
    form = SkuForm
    extra = 0
    fields = (
        "code",
        "plan_name",
        "region",
        "currency",
        "unit_price",
        "tax_rate",
        "kind",
        "parameters",
        "is_active",
        "position",
    )
    tab = True


class SolutionImageInline(TabularInline):
    model = SolutionImage
    extra = 0
    fields = ("preview", "image", "caption", "position")
    readonly_fields = ("preview",)
    tab = True

    @display(description=_("preview"))
    def preview(self, obj: SolutionImage) -> str:
        return _thumbnail(obj.image, height=64)


class SolutionResourceForm(forms.ModelForm):
    def clean_file(self):
        """A PDF partners will download must be a plain, readable PDF, like every upload."""
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile) and (
            upload.name.lower().endswith(".pdf") or upload.content_type == "application/pdf"
        ):
            problem = pdf_problem(upload.read())
            upload.seek(0)
            if problem:
                raise pdf_refusal(problem, upload.name)
        return upload


class SolutionResourceInline(StackedInline):
    model = SolutionResource
    form = SolutionResourceForm
    extra = 0
    fields = (("title", "kind", "position"), ("file", "url"))
    tab = True


class SubCategoryFilter(admin.SimpleListFilter):
    title = _("sub-categories")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        categories = Category.objects.filter(parent__isnull=False).select_related("parent")
        return [(str(c.pk), str(c)) for c in categories.order_by("parent__position", "position")]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(categories__pk=int(value))
        return queryset


class SolutionForm(forms.ModelForm):
    class Meta:
        model = Solution
        fields = (
            "name",
            "slug",
            "summary",
            "description",
            "provider",
            "logo",
            "categories",
            "related",
            "trial_enabled",
            "pinned_rank",
            *RICH_TEXT_FIELDS,
        )
        widgets = {field: WysiwygWidget() for field in RICH_TEXT_FIELDS}


@admin.register(Solution)
class SolutionAdmin(CatalogAdmin):
    importable = True
    nav_icon = "apps"
    nav_order = 20

    form = SolutionForm
    resource_classes = [SolutionExcelResource]
    inlines = (SkuInline, SolutionImageInline, SolutionResourceInline)

    list_display = (
        "logo_thumbnail",
        "name",
        "provider",
        "category_list",
        "sku_count",
        "published",
        "pinned_rank",
        "rating_avg",
        "updated_at",
    )
    list_display_links = ("logo_thumbnail", "name")
    list_filter = ("is_published", SubCategoryFilter, "trial_enabled", "provider")
    search_fields = ("name", "summary", "provider", "skus__code")
    search_help_text = _("Search by name, summary, provider or SKU")
    ordering = ("-updated_at", "-pk")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("categories", "related")
    readonly_fields = (
        "is_published",
        "published_at",
        "rating_avg",
        "rating_count",
        "paid_order_count",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            _("Basic information"),
            {
                "classes": ("tab",),
                "fields": (
                    ("name", "slug"),
                    "summary",
                    "description",
                    ("provider", "logo"),
                    "categories",
                    "related",
                    ("trial_enabled", "pinned_rank"),
                ),
            },
        ),
        (_("solution details"), {"classes": ("tab",), "fields": ("details_html",)}),
        (_("success cases"), {"classes": ("tab",), "fields": ("cases_html",)}),
        (_("technical support"), {"classes": ("tab",), "fields": ("support_html",)}),
        (_("user agreement"), {"classes": ("tab",), "fields": ("agreement_html",)}),
        (
            _("Status"),
            {
                "classes": ("tab",),
                "fields": (
                    ("is_published", "published_at"),
                    ("rating_avg", "rating_count", "paid_order_count"),
                    ("created_at", "updated_at"),
                ),
            },
        ),
    )
    actions = ("publish_selected", "unpublish_selected")
    actions_detail = ("publish_detail", "unpublish_detail")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Solution]:
        return (
            super()
            .get_queryset(request)
            .annotate(sku_total=Count("skus", distinct=True))
            .prefetch_related(Prefetch("categories", queryset=Category.objects.order_by("name")))
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=False).select_related(
                "parent"
            )
        elif db_field.name == "related":
            kwargs["queryset"] = Solution.objects.order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @display(description=_("logo"))
    def logo_thumbnail(self, obj: Solution) -> str:
        return _thumbnail(obj.logo)

    @display(description=_("sub-categories"))
    def category_list(self, obj: Solution) -> str:
        return "、".join(c.name for c in obj.categories.all()) or EMPTY

    @display(description=_("SKUs"), ordering="sku_total")
    def sku_count(self, obj: Solution) -> int:
        return obj.sku_total

    @display(description=_("published"), boolean=True, ordering="is_published")
    def published(self, obj: Solution) -> bool:
        return obj.is_published

    # Saving: the service sanitises and validates; related rows follow in save_related.
    def save_model(self, request, obj, form, change):
        solution_save(solution=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Sku:
            return super().save_formset(request, form, formset, change)
        skus = formset.save(commit=False)
        for sku in formset.deleted_objects:
            sku.delete()
        for sku in skus:
            sku_save(sku=sku, actor=request.user)
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        solution_search_document_refresh(solution_ids=[form.instance.pk])

    # Publishing -------------------------------------------------------------------
    def _report(self, request: HttpRequest, done, refused, *, published: bool) -> None:
        if done:
            message = (
                _("Solutions published: %(count)d.")
                if published
                else _("Solutions unpublished: %(count)d.")
            )
            self.message_user(request, message % {"count": len(done)}, messages.SUCCESS)
        for obj, reasons in refused:
            self.message_user(
                request,
                _("“%(name)s” was not published: %(reasons)s.")
                % {"name": obj.name, "reasons": "; ".join(reasons)},
                messages.WARNING,
            )
        for obj in done:
            self.log_change(request, obj, _("Published") if published else _("Unpublished"))

    @action(description=_("Publish"), permissions=["change"], icon="public")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Solution]) -> None:
        done, refused = solution_publish(solutions=list(queryset), actor=request.user)
        self._report(request, done, refused, published=True)

    @action(description=_("Unpublish"), permissions=["change"], icon="public_off")
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet[Solution]) -> None:
        done, refused = solution_unpublish(solutions=list(queryset), actor=request.user)
        self._report(request, done, refused, published=False)

    @action(
        description=_("Publish"),
        permissions=["change"],
        icon="public",
        variant=ActionVariant.PRIMARY,
        dialog={
            "title": _("Publish this solution?"),
            "description": _(
                "It appears on the storefront once it has an SKU on sale and a sub-category."
            ),
            "form_submit_text": _("Publish"),
        },
    )
    def publish_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        solution = get_object_or_404(Solution, pk=object_id)
        done, refused = solution_publish(solutions=[solution], actor=request.user)
        self._report(request, done, refused, published=True)
        return _back_to_change(request, self, object_id)

    @action(
        description=_("Unpublish"),
        permissions=["change"],
        icon="public_off",
        dialog={
            "title": _("Unpublish this solution?"),
            "description": _("It disappears from the storefront; orders already placed stay."),
            "form_submit_text": _("Unpublish"),
        },
    )
    def unpublish_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        solution = get_object_or_404(Solution, pk=object_id)
        done, refused = solution_unpublish(solutions=[solution], actor=request.user)
        self._report(request, done, refused, published=False)
        return _back_to_change(request, self, object_id)


@admin.register(Sku)
class SkuAdmin(CatalogAdmin):
    importable = True
    nav_icon = "sell"
    nav_order = 30

    form = SkuForm
    resource_classes = [SkuExcelResource]
    list_display = (
        "code",
        "plan_name",
        "solution",
        "region",
        "currency",
        "unit_price",
        "tax_rate",
        "kind",
        "is_active",
    )
    list_select_related = ("solution",)
    list_filter = ("region", "currency", "kind", "is_active")
    search_fields = ("code", "plan_name", "solution__name")
    search_help_text = _("Search by SKU, plan or solution name")
    autocomplete_fields = ("solution",)
    ordering = ("solution__name", "position", "pk")

    def save_model(self, request, obj, form, change):
        sku_save(sku=obj, actor=request.user)


# --- Storefront content ------------------------------------------------------------


@admin.register(Banner)
class BannerAdmin(CatalogAdmin):
    nav_icon = "view_carousel"
    nav_order = 40

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
    nav_icon = "newspaper"
    nav_order = 50

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
    nav_icon = "domain"
    nav_order = 60

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


# --- Reviews ----------------------------------------------------------------------------


@admin.register(Review)
class ReviewAdmin(CatalogAdmin):
    nav_icon = "reviews"
    nav_order = 70

    list_display = ("solution", "company", "stars", "short_text", "is_hidden", "created_at")
    list_select_related = ("solution", "company")
    list_filter = ("is_hidden", "rating")
    search_fields = ("solution__name", "company__name", "order_number", "text")
    search_help_text = _("Search by solution, company, order number or text")
    ordering = ("-created_at", "-pk")
    readonly_fields = (
        "solution",
        "company",
        "author",
        "order_number",
        "rating",
        "text",
        "is_hidden",
        "created_at",
    )
    fields = readonly_fields
    actions = ("hide_selected", "unhide_selected")
    actions_detail = ("hide_detail", "unhide_detail")

    def has_add_permission(self, request, obj=None) -> bool:
        # Reviews are written by buyers of completed orders, never by staff.
        return False

    @display(description=_("stars"), ordering="rating")
    def stars(self, obj: Review) -> str:
        return "★" * obj.rating + "☆" * (5 - obj.rating)

    @display(description=_("review"))
    def short_text(self, obj: Review) -> str:
        return obj.text if len(obj.text) <= 40 else f"{obj.text[:40]}…"

    def _report(self, request: HttpRequest, changed: int, *, hidden: bool) -> None:
        message = (
            _("Reviews hidden: %(count)d.") if hidden else _("Reviews shown again: %(count)d.")
        )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)

    @action(
        description=_("Hide from the storefront"), permissions=["change"], icon="visibility_off"
    )
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        changed = reviews_set_hidden(reviews=list(queryset), hidden=True, actor=request.user)
        self._report(request, changed, hidden=True)

    @action(description=_("Show on the storefront"), permissions=["change"], icon="visibility")
    def unhide_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        changed = reviews_set_hidden(reviews=list(queryset), hidden=False, actor=request.user)
        self._report(request, changed, hidden=False)

    def _set_hidden_detail(self, request: HttpRequest, object_id, *, hidden: bool) -> HttpResponse:
        review = get_object_or_404(Review, pk=object_id)
        with transaction.atomic():
            before = review.is_hidden
            review = review_set_hidden(review=review, hidden=hidden, actor=request.user)
        self._report(request, int(review.is_hidden != before), hidden=hidden)
        return _back_to_change(request, self, object_id)

    @action(
        description=_("Hide from the storefront"),
        permissions=["change"],
        icon="visibility_off",
        dialog={
            "title": _("Hide this review?"),
            "description": _("It no longer counts towards the solution's rating."),
            "form_submit_text": _("Hide"),
        },
    )
    def hide_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        return self._set_hidden_detail(request, object_id, hidden=True)

    @action(
        description=_("Show on the storefront"),
        permissions=["change"],
        icon="visibility",
        dialog={
            "title": _("Show this review again?"),
            "description": _("It counts towards the solution's rating again."),
            "form_submit_text": _("Show"),
        },
    )
    def unhide_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        return self._set_hidden_detail(request, object_id, hidden=False)
