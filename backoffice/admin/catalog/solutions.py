"""Solutions, their SKUs, images and resources."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from unfold.admin import StackedInline, TabularInline
from unfold.contrib.forms.widgets import WysiwygWidget
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminTextareaWidget

from backoffice.core.money import format_money
from catalog.models import (
    Category,
    Sku,
    Solution,
    SolutionImage,
    SolutionManual,
    SolutionResource,
)
from catalog.resources import SKU_OFFER_FIELDS, SkuExcelResource, SolutionExcelResource
from catalog.services import (
    RICH_TEXT_FIELDS,
    sku_parameters_validate,
    sku_save,
    solution_publish,
    solution_save,
    solution_search_document_refresh,
    solution_unpublish,
)
from catalog.services_content import manual_file_check, manual_save
from partners.uploads import pdf_problem, pdf_refusal

from .common import (
    EMPTY,
    CatalogAdmin,
    _back_to_change,
    _thumbnail,
    confirm_dialog,
    confirmed_action,
)

# An SKU's fields as the solution page edits them (its inline rows).
SKU_FIELDS = ("code", *SKU_OFFER_FIELDS, "position")

PUBLISH_DIALOG = confirm_dialog(
    _("Publish this solution?"),
    _("It appears on the storefront once it has an SKU on sale and a sub-category."),
    _("Publish"),
)
UNPUBLISH_DIALOG = confirm_dialog(
    _("Unpublish this solution?"),
    _("It disappears from the storefront; orders already placed stay."),
    _("Unpublish"),
)


class SkuForm(forms.ModelForm):
    class Meta:
        model = Sku
        fields = ("solution", *SKU_FIELDS)
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
    fields = SKU_FIELDS
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


class SolutionManualForm(forms.ModelForm):
    def clean_file(self):
        """产品手册 are PDFs partners download: plain, readable PDFs only."""
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            data = upload.read()
            upload.seek(0)
            manual_file_check(data, upload.name)
        return upload


class SolutionManualInline(TabularInline):
    model = SolutionManual
    form = SolutionManualForm
    extra = 0
    fields = ("title", "file", "position", "is_published")
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
            "brand",
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

    form = SolutionForm
    resource_classes = [SolutionExcelResource]
    inlines = (SkuInline, SolutionImageInline, SolutionResourceInline, SolutionManualInline)

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
    list_filter = ("is_published", SubCategoryFilter, "trial_enabled", "brand", "provider")
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
                    ("provider", "brand"),
                    "logo",
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
        if formset.model is SolutionManual:
            manuals = formset.save(commit=False)
            for manual in formset.deleted_objects:
                manual.delete()
            for manual in manuals:
                manual_save(manual=manual, actor=request.user)
            return None
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

    def _publish_detail(self, request: HttpRequest, object_id, *, published: bool):
        solution = get_object_or_404(Solution, pk=object_id)
        service = solution_publish if published else solution_unpublish
        done, refused = service(solutions=[solution], actor=request.user)
        self._report(request, done, refused, published=published)
        return _back_to_change(request, self, object_id)

    @confirmed_action(_("Publish"), "public", PUBLISH_DIALOG, variant=ActionVariant.PRIMARY)
    def publish_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        return self._publish_detail(request, object_id, published=True)

    @confirmed_action(_("Unpublish"), "public_off", UNPUBLISH_DIALOG)
    def unpublish_detail(self, request: HttpRequest, form, object_id) -> HttpResponse:
        return self._publish_detail(request, object_id, published=False)


@admin.register(Sku)
class SkuAdmin(CatalogAdmin):
    importable = True

    form = SkuForm
    resource_classes = [SkuExcelResource]
    list_display = (
        "code",
        "plan_name",
        "solution",
        "region",
        "currency",
        "price",
        "tax_rate_display",
        "kind",
        "is_active",
    )
    list_select_related = ("solution",)
    list_filter = ("region", "currency", "kind", "is_active")
    search_fields = ("code", "plan_name", "solution__name")
    search_help_text = _("Search by SKU, plan or solution name")
    autocomplete_fields = ("solution",)
    ordering = ("solution__name", "position", "pk")

    @display(description=_("unit price"), ordering="unit_price")
    def price(self, obj: Sku) -> str:
        """¥2,680.00: the sign and separators, as everywhere else (README, Glossary)."""
        return format_money(obj.unit_price, obj.currency)

    @display(description=_("tax rate %"), ordering="tax_rate")
    def tax_rate_display(self, obj: Sku) -> str:
        """6% (no space, trailing zeros dropped), as on the contract (README, Glossary)."""
        return f"{obj.tax_rate.normalize():f}%"

    def save_model(self, request, obj, form, change):
        sku_save(sku=obj, actor=request.user)
