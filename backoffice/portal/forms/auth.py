"""Forms of the reseller portal's sign-up and sign-in pages.

They parse and bound the input (lengths, formats, the slider). The rules live in
the domain: ``partners.services`` (uniqueness, files, passwords) and
``partners.auth`` (who may log in). A service's ``PartnerError`` is mapped back
onto the form with ``backoffice.portal.errors.errors_to_form``.
"""

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partners import captcha
from partners.models import RegistrationApplication, User, phone_validator
from partners.selectors import business_owner_choices
from partners.uploads import ACCEPT_ATTRIBUTE, ALLOWED_EXTENSIONS, MAX_FILES


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


# --------------------------------------------------------------------------
# Registration (云睐经销商申请表)
# --------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input with ``multiple``; ``clean`` returns a list of uploads.

    Empty files pass here on purpose: ``partners.uploads`` refuses them with a
    message that names the file, together with the other content checks.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = list(data) if isinstance(data, list | tuple) else [data]
        uploads = [upload for upload in uploads if upload]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        single = super().clean
        return [single(upload, initial) for upload in uploads]


class BusinessOwnerField(forms.ModelChoiceField):
    """The 销售 staff a registrant may pick (``business_owner_choices``), by display name
    only: the public page shows no e-mail address. A value outside that set (another
    staff member's id) is "not one of the available choices"."""

    def label_from_instance(self, obj: User) -> str:
        return obj.name or gettext("Blue Cloud sales %(number)d") % {"number": obj.pk}


