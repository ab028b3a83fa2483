"""优惠券额度 (经销商管理): a distributor's coupon quotas, handing coupons to its
sub-resellers and reclaiming unused ones, and the coupon moves.

Every lookup is scoped to ``request.user.company`` (another distributor's quota → 404,
another company's reseller is not a choice); the writes go through
``billing.services.coupon_quotas``, whose refusals become form errors.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from billing.models import CouponMoveKind
from billing.selectors.coupon_quotas import coupon_moves, distributor_quotas, quota_holdings
from billing.services.coupon_quotas import coupon_hand_out, coupon_reclaim
from partners.selectors import can_allocate, sub_resellers

from ..errors import form_submit
from ..forms.coupons import CouponMoveForm
from ..navigation import can_view_distribution
from .base import paginate, partner_view, render_account

SECTION = "reseller_coupons"
MOVES_SHOWN = 20
ACTIONS = {
    "hand_out": (coupon_hand_out, CouponMoveKind.HAND_OUT),
    "reclaim": (coupon_reclaim, CouponMoveKind.RECLAIM),
}


@partner_view(allowed=can_view_distribution)
def quotas(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    page, page_range = paginate(request, distributor_quotas(distributor_id=company.pk))
    return render_account(
        request,
        "portal/account/coupon_quotas.html",
        SECTION,
        {
            "page": page,
            "page_range": page_range,
            "moves": list(coupon_moves(company=company)[:MOVES_SHOWN]),
        },
    )


def _forms(request: HttpRequest, quota, resellers) -> dict[str, CouponMoveForm]:
    posted = request.POST.get("action") if request.method == "POST" else None
    return {
        action: CouponMoveForm(
            request.POST if posted == action else None,
            prefix=action,
            resellers=resellers,
            initial={"expected_handed_out": quota.handed_out},
        )
        for action in ACTIONS
    }


@partner_view(methods=("GET", "POST"), allowed=can_view_distribution)
def quota_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = request.user.company
    quota = get_object_or_404(distributor_quotas(distributor_id=company.pk), pk=pk)
    allowed = can_allocate(request.user)
    if request.method == "POST" and (not allowed or request.POST.get("action") not in ACTIONS):
        raise Http404
    resellers = sub_resellers(distributor=company).order_by("name", "pk")
    forms = _forms(request, quota, resellers)
    if request.method == "POST":
        action = request.POST["action"]
        service, kind = ACTIONS[action]
        if done := form_submit(
            request,
            forms[action],
            lambda data: service(
                actor=request.user,
                quota_id=quota.pk,
                reseller_id=data["reseller"].pk,
                count=data["count"],
                reason=data["reason"],
                expected_handed_out=data["expected_handed_out"],
            ),
        ):
            count = len(done.value)
            if kind == CouponMoveKind.HAND_OUT:
                messages.success(request, _("Coupons handed out: %(count)d.") % {"count": count})
            else:
                messages.success(request, _("Coupons reclaimed: %(count)d.") % {"count": count})
            return redirect("portal:account_coupon_quota", pk=quota.pk)
    return render_account(
        request,
        "portal/account/coupon_quota.html",
        SECTION,
        {
            "quota": quota,
            "can_allocate": allowed,
            "forms": forms,
            "holdings": quota_holdings(quota=quota),
            "moves": list(coupon_moves(company=company).filter(quota=quota)[:MOVES_SHOWN]),
        },
    )
