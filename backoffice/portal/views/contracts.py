"""Portal: downloading an agreed e-contract (电子合同) the signed-in user may see."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from backoffice.core.files import private_file_response
from contracts.selectors import contracts_visible_to
from contracts.services import contract_render_pdf


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
