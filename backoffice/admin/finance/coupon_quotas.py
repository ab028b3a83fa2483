"""Coupon quotas (优惠券额度): finance issues a campaign's coupons to a distributor, and
sees every quota and every coupon move (quota issue, hand-out, reclaim)."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from backoffice.core.money import format_money
from billing.models import CouponCampaign, CouponMove, CouponQuota
from billing.services.coupon_quotas import coupon_quota_issue
from partners.models import Company, CompanyStatus, CompanyType

from ..base import ReadOnlyAdmin, guarded_action
from .common import FinanceActionMixin


class IssueQuotaForm(forms.Form):
    distributor = forms.ModelChoiceField(
        label=_("Distributor"),
        queryset=Company.objects.none(),
        widget=UnfoldAdminSelectWidget,
        help_text=_("Enabled distributors. Its coupons are created for it at once."),
    )
    quantity = forms.IntegerField(
        label=_("quantity"), min_value=1, max_value=10000, widget=UnfoldAdminIntegerFieldWidget
    )
    reason = forms.CharField(
        label=_("reason"), max_length=200, required=False, widget=UnfoldAdminTextInputWidget
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributor"].queryset = Company.objects.filter(
            company_type=CompanyType.DISTRIBUTOR, status=CompanyStatus.ENABLED
        ).order_by("name", "pk")


class QuotaIssueMixin(FinanceActionMixin):
    """The campaign's detail action 发放额度给分销商 (mixed into ``CouponCampaignAdmin``)."""

    def has_issue_quota_permission(self, request, object_id=None) -> bool:
        return request.user.has_perm("billing.add_couponquota")

    @guarded_action("issue_quota", _("Issue a quota to a distributor"), icon="account_tree")
    def issue_quota_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        def perform(campaign: CouponCampaign, data: dict) -> str:
            quota = coupon_quota_issue(
                campaign_id=campaign.pk,
                distributor_id=data["distributor"].pk,
                quantity=data["quantity"],
                reason=data["reason"],
                actor=request.user,
            )
            return gettext(
                "Issued a quota of %(count)d coupon(s) of “%(name)s” to %(company)s."
            ) % {
                "count": quota.quantity,
                "name": campaign.name,
                "company": quota.distributor.name,
            }

        return self._object_action(
            request,
            object_id,
            IssueQuotaForm,
            perform=perform,
            title=gettext("Issue a coupon quota to a distributor"),
            submit_label=gettext("Issue"),
            summary=self._summary,
        )


@admin.register(CouponQuota)
class CouponQuotaAdmin(ReadOnlyAdmin):
    list_display = (
        "campaign",
        "distributor",
        "face_value_display",
        "quantity",
        "handed_out",
        "reason",
        "issued_by",
        "issued_at",
    )
    list_select_related = ("campaign", "distributor", "issued_by")
    list_filter = (("campaign", RelatedDropdownFilter), ("distributor", RelatedDropdownFilter))
    search_fields = ("campaign__name", "distributor__name")
    search_help_text = _("Search by campaign or distributor name")
    ordering = ("-issued_at", "-pk")

    @display(description=_("face value"))
    def face_value_display(self, obj: CouponQuota) -> str:
        return format_money(obj.campaign.face_value, obj.campaign.currency)


@admin.register(CouponMove)
class CouponMoveAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "coupon",
        "quota",
        "from_company",
        "to_company",
        "handed_out_after",
        "actor",
        "reason",
    )
    list_select_related = ("coupon", "quota__campaign", "from_company", "to_company", "actor")
    list_filter = ("kind", ("quota__distributor", RelatedDropdownFilter))
    search_fields = ("coupon__code", "from_company__name", "to_company__name")
    search_help_text = _("Search by coupon code or company name")
