"""Forms of 在线创建工单 (4.8) and 申请试用 (4.9): they check the input; ``catalog.leads``
holds the rules and creates the records."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog import leads
from catalog.models import ServiceType, SupportCategory
from partners.models import phone_validator
from partners.uploads import ACCEPT_ATTRIBUTE

TEXTAREA_ROWS = 4


def _name_field() -> forms.CharField:
    return forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter how we should address you")}),
    )


def _phone_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=required,
        validators=[phone_validator],
        widget=forms.TextInput(
            attrs={"placeholder": _("Please enter your phone number"), "inputmode": "tel"}
        ),
    )


def _email_field(placeholder) -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": placeholder}),
    )


def _company_name_field() -> forms.CharField:
    return forms.CharField(
        label=_("Company name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter your company name")}),
    )


class TicketForm(forms.Form):
    service_type = forms.ChoiceField(
        label=_("Service type"), choices=[("", _("Please choose")), *ServiceType.choices]
    )
    support_category = forms.ChoiceField(
        label=_("Support category"),
        choices=[("", _("Please choose")), *SupportCategory.choices],
    )
    subject = forms.CharField(
        label=_("Service subject"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter the subject")}),
    )
    details = forms.CharField(
        label=_("Service details"),
        max_length=leads.DETAILS_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": TEXTAREA_ROWS,
                "placeholder": _("Describe your request (at most 300 characters)"),
                "data-counter": leads.DETAILS_MAX_LENGTH,
            }
        ),
    )
    attachment = forms.FileField(
        label=_("Upload attachment"),
        required=False,
        help_text=_("Optional. JPG, PNG, GIF, BMP or PDF, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    name = _name_field()
    phone = _phone_field(required=False)
    email = _email_field(_("Please enter your e-mail"))
    company_name = _company_name_field()
    next = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)


class TrialForm(forms.Form):
    name = _name_field()
    email = _email_field(_("Please enter your company e-mail"))
    phone = _phone_field(required=True)
    company_name = _company_name_field()
    remarks = forms.CharField(
        label=_("Remarks"),
        max_length=leads.REMARKS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": TEXTAREA_ROWS,
                "placeholder": _("Anything we should know (at most 300 characters)"),
                "data-counter": leads.REMARKS_MAX_LENGTH,
            }
        ),
    )
