"""在线创建工单 (4.8) and 申请试用 (4.9): full pages, also loaded into a dialog by catalog.js.

``?partial=1`` answers only the form (the dialog body). Forms check the input;
``catalog.leads`` holds the rules and creates the records.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from backoffice.throttle import throttle_form, throttled_response
from catalog import leads
from catalog.models import Solution

from ..errors import form_submit
from ..forms.leads import TicketForm, TrialForm


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
        if refusal is None and form_submit(
            request,
            form,
            lambda data: leads.ticket_create(
                data=data, attachment=data["attachment"], user=request.user, solution=solution
            ),
        ):
            messages.success(
                request,
                gettext(
                    "Your ticket has been submitted. Blue Cloud will contact you "
                    "within 1 working day."
                ),
            )
            target = _safe_next(request, form.cleaned_data.get("next", ""))
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
        if refusal is None and form_submit(
            request,
            form,
            lambda data: leads.trial_create(solution=solution, data=data, user=request.user),
        ):
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
