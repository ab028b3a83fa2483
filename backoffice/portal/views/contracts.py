"""Portal: downloading an agreed e-contract (电子合同) of the signed-in user's company."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from backoffice.files import private_file_response
from contracts.selectors import company_contracts


@login_required
@require_GET
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """下载电子合同: the stored PDF, as an attachment. Another company's contract is a 404."""
    contract = get_object_or_404(company_contracts(request.user.company), pk=pk)
    return private_file_response(
        contract.pdf, filename=contract.pdf_filename, content_type="application/pdf"
    )
