"""在线创建工单 (4.8) and 申请试用 (4.9): full pages, also loaded into a dialog by catalog.js.

``?partial=1`` answers only the form (the dialog body). Forms check the input;
``catalog.leads`` holds the rules and creates the records.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from backoffice.throttle import throttle_form, throttled_response
from catalog import leads
from catalog.models import ServiceType, Solution, SupportCategory
from partners.models import phone_validator
from partners.uploads import ACCEPT_ATTRIBUTE

from ..errors import errors_to_form

TEXTAREA_ROWS = 4


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
    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter how we should address you")}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(
            attrs={"placeholder": _("Please enter your phone number"), "inputmode": "tel"}
        ),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": _("Please enter your e-mail")}),
    )
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter your company name")}),
    )
    next = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)


class TrialForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter how we should address you")}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": _("Please enter your company e-mail")}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        validators=[phone_validator],
        widget=forms.TextInput(
            attrs={"placeholder": _("Please enter your phone number"), "inputmode": "tel"}
        ),
    )
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Please enter your company name")}),
    )
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


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _partial(request: HttpRequest) -> bool:
    return request.GET.get("partial") == "1"


def _published_solution(slug: str) -> Solution | None:
    if not slug:
        return None
    return Solution.objects.filter(slug=slug[:120], is_published=True).first()


@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    solution = _published_solution(request.GET.get("solution", ""))
    refusal = None
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES)
        refusal = throttle_form(request, "ticket", form)
        if refusal is None and form.is_valid():
            data = form.cleaned_data
            try:
                leads.ticket_create(
                    data=data, attachment=data["attachment"], user=request.user, solution=solution
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    gettext(
                        "Your ticket has been submitted. Blue Cloud will contact you "
                        "within 1 working day."
                    ),
                )
                target = _safe_next(request, data.get("next", ""))
                if target:
                    return redirect(target)
                if solution is not None:
                    return redirect("portal:solution_detail", slug=solution.slug)
                return redirect("portal:home")
    else:
        form = TicketForm(
            initial={
                **leads.lead_prefill(request.user),
                "next": _safe_next(request, request.GET.get("next", "")),
            }
        )
    template = (
        "portal/catalog/_ticket_form.html"
        if _partial(request)
        else "portal/catalog/ticket_form.html"
    )
    return throttled_response(
        render(request, template, {"form": form, "solution": solution}), refusal
    )


@require_http_methods(["GET", "POST"])
def trial_create(request: HttpRequest, slug: str) -> HttpResponse:
    solution = _published_solution(slug)
    if solution is None or not solution.trial_enabled:
        raise Http404
    refusal = None
    if request.method == "POST":
        form = TrialForm(request.POST)
        refusal = throttle_form(request, "trial", form)
        if refusal is None and form.is_valid():
            try:
                leads.trial_create(solution=solution, data=form.cleaned_data, user=request.user)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    gettext(
                        "Your trial request has been submitted. Blue Cloud will contact you "
                        "with trial information within 1 working day."
                    ),
                )
                return redirect("portal:solution_detail", slug=solution.slug)
    else:
        form = TrialForm(initial=leads.lead_prefill(request.user))
    template = (
        "portal/catalog/_trial_form.html" if _partial(request) else "portal/catalog/trial_form.html"
    )
    return throttled_response(
        render(request, template, {"form": form, "solution": solution}), refusal
    )
