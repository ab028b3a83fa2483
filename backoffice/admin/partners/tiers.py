"""Membership tiers and benefits (会员等级 / 会员权益)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from partners.models import Benefit, Tier, TierBenefit

from ..base import BaseAdmin


class TierForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("is_default")
            and Tier.objects.filter(is_default=True).exclude(pk=self.instance.pk).exists()
        ):
            self.add_error(
                "is_default",
                _("Another tier is already the default for new companies; untick it there first."),
            )
        return cleaned


@admin.register(Tier)
class TierAdmin(BaseAdmin):
    form = TierForm
    list_display = ("code", "name", "rank", "is_default", "rebate_rate", "revenue_share_rate")
    list_display_links = ("code", "name")
    search_fields = ("code", "name", "name_en")
    ordering = ("rank",)

    def has_import_permission(self, request) -> bool:
        return False


class TierBenefitInline(TabularInline):
    model = TierBenefit
    fk_name = "benefit"
    extra = 0
    fields = ("tier", "value")
    verbose_name = _("tier benefit")
    verbose_name_plural = _("tier benefits")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tier").order_by("tier__rank")


@admin.register(Benefit)
class BenefitAdmin(BaseAdmin):
    list_display = ("category", "name", "position")
    list_display_links = ("name",)
    list_editable = ("position",)
    search_fields = ("category", "name")
    ordering = ("position", "pk")
    inlines = (TierBenefitInline,)

    def has_import_permission(self, request) -> bool:
        return False
