"""The bank-transfer fields a reseller reports for an order (线下支付) or for credit bills
(线下还款); finance confirms the transfer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.services.credit import local_today


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BankTransferForm(forms.Form):
    """付款账号 and 付款日期 (the date picker stops at today; the service refuses a future date)."""

    payer_account = forms.CharField(
        label=_("Paying bank account"),
        max_length=50,
        error_messages={"required": _("Enter the paying bank account.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    paid_on = forms.DateField(
        label=_("Payment date"),
        error_messages={"required": _("Choose the payment date.")},
        widget=date_input(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A hint for the date picker only; the service refuses a future date.
        self.fields["paid_on"].widget.attrs["max"] = local_today().isoformat()
