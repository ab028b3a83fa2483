"""Tasks of the contracts domain (django-q2): they take ids and call a service."""

from .services import contract_render_pdf


def render_contract_pdf(contract_id: int) -> str:
    """After the order's commit: store the agreed contract's PDF. Safe to run twice."""
    return contract_render_pdf(contract_id=contract_id).pdf.name
