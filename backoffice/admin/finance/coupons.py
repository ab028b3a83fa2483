"""Coupons (优惠券): campaigns and the coupons they issued."""

from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields as export_fields
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display
from unfold.enums import ActionVariant
from unfold.widgets import UnfoldAdminSelectWidget

from backoffice.core.money import format_money
from billing.models import Coupon, CouponCampaign, CouponStatus
from billing.services.coupons import campaign_issue, campaign_issue_to_tier
from catalog.models import Region

from ..base import BaseAdmin, ReadOnlyAdmin, guarded_action, money_column, status_column
from ..exports import ExportResource
from ..partners.common import _count_of
from .common import IssueToCompaniesForm, IssueToTierForm, _local
from .coupon_quotas import QuotaIssueMixin

# Once coupons exist, their terms are what the partners hold: only name and quantity change.
CAMPAIGN_TERMS = (
    "currency",
    "face_value",
    "threshold_amount",
    "min_quantity",
    "solutions",
    "region",
    "valid_from",
    "valid_until",
)


class CouponCampaignForm(forms.ModelForm):
    class Meta:
        model = CouponCampaign
        # The admin's fieldsets set the order on the page.
        fields = ("name", "quantity", *CAMPAIGN_TERMS)
        help_texts = {
            "valid_from": _("Asia/Shanghai local time. Leave both dates empty for no expiry."),
            "valid_until": _("Asia/Shanghai local time. Leave both dates empty for no expiry."),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("The end must be after the start."))
        quantity = cleaned.get("quantity")
        if quantity is not None and self.instance.pk:
            issued = self.instance.coupons.count()
            if quantity < issued:
                self.add_error(
                    "quantity",
                    _("%(issued)d coupons were already issued; the quantity cannot be lower.")
                    % {"issued": issued},
                )
        return cleaned