class RegistrationForm(forms.Form):
    """Step 1: company and qualification files. Step 2: the contact person."""

    STEP_COMPANY = ("company_name", "business_owner", "files")
    STEP_CONTACT = ("contact_name", "email", "phone", "position", "address", "agree")

    company_name = forms.CharField(
        label=_("Company name"),
        max_length=_max_length(RegistrationApplication, "company_name"),
        widget=forms.TextInput(attrs={"placeholder": _("Enter the company name…")}),
    )
    business_owner = BusinessOwnerField(
        label=_("Business owner"),
        queryset=User.objects.none(),
        empty_label=_("Select"),
        help_text=_(
            "The Blue Cloud person in charge of your company. If you have none, pick any one for now."
        ),
    )
    files = MultipleFileField(
        label=_("Upload company qualification documents"),
        error_messages={"required": _("Upload at least one qualification document.")},
    )
    contact_name = forms.CharField(
        label=_("Contact name"),
        max_length=_max_length(RegistrationApplication, "contact_name"),
        widget=forms.TextInput(attrs={"placeholder": _("Enter your name"), "autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=_max_length(RegistrationApplication, "email"),
        help_text=_("This becomes your login name."),
        widget=forms.EmailInput(
            attrs={"placeholder": _("Enter your e-mail"), "autocomplete": "email"}
        ),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=_max_length(RegistrationApplication, "phone"),
        validators=[phone_validator],
        widget=forms.TextInput(
            attrs={"placeholder": _("Enter your phone number"), "autocomplete": "tel"}
        ),
    )
    position = forms.CharField(
        label=_("Position"),
        max_length=_max_length(RegistrationApplication, "position"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Enter your position")}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=_max_length(RegistrationApplication, "address"),
        widget=forms.TextInput(attrs={"placeholder": _("Enter your address")}),
    )
    agree = forms.BooleanField(
        label=_("I have read and agree to the AggreSmart reseller agreement"),
        error_messages={"required": _("Read and accept the agreement to continue.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_owner"].queryset = business_owner_choices()
        files = self.fields["files"]
        files.widget.attrs["accept"] = ACCEPT_ATTRIBUTE
        files.help_text = gettext(
            "For example the business licence, organisation code certificate, tax registration "
            "certificate or operating licence. Allowed types: %(types)s; at most %(count)d files "
            "of up to 10 MB each."
        ) % {"types": ", ".join(ALLOWED_EXTENSIONS), "count": MAX_FILES}

    def step_fields(self, names: tuple[str, ...]) -> list:
        return [self[name] for name in names]

    @property
    def company_fields(self) -> list:
        return self.step_fields(self.STEP_COMPANY)

    @property
    def contact_fields(self) -> list:
        return self.step_fields(self.STEP_CONTACT)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "company_name": data["company_name"],
            "business_owner": data["business_owner"],
            "files": data["files"],
            "contact_name": data["contact_name"],
            "email": data["email"],
            "phone": data["phone"],
            "position": data["position"],
            "address": data["address"],
        }


# --------------------------------------------------------------------------
# Passwords, e-mail only forms
# --------------------------------------------------------------------------


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SetPasswordForm(forms.Form):
    """New password twice. Django's password validators run in the service."""

    password1 = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords do not match."), code="password_mismatch")
        return second


class ActivationForm(SetPasswordForm):
    """Set the first password; invited users (no name yet) also give their name and phone."""

    name = forms.CharField(
        label=_("Contact name"),
        max_length=_max_length(User, "name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=_max_length(User, "phone"),
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )

    field_order = ["name", "phone", "password1", "password2"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.asks_profile = not user.name
        if not self.asks_profile:
            del self.fields["name"]
            del self.fields["phone"]

    def service_kwargs(self) -> dict:
        kwargs = {"password": self.cleaned_data["password1"]}
        if self.asks_profile:
            kwargs["name"] = self.cleaned_data["name"]
            kwargs["phone"] = self.cleaned_data["phone"]
        return kwargs


# --------------------------------------------------------------------------
# Login (经销商登录)
# --------------------------------------------------------------------------


class RangeInput(forms.NumberInput):
    input_type = "range"


class LoginForm(forms.Form):
    """E-mail + password + slider check + remember me.

    The slider is verified before ``authenticate`` is called, so a failed check
    never counts as a login failure. When ``authenticate`` refuses and the
    password was in fact right, the message says which rule blocks the account.
    """

    # The field is called ``username`` because django-axes reads that field.
    username = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "username",
                "autofocus": True,
                "placeholder": _("Enter your e-mail"),
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "placeholder": _("Enter your password")}
        ),
    )
    slider = forms.CharField(
        label=_("Drag the slider to the marked position"),
        required=False,
        max_length=3,
        widget=RangeInput(attrs={"min": 0, "max": 100, "step": 1}),
    )
    slider_token = forms.CharField(required=False, max_length=512, widget=forms.HiddenInput)
    remember = forms.BooleanField(label=_("Remember me"), required=False)

    error_messages = {
        "invalid_login": _("The e-mail or password is incorrect."),
        "slider": _("Complete the slider check."),
        captcha.TOO_FAST: _("You moved the slider too quickly. Wait a moment and try again."),
        captcha.EXPIRED: _("The slider check has expired. Drag the slider again."),
        "not_activated": _(
            "This account is not activated yet. Open the link in your activation e-mail, "
            "or request a new one."
        ),
        "disabled": _("This account has been disabled. Contact your company's administrator."),
        "company_disabled": _(
            "Your company's account has been disabled. Contact Blue Cloud support."
        ),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user: User | None = None
        self.refusal = ""
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        email, password = cleaned.get("username"), cleaned.get("password")
        if not email or not password:
            return cleaned
        problem = captcha.challenge_check(cleaned.get("slider_token"), cleaned.get("slider"))
        if problem:
            key = problem if problem in self.error_messages else "slider"
            self.add_error("slider", ValidationError(self.error_messages[key], code="slider"))
            return cleaned
        user = authenticate(self.request, username=email, password=password)
        if user is None:
            self.refusal = self._refusal(email, password)
            code = self.refusal or "invalid_login"
            raise ValidationError(self.error_messages[code], code=code)
        self.user = user
        return cleaned

    def _refusal(self, email: str, password: str) -> str:
        """Which rule refused a correct password; "" for a wrong one (the generic message)."""
        if getattr(self.request, "axes_locked_out", False):
            return ""
        user = (
            User.objects.select_related("company")
            .filter(email__iexact=User.objects.normalize_email(email))
            .first()
        )
        if user is None:
            User().set_password(password)  # same hashing cost as a real check
            return ""
        if user.deleted_at is not None or not user.check_password(password):
            return ""
        if not user.is_active:
            return "disabled"
        if user.is_partner and not user.is_activated:
            return "not_activated"
        if user.is_partner and not user.company.is_enabled:
            return "company_disabled"
        return ""
