"""Console: the second login step and two-factor enrolment (backoffice.twofactor).

``BackofficeAdminSite.get_urls`` mounts ``urls()`` under ``/admin/twofactor/``. The step
pages (verify, enrol, the QR code) are for staff whose password was right and whose
second step is still due; the others (overview, recovery codes, removal) are console
pages like any other. Wrong codes count toward the login lockout (django-axes) exactly
like wrong passwords.
"""

import io
from functools import wraps

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.widgets import UnfoldAdminTextInputWidget

from backoffice import lockout
from backoffice.twofactor import (
    TwoFactorError,
    authenticator_of,
    otp_pending,
    otp_required,
    otp_verify,
    recovery_codes_left,
    recovery_codes_regenerate,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_secret,
    twofactor_remove,
)

# django-otp's own admin pages show every secret key: staff manage their own second factor
# on the pages below instead.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

NEW_CODES_KEY = "twofactor_new_codes"
NEXT_KEY = "twofactor_next"


def account_links(request: HttpRequest) -> list[dict]:
    """unfold's user menu (``UNFOLD["ACCOUNT"]["navigation"]``)."""
    user = request.user
    if not user.is_authenticated:
        return []
    links = [{"title": _("Two-factor login"), "link": reverse("admin:twofactor")}]
    if user.has_usable_password():
        links.append({"title": _("Change password"), "link": reverse("admin:password_change")})
    return links


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=UnfoldAdminTextInputWidget(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, autofocus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["code"].widget.attrs["autofocus"] = True


def _next_url(request: HttpRequest, candidate: str | None = None) -> str:
    candidate = (
        candidate or request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    )
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def step_url(step: str, next_url: str) -> str:
    """The page of a second step ("verify" or "enrol"), coming back to ``next_url``."""
    return f"{reverse(f'admin:twofactor_{step}')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def password_step_view(view):
    """For staff whose password was right: the second step may still be due."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return never_cache(csrf_protect(wrapped))


def _render(request: HttpRequest, template: str, context: dict) -> TemplateResponse:
    request.current_app = admin.site.name
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context})


def _checked_code(request: HttpRequest, form: CodeForm):
    """The device accepting the form's code, or None (form error added). A wrong code is a
    failed login for django-axes; at the limit the session ends and AxesMiddleware answers
    with the lockout page."""
    user = request.user
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.axes_locked_out, request.axes_credentials = True, credentials
        logout(request)
        return None
    device, wait = otp_verify(user=user, code=form.cleaned_data["code"])
    if device is not None:
        return device
    if wait:
        # Not checked, so not a failure: the code may well be right.
        message = ngettext(
            "Too many wrong codes. Wait %(seconds)d second and try again.",
            "Too many wrong codes. Wait %(seconds)d seconds and try again.",
            wait,
        )
        form.add_error("code", message % {"seconds": wait})
        return None
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return None
    form.add_error("code", gettext("The code is not valid. Check it and try again."))
    return None


def _locked_or(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # AxesMiddleware turns the answer into the lockout page while request.axes_locked_out.
    if getattr(request, "axes_locked_out", False):
        return HttpResponseRedirect(reverse("admin:login"))
    return response


@password_step_view
def verify(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    pending = otp_pending(request.user)
    if pending != "verify":
        return HttpResponseRedirect(step_url("enrol", next_url) if pending else next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _checked_code(request, form)
        if device is not None:
            request.session.cycle_key()
            otp_login(request, device)
            lockout.login_completed(request, request.user.get_username())
            return HttpResponseRedirect(next_url)
    response = _render(
        request,
        "admin/twofactor/verify.html",
        {"title": _("Two-factor login"), "form": form, "next": next_url},
    )
    return _locked_or(request, response)


@password_step_view
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _next_url(request)
    pending = otp_pending(user)
    if pending == "verify":
        return HttpResponseRedirect(step_url("verify", next_url))
    if authenticator_of(user) is not None:
        return HttpResponseRedirect(reverse("admin:twofactor"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = totp_enrolment_confirm(user=user, code=form.cleaned_data["code"])
        except TwoFactorError as error:
            form.add_error("code", error)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            lockout.login_completed(request, user.get_username())
            return _show_new_codes(request, codes, next_url)
    device = totp_enrolment_start(user=user)
    secret = totp_secret(device)
    return _render(
        request,
        "admin/twofactor/enrol.html",
        {
            "title": _("Set up two-factor login"),
            "form": form,
            "next": next_url,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "required": pending == "enrol",
        },
    )


@password_step_view
def qr_code(request: HttpRequest) -> HttpResponse:
    """The pending authenticator's otpauth:// URL as an SVG QR code, drawn here (segno):
    the secret never leaves the server for a QR service."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        raise Http404
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        buffer, kind="svg", scale=5, border=2, dark="#000", light="#fff", xmldecl=False
    )
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


def _show_new_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    request.session[NEW_CODES_KEY] = codes
    request.session[NEXT_KEY] = next_url
    return HttpResponseRedirect(reverse("admin:twofactor_codes"))


def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    return _render(
        request,
        "admin/twofactor/overview.html",
        {
            "title": _("Two-factor login"),
            "device": authenticator_of(user),
            "codes_left": recovery_codes_left(user),
            "required": otp_required(user),
            "regenerate_form": CodeForm(auto_id="regenerate_%s", autofocus=False),
            "remove_form": CodeForm(auto_id="remove_%s", autofocus=False),
        },
    )


def new_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made, shown this once."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    next_url = _next_url(request, request.session.pop(NEXT_KEY, None))
    if not codes:
        return HttpResponseRedirect(reverse("admin:twofactor"))
    return _render(
        request,
        "admin/twofactor/codes.html",
        {"title": _("Your recovery codes"), "codes": codes, "next": next_url},
    )


@require_POST
def regenerate(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST, auto_id="regenerate_%s")
    if form.is_valid() and _checked_code(request, form) is not None:
        codes = recovery_codes_regenerate(user=request.user)
        return _show_new_codes(request, codes, reverse("admin:twofactor"))
    return _locked_or(request, _refused(request, form))


@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST, auto_id="remove_%s")
    if form.is_valid() and _checked_code(request, form) is not None:
        twofactor_remove(user=request.user)
        messages.success(request, gettext("Two-factor login was removed."))
        return HttpResponseRedirect(reverse("admin:twofactor"))
    return _locked_or(request, _refused(request, form))


def _refused(request: HttpRequest, form: CodeForm) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return HttpResponseRedirect(reverse("admin:twofactor"))


def urls(site) -> list:
    """The URL patterns, mounted by the console site: console pages go through its
    ``admin_view`` (which also requires the second step), step pages do not."""
    return [
        path("twofactor/", site.admin_view(overview), name="twofactor"),
        path("twofactor/verify/", verify, name="twofactor_verify"),
        path("twofactor/enrol/", enrol, name="twofactor_enrol"),
        path("twofactor/enrol/qr.svg", qr_code, name="twofactor_qr"),
        path("twofactor/recovery-codes/", site.admin_view(new_codes), name="twofactor_codes"),
        path(
            "twofactor/recovery-codes/new/",
            site.admin_view(regenerate),
            name="twofactor_regenerate",
        ),
        path("twofactor/remove/", site.admin_view(remove), name="twofactor_remove"),
    ]
