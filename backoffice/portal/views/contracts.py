"""Portal: the agreed e-contracts (电子合同) the signed-in user may see.

【电子合同】 on an order opens 查看电子订单 (the manual, §11.2): the stored contract in the
same dialog as at checkout, with 【下载电子合同】 and 【取消】. ``?partial=1`` answers the
dialog alone, which orders.js shows over the list; without JS it is a page of its own.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from backoffice.core.files import private_file_response
from contracts.selectors import contracts_visible_to
from contracts.services import contract_preview_html, contract_render_pdf


def _back(request: HttpRequest) -> str:
    """Where 取消 returns: the page the user came from (same host only), else 客户订单."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:account_orders")


@login_required
@require_GET
def contract_view(request: HttpRequest, pk: int) -> HttpResponse:
    """查看电子订单: the stored snapshot rendered as at checkout (not today's template)."""
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    partial = request.GET.get("partial") == "1"
    context = {
        "contract": contract,
        "preview": contract_preview_html(contract.snapshot),
        "back": _back(request),
        "partial": partial,
    }
    template = "portal/contracts/_dialog.html" if partial else "portal/contracts/view.html"
    return render(request, template, context)


@login_required
@require_GET
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """下载电子合同: the stored PDF, as an attachment. The user's company's contracts and,
    for a distributor, its sub-resellers'; any other contract is a 404. A PDF not written
    yet (its after-commit task has not run) is rendered from the snapshot now."""
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    if not contract.pdf:
        contract = contract_render_pdf(contract_id=contract.pk)
    return private_file_response(
        contract.pdf, filename=contract.pdf_filename, content_type="application/pdf"
    )
