"""Excel import/export of solutions and SKUs (console 导入/导出), with Chinese column headers.

Rows are matched by 方案标识 (solution slug) and SKU编码 (SKU code), so exporting and
re-importing the same file changes nothing. Every row is validated with the rules of
``catalog.services`` (model ``full_clean``, purchase-parameter shape, publish
prerequisites, known solution and sub-category slugs); one bad row rolls back the
whole file. Search texts of the touched solutions are rebuilt after the import.
"""

import json
from decimal import InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import override
from import_export import fields, resources, widgets

from backoffice.core.money import Currency

from .models import Category, Region, Sku, SkuKind, Solution
from .services import (
    sku_parameters_validate,
    solution_publish_problems,
    solution_search_document_refresh,
)

# --- Widgets -------------------------------------------------------------------


class TextWidget(widgets.CharWidget):
    """Text cells: an empty cell is an empty string; surrounding spaces are dropped."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs).strip()


class YesNoWidget(widgets.BooleanWidget):
    """Exports 是/否; imports 是/否 as well as 1/0, true/false."""

    TRUE_VALUES = [*widgets.BooleanWidget.TRUE_VALUES, "是", "yes", "Yes", "YES", "Y", "y"]
    FALSE_VALUES = [*widgets.BooleanWidget.FALSE_VALUES, "否", "no", "No", "NO", "N", "n"]

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        if value in self.NULL_VALUES:
            return False
        if value in self.TRUE_VALUES:
            return True
        if value in self.FALSE_VALUES:
            return False
        raise ValueError(_("Enter 是 or 否."))

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


class ChoiceCodeWidget(widgets.CharWidget):
    """Exports the stored code (``cn``, ``HKD``, ``service``); imports the code or any label."""

    def __init__(self, choices: type[models.TextChoices], **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = force_str(value).strip() if value is not None else ""
        for choice in self.choices:
            labels = {str(choice.value).lower()}
            for language in ("zh-hans", "en"):
                with override(language):
                    labels.add(str(choice.label).lower())
            if text.lower() in labels:
                return choice.value
        # Unknown values reach full_clean(), which reports "not a valid choice".
        return text


class MoneyWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from exc

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):  # xlsx from the console: a number cell
            return value
        return "" if value is None else str(value)


class ParametersWidget(widgets.JSONWidget):
    """Purchase parameters as JSON text; an empty cell means no parameters."""

    EMPTY = ("", None, "None", "null", "[]")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        if value in self.EMPTY:
            return []
        try:
            return json.loads(value)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(
                _("Purchase parameters are not valid JSON: %(error)s") % {"error": exc}
            ) from exc

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value, ensure_ascii=False) if value else ""


class SolutionSlugWidget(widgets.ForeignKeyWidget):
    def __init__(self, **kwargs):
        super().__init__(Solution, field="slug", **kwargs)

    def clean(self, value, row=None, **kwargs):
        slug = force_str(value).strip() if value is not None else ""
        if not slug:
            raise ValueError(_("Enter the solution slug (方案标识)."))
        try:
            return super().clean(slug, row, **kwargs)
        except Solution.DoesNotExist as exc:
            raise ValueError(_("Unknown solution “%(slug)s”.") % {"slug": slug}) from exc

    def render(self, value, obj=None, **kwargs):
        return value.slug if value is not None else ""


class SubCategorySlugsWidget(widgets.ManyToManyWidget):
    """Sub-category slugs joined by commas; unknown or top-level slugs are row errors."""

    def __init__(self, **kwargs):
        super().__init__(Category, separator=",", field="slug", **kwargs)

    def clean(self, value, row=None, **kwargs):
        slugs = [s.strip() for s in force_str(value or "").replace("，", ",").split(",")]
        slugs = [s for s in slugs if s]
        found = {c.slug: c for c in Category.objects.filter(slug__in=slugs)}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            raise ValueError(_("Unknown categories: %(slugs)s.") % {"slugs": ", ".join(unknown)})
        top_level = [s for s in slugs if found[s].parent_id is None]
        if top_level:
            raise ValueError(
                _("Only sub-categories can be used: %(slugs)s.") % {"slugs": ", ".join(top_level)}
            )
        return Category.objects.filter(slug__in=slugs)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(c.slug for c in value.all())


# --- Resources -----------------------------------------------------------------


class CatalogResource(resources.ModelResource):
    """All-or-nothing imports that rebuild the search text of the solutions they touch."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.touched_solution_ids: set[int] = set()

    def import_data(self, dataset, *args, **kwargs):
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, *args, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not result.has_errors() and not result.has_validation_errors():
            solution_search_document_refresh(solution_ids=self.touched_solution_ids)

    def _merge_errors(self, errors: dict[str, Any], error: Exception) -> None:
        """Merge ``error`` (a ValidationError from super().import_instance) into ``errors``."""
        if isinstance(error, ValidationError):
            errors.update(error.update_error_dict({}))


