"""Registration, activation, login and password reset pages (spec 2.1, 2.2).

Thin: forms parse the input, ``partners.services`` change state, ``partners.tokens``
judges links, ``partners.captcha`` the slider.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from backoffice.throttle import throttle_form, throttled_response
from partners import services
from partners.captcha import challenge_issue
from partners.models import User
from partners.tokens import Purpose, TokenState, token_check

from ..errors import errors_to_form, form_submit
from ..forms.auth import (
    ActivationForm,
    EmailForm,
    LoginForm,
    RegistrationForm,
    SetPasswordForm,
)

GET_POST = ["GET", "POST"]
_REGISTERED_EMAIL = "portal.registered_email"


def _bound(request: HttpRequest, *, files: bool = False) -> tuple:
    """Form data for a POST (bound form), nothing for a GET (unbound form)."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)


# --------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------


@never_cache
@require_http_methods(GET_POST)
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(*_bound(request, files=True))
    refusal = throttle_form(request, "registration", form) if request.method == "POST" else None
    # The service answers None when the e-mail or company is taken: its owner is mailed
    # instead, and this page answers exactly as for a new registration (no enumeration).
    if refusal is None and form_submit(
        request, form, lambda _data: services.registration_submit(**form.service_kwargs())
    ):
        email = User.objects.normalize_email(form.cleaned_data["email"])
        request.session[_REGISTERED_EMAIL] = email
        return redirect("portal:register_done")
    return throttled_response(render(request, "portal/auth/register.html", {"form": form}), refusal)


@require_http_methods(["GET"])
def register_done(request: HttpRequest) -> HttpResponse:
    email = request.session.pop(_REGISTERED_EMAIL, "")
    return render(request, "portal/auth/register_done.html", {"email": email})


# --------------------------------------------------------------------------
# Activation
# --------------------------------------------------------------------------


def _link_problem(request: HttpRequest, state: TokenState, purpose: Purpose, user=None):
    """The page for an expired, used or invalid link (status 400 for invalid, else 200)."""
    context = {
        "state": state.value,
        "purpose": purpose.value,
        "resend_form": EmailForm(initial={"email": user.email if user else ""}),
    }
    status = 400 if state == TokenState.INVALID else 200
    return render(request, "portal/auth/activate_invalid.html", context, status=status)


def _token_link(purpose: Purpose):
    """A page opened from an e-mailed link that sets a password: never cached, the
    passwords kept out of error reports, GET or POST. The view gets the token's user; a
    token that is not valid (unknown, expired, used) answers the link-problem page."""

    def decorate(view: Callable[[HttpRequest, User], HttpResponse]):
        @never_cache
        @sensitive_post_parameters("password1", "password2")
        @require_http_methods(GET_POST)
        @wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            check = token_check(token, purpose)
            if check.state != TokenState.VALID:
                return _link_problem(request, check.state, purpose, check.user)
            return view(request, check.user)

        return wrapper

    return decorate


@_token_link(Purpose.ACTIVATION)
def activate(request: HttpRequest, user: User) -> HttpResponse:
    form = ActivationForm(*_bound(request), user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_activate(user=user, **form.service_kwargs())
        except services.PartnerError as exc:
            if getattr(exc, "code", None) == "already_activated":
                return _link_problem(request, TokenState.USED, Purpose.ACTIVATION, user)
            errors_to_form(form, exc)
        except ValidationError as exc:  # password validators
            errors_to_form(form, exc, unkeyed="password1")
        else:
            messages.success(
                request, _("Your account is activated. Log in with your e-mail and password.")
            )
            return redirect("portal:login")
    return render(request, "portal/auth/activate.html", {"form": form, "account_email": user.email})


@never_cache
@require_http_methods(GET_POST)
def activation_resend(request: HttpRequest) -> HttpResponse:
    """Always the same answer, so nobody can probe which e-mails have accounts."""
    form = EmailForm(*_bound(request))
    sent = False
    refusal = (
        throttle_form(request, "activation_resend", form) if request.method == "POST" else None
    )
    if refusal is None and request.method == "POST" and form.is_valid():
        services.activation_resend(email=form.cleaned_data["email"])
        sent = True
        form = EmailForm()
    response = render(request, "portal/auth/activation_resend.html", {"form": form, "sent": sent})
    return throttled_response(response, refusal)


# --------------------------------------------------------------------------
# Password reset
# --------------------------------------------------------------------------


@never_cache
@require_http_methods(GET_POST)
def password_reset(request: HttpRequest) -> HttpResponse:
    form = EmailForm(*_bound(request))
    refusal = throttle_form(request, "password_reset", form) if request.method == "POST" else None
    if refusal is None and request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect("portal:password_reset_done")
    return throttled_response(
        render(request, "portal/auth/password_reset.html", {"form": form}), refusal
    )


@require_http_methods(["GET"])
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/auth/password_reset_done.html")


@_token_link(Purpose.PASSWORD_RESET)
def password_reset_confirm(request: HttpRequest, user: User) -> HttpResponse:
    form = SetPasswordForm(*_bound(request))
    if form_submit(
        request,
        form,
        lambda data: services.password_reset_complete(user=user, password=data["password1"]),
        unkeyed="password1",
    ):
        messages.success(request, _("Your password was changed. Log in with your new password."))
        return redirect("portal:login")
    return render(
        request,
        "portal/auth/password_reset_confirm.html",
        {"form": form, "account_email": user.email},
    )


# --------------------------------------------------------------------------
# Login
# --------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(GET_POST)
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or reverse("portal:home"))
    form = LoginForm(request, *_bound(request))
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        request.session.set_expiry(settings.REMEMBER_ME_AGE if form.cleaned_data["remember"] else 0)
        return redirect(next_url or reverse("portal:home"))
    context = {
        "form": form,
        "next": next_url,
        "challenge": challenge_issue(request),
    }
    return render(request, "portal/auth/login.html", context)