@admin.register(CouponCampaign)
class CouponCampaignAdmin(QuotaIssueMixin, BaseAdmin):
    form = CouponCampaignForm
    list_display = (
        "name",
        "face_value_display",
        "threshold_display",
        "min_quantity",
        "region_display",
        "validity",
        "quantity",
        "issued_count",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by",)
    list_filter = ("currency",)
    search_fields = ("name",)
    search_help_text = _("Search by campaign name")
    filter_horizontal = ("solutions",)
    fieldsets = (
        (None, {"fields": ("name", "currency", "face_value", "quantity")}),
        (
            _("Scope"),
            {"fields": ("threshold_amount", "min_quantity", "solutions", "region")},
        ),
        (_("Validity"), {"fields": ("valid_from", "valid_until")}),
        (_("Record"), {"fields": ("created_by", "created_at")}),
    )
    actions_detail = ("issue_companies_detail", "issue_tier_detail", "issue_quota_detail")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(issued_count=_count_of(Coupon, "campaign"))

    def get_readonly_fields(self, request, obj=None):
        readonly = ("created_by", "created_at")
        if obj is not None and obj.coupons.exists():
            readonly = (*readonly, *CAMPAIGN_TERMS)
        return readonly

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "region":
            return forms.ChoiceField(
                label=_("region"),
                choices=[("", _("All regions")), *Region.choices],
                required=False,
                widget=UnfoldAdminSelectWidget,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.coupons.exists():
            return False  # issued coupons refer to it
        return super().has_delete_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj: CouponCampaign, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # --- columns ---

    face_value_display = money_column("face_value", _("face value"), ordering="face_value")

    threshold_display = money_column(
        "threshold_amount", _("minimum order amount"), ordering="threshold_amount"
    )

    @display(description=_("region"))
    def region_display(self, obj: CouponCampaign) -> str:
        return dict(Region.choices).get(obj.region, obj.region) if obj.region else _("All regions")

    @display(description=_("Validity"))
    def validity(self, obj: CouponCampaign) -> str:
        if not obj.valid_from and not obj.valid_until:
            return gettext("Never expires")
        return f"{_local(obj.valid_from) or '…'} ~ {_local(obj.valid_until) or '…'}"

    @display(description=_("Issued"), ordering="issued_count")
    def issued_count(self, obj: CouponCampaign) -> int:
        return obj.issued_count

    # --- issuing ---

    def has_issue_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("billing.add_coupon")

    def _summary(self, campaign: CouponCampaign) -> list[tuple[str, object]]:
        issued = campaign.coupons.count()
        return [
            (_("Campaign"), campaign.name),
            (_("face value"), format_money(campaign.face_value, campaign.currency)),
            (_("quantity"), campaign.quantity),
            (_("Issued"), issued),
            (_("Left"), max(campaign.quantity - issued, 0)),
        ]

    def _issued(
        self, request, campaign: CouponCampaign, coupons: list[Coupon]
    ) -> str | HttpResponse:
        """The codes issued, or a warning (not a success) when no company matched."""
        if not coupons:
            self.message_user(
                request, gettext("No coupon was issued: no company matched."), messages.WARNING
            )
            return HttpResponseRedirect(self._change_url(campaign))
        return gettext("Issued %(count)d coupon(s) of “%(name)s”: %(codes)s.") % {
            "count": len(coupons),
            "name": campaign.name,
            "codes": ", ".join(coupon.code for coupon in coupons),
        }

    def _issue_action(
        self, request: HttpRequest, object_id: str, form_class, issue, *, title: str
    ) -> HttpResponse:
        """An issue page: ``issue(campaign, data)`` issues the coupons."""
        return self._object_action(
            request,
            object_id,
            form_class,
            perform=lambda campaign, data: self._issued(request, campaign, issue(campaign, data)),
            title=title,
            submit_label=gettext("Issue"),
            summary=self._summary,
        )

    @guarded_action(
        "issue",
        _("Issue to companies"),
        icon="send",
        variant=ActionVariant.PRIMARY,
        url_path="issue-companies",
    )
    def issue_companies_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._issue_action(
            request,
            object_id,
            IssueToCompaniesForm,
            lambda campaign, data: campaign_issue(
                campaign=campaign,
                company_ids=[company.pk for company in data["companies"]],
                actor=request.user,
            ),
            title=gettext("Issue coupons to companies"),
        )

    @guarded_action("issue", _("Issue to a tier"), icon="workspace_premium", url_path="issue-tier")
    def issue_tier_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._issue_action(
            request,
            object_id,
            IssueToTierForm,
            lambda campaign, data: campaign_issue_to_tier(
                campaign=campaign, tier_id=data["tier"].pk, actor=request.user
            ),
            title=gettext("Issue coupons to a membership tier"),
        )


class CouponResource(ExportResource):
    code = export_fields.Field(attribute="code", column_name=_("Coupon code"))
    campaign = export_fields.Field(attribute="campaign__name", column_name=_("Campaign"))
    company = export_fields.Field(attribute="company__name", column_name=_("Company"))
    face_value = export_fields.Field(column_name=_("Face value"))
    status = export_fields.Field(column_name=_("Status"))
    order_number = export_fields.Field(attribute="order_number", column_name=_("Order no."))
    issued_at = export_fields.Field(column_name=_("Issued"))
    used_at = export_fields.Field(column_name=_("Used"))

    class Meta:
        model = Coupon
        fields = (
            "code",
            "campaign",
            "company",
            "face_value",
            "status",
            "order_number",
            "issued_at",
            "used_at",
        )
        export_order = fields

    def dehydrate_face_value(self, coupon: Coupon) -> Decimal | None:
        return self.money(coupon.campaign.face_value)

    def dehydrate_status(self, coupon: Coupon) -> str:
        return str(coupon.get_status_display())

    def dehydrate_issued_at(self, coupon: Coupon) -> datetime | None:
        return self.moment(coupon.issued_at)

    def dehydrate_used_at(self, coupon: Coupon) -> datetime | None:
        return self.moment(coupon.used_at)


COUPON_STATUS_LABELS = {
    CouponStatus.UNUSED: "info",
    CouponStatus.USED: "success",
    CouponStatus.EXPIRED: "danger",
}


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    resource_classes = (CouponResource,)
    list_display = (
        "code",
        "campaign",
        "company",
        "status_label",
        "order_number",
        "issued_at",
        "used_at",
    )
    list_select_related = ("campaign", "company")
    list_filter = ("status", ("campaign", RelatedDropdownFilter))
    search_fields = ("code", "company__name")
    search_help_text = _("Search by coupon code or company name")
    ordering = ("-issued_at", "-pk")

    status_label = status_column(COUPON_STATUS_LABELS)
