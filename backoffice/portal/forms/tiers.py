"""Forms of 额度管理 (a distributor's credit allocation to its sub-resellers)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES

ALLOCATE, RECLAIM = "allocate", "reclaim"


class AllocationForm(forms.Form):
    """分配额度 / 回收额度. ``expected_limit``: the allocation the page showed (a stale form
    is refused by the service)."""

    action = forms.ChoiceField(
        choices=[(ALLOCATE, _("Allocate credit")), (RECLAIM, _("Reclaim credit"))],
        widget=forms.HiddenInput,
    )
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    expected_limit = forms.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, widget=forms.HiddenInput
    )


class GrantForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    granted = forms.BooleanField(required=False, widget=forms.HiddenInput)
