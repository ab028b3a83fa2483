"""Revenue-share statements (分账管理): list, detail, PDF and Excel (``statements:read``,
the company's and read-only its sub-resellers'), confirm and dispute (``statements:confirm``,
the key's own company only), through ``billing.statements``."""

from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from backoffice.core.files import workbook_response
from billing.models import Statement, StatementStatus
from billing.statements.excel import write_statements_workbook
from billing.statements.pdf import pdf_filename, render_statement_pdf
from billing.statements.selectors import (
    portal_statement,
    portal_statements,
    statement_adjustments,
    statement_lines,
)
from billing.statements.services import period_parse
from billing.statements.workflow import statement_confirm, statement_dispute
from partners.models import ApiScope

from .auth import scoped
from .pagination import page_of

router = Router(tags=["statements"])

LINES_MAX = 500


class StatementOut(Schema):
    id: int
    number: str
    company_id: int
    company_name: str
    currency: str
    period_start: date
    period_end: date
    status: StatementStatus
    order_count: int
    product_count: int
    sales_amount: Decimal
    share_rate: Decimal
    share_amount: Decimal
    adjustment_total: Decimal
    total_payable: Decimal
    confirmed_at: datetime | None
    disputed_at: datetime | None
    dispute_reason: str
    created_at: datetime


class StatementLineOut(Schema):
    order_number: str
    order_total: Decimal
    products: str
    order_status: str
    quantity: int
    transacted_at: datetime | None
    in_sales: bool


class AdjustmentOut(Schema):
    amount: Decimal
    reason: str
    created_at: datetime


class StatementDetailOut(StatementOut):
    lines: list[StatementLineOut]
    adjustments: list[AdjustmentOut]


class StatementPage(Schema):
    items: list[StatementOut]
    next_cursor: str | None


class DisputeIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


def _statement(request: HttpRequest, pk: int, *, writable: bool = False) -> Statement:
    found = portal_statement(user=request.user, pk=pk, writable=writable)
    if found is None:
        raise Http404
    return found


@router.get("", response=StatementPage, auth=scoped(ApiScope.STATEMENTS_READ))
def statements(
    request: HttpRequest,
    period: str | None = None,
    status: StatementStatus | None = None,
    cursor: str | None = None,
    limit: int = 20,
):
    """``period`` is a month, ``2026-10``."""
    queryset = portal_statements(
        user=request.user, period=period_parse(period) if period else None, status=status
    )
    return page_of(queryset, cursor=cursor, limit=limit)


@router.get("/{int:pk}", response=StatementDetailOut, auth=scoped(ApiScope.STATEMENTS_READ))
def statement(request: HttpRequest, pk: int):
    found = _statement(request, pk)
    found.lines = list(statement_lines(statement=found)[:LINES_MAX])
    found.adjustments = list(statement_adjustments(statement=found))
    return found


@router.get("/{int:pk}/pdf", auth=scoped(ApiScope.STATEMENTS_READ))
def statement_pdf(request: HttpRequest, pk: int):
    found = _statement(request, pk)
    response = HttpResponse(render_statement_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(found)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/{int:pk}/excel", auth=scoped(ApiScope.STATEMENTS_READ))
def statement_excel(request: HttpRequest, pk: int):
    found = _statement(request, pk)
    return workbook_response(
        partial(write_statements_workbook, [found.pk]),
        filename=f"statement-{found.number}.xlsx",
    )


@router.post("/{int:pk}/confirm", response=StatementOut, auth=scoped(ApiScope.STATEMENTS_CONFIRM))
def statement_confirm_endpoint(request: HttpRequest, pk: int):
    found = _statement(request, pk, writable=True)
    statement_confirm(statement_id=found.pk, actor=request.user)
    return _statement(request, pk)


@router.post("/{int:pk}/dispute", response=StatementOut, auth=scoped(ApiScope.STATEMENTS_CONFIRM))
def statement_dispute_endpoint(request: HttpRequest, pk: int, body: DisputeIn):
    found = _statement(request, pk, writable=True)
    statement_dispute(statement_id=found.pk, actor=request.user, reason=body.reason)
    return _statement(request, pk)
