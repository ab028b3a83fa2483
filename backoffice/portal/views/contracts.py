"""Portal: downloading an agreed e-contract (电子合同) the signed-in user may see."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from backoffice.files import private_file_response
from contracts.selectors import contracts_visible_to


@login_required
@require_GET
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """下载电子合同: the stored PDF, as an attachment. The user's company's contracts and,
    for a distributor, its sub-resellers'; any other contract is a 404."""
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    return private_file_response(
        contract.pdf, filename=contract.pdf_filename, content_type="application/pdf"
    )
