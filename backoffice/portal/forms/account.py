"""Personal center (个人中心) forms. They validate input only; views pass it to services."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partners.models import phone_validator

SEARCH_MAX_LENGTH = 100


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX_LENGTH, required=False)

    def term(self) -> str:
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""


class BulkActionForm(forms.Form):
    """Checked rows plus the toolbar button. ``ids`` only accepts rows of ``queryset``."""

    action = forms.ChoiceField(choices=())
    ids = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={
            "required": _("Select at least one row first."),
            "invalid_choice": _("Some of the selected rows are not available."),
            "invalid_pk_value": _("Some of the selected rows are not available."),
        },
    )

    def __init__(self, *args, queryset: QuerySet, actions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = queryset
        self.fields["action"].choices = actions


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )


class CompanyUserForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    phone = forms.CharField(
        label=_("Mobile"), max_length=20, required=False, validators=[phone_validator]
    )


class TransferAdminForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that I will become a co-administrator and lose user management."),
        required=True,
        error_messages={"required": _("Tick the box to confirm the transfer.")},
    )


class ResellerForm(forms.Form):
    name = forms.CharField(label=_("Company"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200)


class EndCustomerForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    company_name = forms.CharField(label=_("Company"), max_length=100)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, validators=[phone_validator]
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
