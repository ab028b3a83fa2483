"""Excel export of statements: one workbook, sheets 汇总 (summary), 明细 (lines), 调整.

Written with the kernel's typed sheets (``backoffice.core.workbook``): rows stream to the
file and the lines are read with ``iterator()``, so memory stays bounded for 100,000+ lines.
Amounts are numbers (format ``#,##0.00``), rates numbers (``0.00%``), dates and times real
Excel dates (Asia/Shanghai wall time, as shown everywhere else). Text cells go through
``safe_text``: ``=HYPERLINK("http://x","y")`` is stored and read back as the text
``'=HYPERLINK("http://x","y")``.

Each sheet has an autofilter over its header and data rows, and the summary and lines
sheets end with a bold totals row per currency (below the filtered range, so sorting never
moves it): the summary's sums its columns; the lines' sums the lines counted in the sales
(不计入 lines are left out), so it equals the statements' 销售额.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from backoffice.core.workbook import TypedSheet as _Sheet
from backoffice.core.workbook import safe_text  # noqa: F401 - the documented escape
from billing.models import Statement, StatementAdjustment, StatementLine, StatementStatus

from .constants import DOCUMENT_LANGUAGE
from .labels import order_status_label

SUMMARY_SHEET = "汇总"
LINES_SHEET = "明细"
ADJUSTMENTS_SHEET = "调整"
CHUNK = 5000


@dataclass(frozen=True)
class ExportResult:
    statements: int
    lines: int


def _summary(workbook: Workbook, statements: list[Statement]) -> None:
    sheet = _Sheet(
        workbook,
        SUMMARY_SHEET,
        [
            (_("Statement ID"), 10),
            (_("Statement no."), 16),
            (_("Solution provider"), 28),
            (_("Currency"), 8),
            (_("Period start"), 12),
            (_("Period end"), 12),
            (_("Tier"), 10),
            (_("Business owner"), 14),
            (_("Address"), 30),
            (_("Total orders"), 10),
            (_("Total products"), 10),
            (_("Sales amount"), 14),
            (_("Revenue-share rate"), 10),
            (_("Share payable"), 14),
            (_("Adjustments"), 12),
            (_("Statement amount"), 14),
            (_("Status"), 10),
            (_("Voucher"), 16),
            (_("Payment date"), 12),
            (_("Generated at"), 20),
        ],
    )
    labels = dict(StatementStatus.choices)
    totals: dict[str, list] = defaultdict(
        lambda: [0, 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
    )
    for s in statements:
        total = totals[s.currency]
        for index, value in enumerate(
            (s.order_count, s.product_count, s.sales_amount, s.share_amount)
            + (s.adjustment_total, s.total_payable)
        ):
            total[index] += value
        sheet.append(
            [
                s.pk,
                sheet.text(s.number),
                sheet.text(s.company_name),
                sheet.text(s.currency),
                sheet.day(s.period_start),
                sheet.day(s.period_end),
                sheet.text(s.tier_name),
                sheet.text(s.business_owner_name),
                sheet.text(s.address),
                s.order_count,
                s.product_count,
                sheet.money(s.sales_amount),
                sheet.rate(s.share_rate),
                sheet.money(s.share_amount),
                sheet.money(s.adjustment_total),
                sheet.money(s.total_payable),
                sheet.text(labels.get(s.status, s.status)),
                sheet.text(s.voucher_reference or _("None")),
                sheet.day(s.paid_on),
                sheet.moment(s.generated_at),
            ]
        )
    sheet.add_filter()
    for currency, (orders, products, sales, share, adjustments, payable) in sorted(totals.items()):
        sheet.append_totals(
            [_("Total"), None, None, currency, *[None] * 5, orders, products, sales, None]
            + [share, adjustments, payable]
        )


def _lines(workbook: Workbook, statements: list[Statement]) -> int:
    sheet = _Sheet(
        workbook,
        LINES_SHEET,
        [
            (_("Statement no."), 16),
            (_("Company"), 28),
            (_("Currency"), 8),
            (_("Order no."), 22),
            (_("Order total amount"), 14),
            (_("Related products"), 36),
            (_("Order status"), 10),
            (_("Quantity"), 8),
            (_("Transaction time"), 20),
            (_("Counted in sales"), 12),
        ],
    )
    by_id = {s.pk: s for s in statements}
    yes, no = _("Yes"), _("No")
    rows = (
        StatementLine.objects.filter(statement_id__in=list(by_id))
        .order_by("statement_id", "-transacted_at", "-pk")
        .values_list(
            "statement_id",
            "order_number",
            "order_total",
            "products",
            "order_status",
            "quantity",
            "transacted_at",
            "in_sales",
        )
        .iterator(chunk_size=CHUNK)
    )
    # A totals row for every currency of the statements, even one with nothing counted.
    counted: dict[str, list] = {s.currency: [Decimal(0), 0] for s in statements}
    for statement_id, number, total, products, status, quantity, at, in_sales in rows:
        s = by_id[statement_id]
        if in_sales:
            counted[s.currency][0] += total
            counted[s.currency][1] += quantity
        sheet.append(
            [
                sheet.text(s.number),
                sheet.text(s.company_name),
                sheet.text(s.currency),
                sheet.text(number),
                sheet.money(total),
                sheet.text(products),
                sheet.text(order_status_label(status)),
                quantity,
                sheet.moment(at),
                sheet.text(yes if in_sales else no),
            ]
        )
    lines = sheet.rows
    sheet.add_filter()
    for currency, (sales, quantity) in sorted(counted.items()):
        label = _("Total (counted in sales)")
        sheet.append_totals([label, None, currency, None, sales, None, None, quantity, None, yes])
    return lines


def _adjustments(workbook: Workbook, statements: list[Statement]) -> None:
    sheet = _Sheet(
        workbook,
        ADJUSTMENTS_SHEET,
        [
            (_("Statement no."), 16),
            (_("Company"), 28),
            (_("Currency"), 8),
            (_("Amount"), 12),
            (_("Adjustment reason"), 40),
            (_("Operator"), 20),
            (_("Date"), 20),
        ],
    )
    by_id = {s.pk: s for s in statements}
    adjustments = (
        StatementAdjustment.objects.filter(statement_id__in=list(by_id))
        .select_related("created_by")
        .order_by("statement_id", "created_at", "pk")
    )
    for adjustment in adjustments.iterator(chunk_size=CHUNK):
        s = by_id[adjustment.statement_id]
        sheet.append(
            [
                sheet.text(s.number),
                sheet.text(s.company_name),
                sheet.text(s.currency),
                sheet.money(adjustment.amount),
                sheet.text(adjustment.reason),
                sheet.text(adjustment.created_by.get_full_name()),
                sheet.moment(adjustment.created_at),
            ]
        )
    sheet.add_filter()


def write_statements_workbook(statement_ids: Iterable[int], target) -> ExportResult:
    """Write the workbook of ``statement_ids`` to ``target`` (a path or binary file)."""
    ids = sorted({int(pk) for pk in statement_ids})
    statements = list(
        Statement.objects.filter(pk__in=ids).order_by("-period_start", "company_name", "pk")
    )
    workbook = Workbook(write_only=True)
    with translation.override(DOCUMENT_LANGUAGE):
        _summary(workbook, statements)
        lines = _lines(workbook, statements)
        _adjustments(workbook, statements)
    workbook.save(target)
    return ExportResult(statements=len(statements), lines=lines)
