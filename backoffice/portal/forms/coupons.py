"""优惠券额度 forms: hand coupons of a quota to a sub-reseller, or reclaim them."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _


class CouponMoveForm(forms.Form):
    """``reseller`` only offers (and accepts) the distributor's own sub-resellers;
    ``expected_handed_out`` is the quota's figure when the page was shown (stale → error)."""

    reseller = forms.ModelChoiceField(
        label=_("Reseller"),
        queryset=None,
        empty_label=_("Select a reseller"),
        error_messages={"invalid_choice": _("Select one of your own resellers.")},
    )
    count = forms.IntegerField(
        label=_("Number of coupons"),
        min_value=1,
        max_value=10000,
        error_messages={"min_value": _("Enter a number of coupons of at least 1.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    expected_handed_out = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, resellers: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reseller"].queryset = resellers
