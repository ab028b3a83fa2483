"""额度管理 (经销商管理): a distributor's sub-resellers with their delegated credit, the
allocate and reclaim forms, the adjustment log (调整记录) and the co-admins' grant.

The 管理员 and 协同管理员 of a distributor see these pages; allocating is for the 管理员
and the co-admins it granted (``billing.services.delegated.may_allocate``). Every
sub-reseller is looked up among the signed-in distributor's own: another id is a 404.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from billing.selectors.delegated import adjustment_log, sub_resellers_with_credit
from billing.services.delegated import credit_allocate, credit_reclaim, may_allocate
from partners import selectors as partner_selectors
from partners import services as partner_services
from partners.models import CompanyRole

from ..errors import errors_to_messages, form_submit
from ..forms.tiers import ALLOCATE, AllocationForm, GrantForm
from ..navigation import can_view_tiers
from .base import paginate, partner_view, render_account

CURRENCY = "CNY"


def _render(request, template: str, context: dict) -> HttpResponse:
    return render_account(request, f"portal/account/{template}", "tiers", context)


@partner_view(methods=("GET",), allowed=can_view_tiers)
def tiers(request: HttpRequest) -> HttpResponse:
    distributor = request.user.company
    page, page_range = paginate(
        request, sub_resellers_with_credit(distributor_id=distributor.pk, currency=CURRENCY)
    )
    account = distributor.credit_accounts.filter(currency=CURRENCY).first()
    co_admins = []
    if request.user.is_company_admin:
        co_admins = list(
            partner_selectors.company_users(company=distributor).filter(
                company_role=CompanyRole.CO_ADMIN
            )
        )
    return _render(
        request,
        "tiers.html",
        {
            "page": page,
            "page_range": page_range,
            "account": account,
            "may_allocate": may_allocate(request.user),
            "co_admins": co_admins,
        },
    )


@partner_view(methods=("GET", "POST"), allowed=can_view_tiers)
def tier_reseller(request: HttpRequest, pk: int) -> HttpResponse:
    distributor = request.user.company
    reseller = get_object_or_404(
        sub_resellers_with_credit(distributor_id=distributor.pk, currency=CURRENCY), pk=pk
    )
    form = None
    if may_allocate(request.user):
        form = AllocationForm(request.POST if request.method == "POST" else None)

        def act(data):
            service = credit_allocate if data["action"] == ALLOCATE else credit_reclaim
            return service(
                actor=request.user,
                reseller_id=reseller.pk,
                currency=CURRENCY,
                amount=data["amount"],
                reason=data["reason"],
                expected_limit=data["expected_limit"],
            )

        if form_submit(request, form, act):
            messages.success(request, _("Saved."))
            return redirect("portal:account_tier_reseller", pk=reseller.pk)
    elif request.method == "POST":
        messages.error(
            request, _("Only the distributor's administrator may allocate or reclaim credit.")
        )
        return redirect("portal:account_tier_reseller", pk=reseller.pk)
    account = distributor.credit_accounts.filter(currency=CURRENCY).first()
    return _render(
        request,
        "tier_reseller.html",
        {
            "reseller": reseller,
            "account": account,
            "form": form,
            "posted_action": form.data.get("action") if form is not None and form.is_bound else "",
            "log": adjustment_log(distributor_id=distributor.pk, reseller_id=reseller.pk, limit=50),
        },
    )


@partner_view(methods=("GET",), allowed=can_view_tiers)
def tiers_log(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "tiers_log.html",
        {"log": adjustment_log(distributor_id=request.user.company_id)},
    )


@partner_view(methods=("POST",), allowed=can_view_tiers)
def tiers_grant(request: HttpRequest) -> HttpResponse:
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            partner_services.co_admin_allocate_grant(
                actor=request.user,
                user_id=form.cleaned_data["user"],
                granted=form.cleaned_data["granted"],
            )
        except partner_services.PartnerError as exc:
            errors_to_messages(request, exc)
        else:
            messages.success(request, _("Saved."))
    else:
        errors_to_messages(request, form)
    return redirect("portal:account_tiers")