class SolutionExcelResource(CatalogResource):
    slug = fields.Field(attribute="slug", column_name="方案标识", widget=TextWidget())
    name = fields.Field(attribute="name", column_name="方案名称", widget=TextWidget())
    summary = fields.Field(attribute="summary", column_name="方案简介", widget=TextWidget())
    description = fields.Field(attribute="description", column_name="描述", widget=TextWidget())
    provider = fields.Field(attribute="provider", column_name="提供商", widget=TextWidget())
    categories = fields.Field(
        attribute="categories", column_name="子分类", widget=SubCategorySlugsWidget()
    )
    trial_enabled = fields.Field(
        attribute="trial_enabled", column_name="可申请试用", widget=YesNoWidget()
    )
    is_published = fields.Field(attribute="is_published", column_name="发布", widget=YesNoWidget())

    class Meta:
        model = Solution
        fields = (
            "slug",
            "name",
            "summary",
            "description",
            "provider",
            "categories",
            "trial_enabled",
            "is_published",
        )
        export_order = fields
        import_id_fields = ("slug",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def get_queryset(self):
        return Solution.objects.prefetch_related("categories").order_by("name", "pk")

    def import_instance(self, instance, row, **kwargs):
        was_published = (
            bool(instance.pk)
            and Solution.objects.filter(pk=instance.pk, is_published=True).exists()
        )
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            self._merge_errors(errors, exc)

        categories = None
        if self.fields["categories"].column_name in row:
            try:
                categories = list(self.fields["categories"].clean(row))
            except ValueError as exc:
                errors["categories"] = ValidationError(str(exc), code="invalid")

        if instance.is_published and not was_published and "categories" not in errors:
            if categories is None:
                has_sub_category = (
                    bool(instance.pk) and instance.categories.filter(parent__isnull=False).exists()
                )
            else:
                has_sub_category = bool(categories)
            has_active_sku = bool(instance.pk) and instance.skus.filter(is_active=True).exists()
            problems = solution_publish_problems(
                has_active_sku=has_active_sku, has_sub_category=has_sub_category
            )
            if problems:
                errors["is_published"] = ValidationError(
                    _("It cannot be published yet: %(reasons)s.")
                    % {"reasons": "; ".join(problems)},
                    code="invalid",
                )
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        if instance.is_published and instance.published_at is None:
            instance.published_at = timezone.now()

    def after_save_instance(self, instance, row, **kwargs):
        self.touched_solution_ids.add(instance.pk)


# What an SKU offers (plan, region, price, kind, parameters, state): the columns of the
# SKU sheet after its code and solution, and the console's SKU inline after the code.
SKU_OFFER_FIELDS = (
    "plan_name",
    "region",
    "currency",
    "unit_price",
    "tax_rate",
    "kind",
    "parameters",
    "is_active",
)


class SkuExcelResource(CatalogResource):
    code = fields.Field(attribute="code", column_name="SKU编码", widget=TextWidget())
    solution = fields.Field(
        attribute="solution", column_name="方案标识", widget=SolutionSlugWidget()
    )
    plan_name = fields.Field(attribute="plan_name", column_name="购买计划", widget=TextWidget())
    region = fields.Field(attribute="region", column_name="区域", widget=ChoiceCodeWidget(Region))
    currency = fields.Field(
        attribute="currency", column_name="币种", widget=ChoiceCodeWidget(Currency)
    )
    unit_price = fields.Field(attribute="unit_price", column_name="单价", widget=MoneyWidget())
    tax_rate = fields.Field(attribute="tax_rate", column_name="税率%", widget=MoneyWidget())
    kind = fields.Field(attribute="kind", column_name="类型", widget=ChoiceCodeWidget(SkuKind))
    parameters = fields.Field(
        attribute="parameters", column_name="购买参数", widget=ParametersWidget()
    )
    is_active = fields.Field(attribute="is_active", column_name="上架", widget=YesNoWidget())

    class Meta:
        model = Sku
        fields = ("code", "solution", *SKU_OFFER_FIELDS)
        export_order = fields
        import_id_fields = ("code",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def get_queryset(self):
        return Sku.objects.select_related("solution").order_by("solution__name", "position", "pk")

    def import_instance(self, instance, row, **kwargs):
        self._previous_solution_id = instance.solution_id if instance.pk else None
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            self._merge_errors(errors, exc)
        if "parameters" not in errors:
            try:
                instance.parameters = sku_parameters_validate(instance.parameters)
            except ValidationError as exc:
                errors["parameters"] = exc
        if errors:
            raise ValidationError(errors)

    def after_save_instance(self, instance, row, **kwargs):
        self.touched_solution_ids.add(instance.solution_id)
        if self._previous_solution_id:
            self.touched_solution_ids.add(self._previous_solution_id)
