"""客户订单 forms: 申请开票 (invoice request) and 评价 (review).

They check input only (required fields, lengths, e-mail, choices). The tax ID format,
the fields a VAT special invoice needs and whether the order may be invoiced or
reviewed are decided by ``billing.services.invoices``, ``billing.services.fulfilment``
and ``catalog.services``, whose errors land on the same fields.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models import InvoiceType
from catalog.services import REVIEW_TEXT_MAX_LENGTH


class InvoiceRequestForm(forms.Form):
    invoice_type = forms.ChoiceField(
        label=_("Invoice type"),
        choices=InvoiceType.choices,
        initial=InvoiceType.ORDINARY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the invoice type.")},
    )
    title = forms.CharField(
        label=_("Invoice title"),
        max_length=100,
        error_messages={"required": _("Enter the invoice title.")},
    )
    tax_id = forms.CharField(
        label=_("Tax ID"),
        max_length=30,
        help_text=_("15 to 20 letters and digits, e.g. the unified social credit code."),
        error_messages={"required": _("Enter the tax ID.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    address_phone = forms.CharField(
        label=_("Address and phone"),
        max_length=200,
        required=False,
        help_text=_("Required for a VAT special invoice."),
    )
    bank_account = forms.CharField(
        label=_("Bank and account"),
        max_length=200,
        required=False,
        help_text=_("Required for a VAT special invoice."),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("The invoice is sent to this address."),
        error_messages={"required": _("Enter the e-mail address.")},
    )


RATING_CHOICES = [(value, str(value)) for value in range(5, 0, -1)]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Star rating"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5 stars."),
            "invalid_choice": _("Choose a rating from 1 to 5 stars."),
        },
    )
    text = forms.CharField(
        label=pgettext_lazy("review", "Comment"),
        max_length=REVIEW_TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": REVIEW_TEXT_MAX_LENGTH}),
        help_text=_("At most 500 characters."),
    )
