"""Revenue-share statements: generation and the status workflow (decision 7).

Generation is set-based. One grouped aggregate query finds every (company, currency)
pair with orders in the month; each pair then gets its statement in its own
transaction: the statement row is locked (or created with the next number), its lines
are replaced from one streaming query over the month's orders (bulk inserts in
batches, never one ORM call per order) and its totals are tallied from exactly the
rows inserted. The number of queries depends on the number of statements and of
line batches, not on the number of orders.

Idempotent: a rerun rebuilds a 待确认 (draft) statement in place, keeping its number
and its staff adjustments; a 有争议 (disputed) statement waits for staff
(``statement_resolve``) and a confirmed or later one is never touched. The unique
constraint (company, currency, period_start) makes two workers produce one statement.

Status moves go through ``statement_set_status`` and the ``TRANSITIONS`` table, under
a row lock, and each writes a ``StatementEvent`` (``billing.statements.workflow``, which
shares the locks, checks and event writer here). Large Excel exports are built here too.
"""

import itertools
import logging
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from backoffice.core.exports import file_job_run
from backoffice.core.money import format_money, to_money
from backoffice.core.numbering import sequence_next
from backoffice.core.tasks import enqueue_on_commit
from billing.models import (
    Order,
    Statement,
    StatementEvent,
    StatementExport,
    StatementLine,
    StatementStatus,
)
from billing.notices import statements_ready_notify
from billing.services.errors import BillingError
from billing.webhooks import statements_ready_event
from partners.models import Company

from .constants import (
    LINE_BATCH_SIZE,
    NUMBER_DIGITS,
    NUMBER_FORMAT,
    PRODUCTS_MAX_LENGTH,
    PRODUCTS_SEPARATOR,
    SALES_ORDER_STATUSES,
    SALES_PAYMENT_STATUS,
)
from .rollup import RollupDelta, rollup_move, rollup_values

logger = logging.getLogger(__name__)

S = StatementStatus

REASON_MAX_LENGTH = 500


class StatementError(BillingError):
    """A statement rule refused the change; nothing was written. The message is user-facing."""


# --------------------------------------------------------------------------
# Periods: calendar months in Asia/Shanghai
# --------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """A calendar month. ``starts_at``/``ends_at`` are local midnights, the end exclusive."""

    start: date

    @property
    def end(self) -> date:
        return self._next_month_start() - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=_tz())

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self._next_month_start(), time.min, tzinfo=_tz())

    def _next_month_start(self) -> date:
        if self.start.month == 12:
            return date(self.start.year + 1, 1, 1)
        return date(self.start.year, self.start.month + 1, 1)

    def __str__(self) -> str:
        return self.key


def period_parse(value: str) -> Period:
    """'2026-10' → October 2026. Anything else is refused with a field error."""
    match = _PERIOD_RE.match((value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise StatementError(
            {"period": [_("Enter a month as YYYY-MM, e.g. 2026-10.")]}, code="bad_period"
        )
    return Period(date(int(match[1]), int(match[2]), 1))


def period_of(day: date) -> Period:
    return Period(day.replace(day=1))


def previous_period(now: datetime | None = None) -> Period:
    """The month before the current local month (the monthly run on the 1st)."""
    local = timezone.localtime(now or timezone.now(), _tz()).date()
    return period_of(local.replace(day=1) - timedelta(days=1))


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


def _products(names: list[str]) -> str:
    text = PRODUCTS_SEPARATOR.join(names)
    if len(text) > PRODUCTS_MAX_LENGTH:
        text = text[: PRODUCTS_MAX_LENGTH - 1] + "…"
    return text


def _snapshot(company: Company) -> dict:
    owner = company.business_owner
    return {
        "company_name": company.name[:100],
        "tier_name": company.tier.name[:50] if company.tier_id else "",
        "business_owner_name": (owner.get_full_name()[:100] if owner else ""),
        "address": company.address[:200],
        "share_rate": company.effective_revenue_share_rate,
    }


def _event(statement: Statement, *, from_status: str, to_status: str, actor, note: str) -> None:
    StatementEvent.objects.create(
        statement=statement,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        note=(note or "")[:REASON_MAX_LENGTH],
    )


@dataclass
class _Tally:
    """The lines of one (company, currency) of the month, as rows ready to insert."""

    lines: list = dataclass_field(default_factory=list)
    orders: int = 0
    products: int = 0
    sales: Decimal = Decimal("0.00")


def _month_tallies(period: Period, company_id: int | None) -> dict[tuple[int, str], _Tally]:
    """One streaming query over the month's orders (with their lines): per (company,
    currency), the statement lines to write and the totals tallied from exactly them."""
    orders = Order.objects.filter(created_at__gte=period.starts_at, created_at__lt=period.ends_at)
    if company_id is not None:
        orders = orders.filter(company_id=company_id)
    rows = (
        orders.order_by("company_id", "currency", "created_at", "pk", "lines__pk")
        .values_list(
            "company_id",
            "currency",
            "pk",
            "number",
            "payable_total",
            "status",
            "payment_status",
            "created_at",
            "lines__solution_name",
            "lines__quantity",
        )
        .iterator(chunk_size=LINE_BATCH_SIZE * 2)
    )
    tallies: dict[tuple[int, str], _Tally] = {}
    for (company, currency, order_id), group in itertools.groupby(rows, key=itemgetter(0, 1, 2)):
        group = list(group)
        _c, _cur, _pk, number, total, status, payment_status, created_at, _n, _q = group[0]
        names = list(dict.fromkeys(row[8] for row in group if row[8]))
        quantity = sum(row[9] or 0 for row in group)
        in_sales = payment_status == SALES_PAYMENT_STATUS and status in SALES_ORDER_STATUSES
        tally = tallies.get((company, currency))
        if tally is None:
            tally = tallies[(company, currency)] = _Tally()
        tally.lines.append(
            (
                order_id,
                number,
                total,
                _products(names),
                status,
                payment_status,
                quantity,
                created_at,
                in_sales,
            )
        )
        tally.orders += 1
        tally.products += quantity
        if in_sales:
            tally.sales += total
    return tallies


def _write_lines(pairs) -> None:
    """Bulk-insert the lines of (statement_id, tally) pairs, in batches."""
    batch: list[StatementLine] = []
    for statement_id, tally in pairs:
        for order_id, number, total, products, status, pay, quantity, at, in_sales in tally.lines:
            batch.append(
                StatementLine(
                    statement_id=statement_id,
                    order_id=order_id,
                    order_number=number,
                    order_total=total,
                    products=products,
                    order_status=status,
                    payment_status=pay,
                    quantity=quantity,
                    transacted_at=at,
                    in_sales=in_sales,
                )
            )
            if len(batch) >= LINE_BATCH_SIZE:
                StatementLine.objects.bulk_create(batch)
                batch = []
    if batch:
        StatementLine.objects.bulk_create(batch)


def _negative_total_error(statement: Statement, share: Decimal) -> StatementError:
    return StatementError(
        _(
            "Statement %(number)s: the adjustments (%(adjustments)s) exceed the share "
            "payable (%(share)s)."
        )
        % {
            "number": statement.number,
            "adjustments": format_money(statement.adjustment_total, statement.currency),
            "share": format_money(share, statement.currency),
        },
        code="negative_total",
    )


TOTAL_FIELDS = (
    "order_count",
    "product_count",
    "sales_amount",
    "share_amount",
    "total_payable",
    "generated_at",
)
SNAPSHOT_FIELDS = ("company_name", "tier_name", "business_owner_name", "address", "share_rate")


def _apply(statement: Statement, tally: _Tally, snapshot: dict, now: datetime) -> None:
    """Set the snapshot and the totals (raises if the adjustments exceed the share)."""
    share = to_money(tally.sales * snapshot["share_rate"])
    if share + statement.adjustment_total < 0:
        raise _negative_total_error(statement, share)
    for name, value in snapshot.items():
        setattr(statement, name, value)
    statement.order_count = tally.orders
    statement.product_count = tally.products
    statement.sales_amount = to_money(tally.sales)
    statement.share_amount = share
    statement.total_payable = share + statement.adjustment_total
    statement.generated_at = now


def _rebuild(statement: Statement, *, company: Company, now: datetime) -> int:
    """Replace one locked statement's lines and recompute its totals (dispute → regenerate).

    The caller holds the statement's row lock inside a transaction. Returns the line count.
    """
    period = period_of(statement.period_start)
    tally = _month_tallies(period, company.pk).get(
        (statement.company_id, statement.currency), _Tally()
    )
    before = rollup_values(statement)
    _apply(statement, tally, _snapshot(company), now)
    StatementLine.objects.filter(statement=statement).delete()
    _write_lines([(statement.pk, tally)])
    statement.save(update_fields=[*SNAPSHOT_FIELDS, *TOTAL_FIELDS])
    rollup_move(statement, before)
    return tally.orders


def _generate_in_database(period: Period, company_id, actor_user, now: datetime, result) -> None:
    """The PostgreSQL path (``generation_sql``): the same outcome without moving rows
    through Python. The month's statements are locked first, as in the portable path."""
    from .generation_sql import generate_month

    locked = Statement.objects.select_for_update().filter(period_start=period.start)
    if company_id is not None:
        locked = locked.filter(company_id=company_id)
    list(locked.values_list("pk", flat=True))
    failed = generate_month(
        period=period,
        company_id=company_id,
        actor_id=actor_user.pk if actor_user else None,
        now=now,
        day=timezone.localtime(now, _tz()).strftime(NUMBER_FORMAT),
        result=result,
    )
    if failed:
        statements = Statement.objects.in_bulk([pk for pk, _share in failed])
        for pk, share in failed:
            result["failed"] += 1
            result["errors"].extend(_negative_total_error(statements[pk], share).messages)


def generate_statements(
    *,
    period: str | Period,
    company_id: int | None = None,
    actor=None,
    now: datetime | None = None,
) -> dict:
    """Generate (or refresh) the statements of a month. Returns counts:

    ``statements`` (for the month, in every status), ``created``, ``regenerated``,
    ``kept`` (disputed, confirmed or later: untouched), ``failed`` and ``lines`` (the
    line count of those statements). ``errors`` lists the messages of failed ones.

    Set-based, in one transaction. Generators of the same month queue on one counter
    row, so two workers produce one set of statements. One streaming query reads the
    month's orders and tallies every (company, currency); the month's statements are
    locked in one query; missing ones are created with their totals by bulk inserts
    (with their history rows) under one block of numbers; drafts are updated in
    bulk; then every line is bulk-inserted. The query count grows with the number of
    batches, not with the number of statements or orders. A draft whose adjustments
    would exceed its new share payable is left as it was and reported as failed.
    """
    period = period if isinstance(period, Period) else period_parse(period)
    now = now or timezone.now()
    result: dict = {
        "period": period.key,
        "statements": 0,
        "created": 0,
        "regenerated": 0,
        "kept": 0,
        "failed": 0,
        "lines": 0,
        "errors": [],
    }
    actor_user = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        # One generator per month at a time (the counter row stays locked until commit).
        sequence_next(key=f"statement-run:{period.key}")
        if connection.vendor == "postgresql" and settings.STATEMENTS_GENERATE_IN_DATABASE:
            _generate_in_database(period, company_id, actor_user, now, result)
            _ready_notify(period, company_id)
            return result
        tallies = _month_tallies(period, company_id)
        if not tallies:
            return result
        existing_qs = Statement.objects.select_for_update().filter(period_start=period.start)
        if company_id is not None:
            existing_qs = existing_qs.filter(company_id=company_id)
        existing = {(s.company_id, s.currency): s for s in existing_qs}
        companies = Company.objects.select_related("tier", "business_owner").in_bulk(
            {company for company, _currency in tallies}
        )
        snapshots = {pk: _snapshot(company) for pk, company in companies.items()}

        created: list[tuple[Statement, _Tally]] = []
        rebuilt: list[tuple[Statement, _Tally]] = []
        rollup = RollupDelta()
        for (company, currency), tally in tallies.items():
            statement = existing.get((company, currency))
            if statement is None:
                statement = Statement(
                    company_id=company,
                    currency=currency,
                    period_start=period.start,
                    period_end=period.end,
                    status=S.DRAFT,
                )
                _apply(statement, tally, snapshots[company], now)
                created.append((statement, tally))
            elif statement.status != S.DRAFT:
                result["kept"] += 1
                result["statements"] += 1
                result["lines"] += statement.order_count
            else:
                before = rollup_values(statement)
                try:
                    _apply(statement, tally, snapshots[company], now)
                except StatementError as exc:
                    result["failed"] += 1
                    result["errors"].extend(exc.messages)
                    continue
                rollup.add(*before, sign=-1)
                rebuilt.append((statement, tally))

        if created:
            day = timezone.localtime(now, _tz()).strftime(NUMBER_FORMAT)
            first = sequence_next(key=f"statement:{day}", count=len(created))
            for offset, (statement, _tally) in enumerate(created):
                statement.number = f"{day}{first + offset:0{NUMBER_DIGITS}d}"
            bulk_create_with_history(
                [statement for statement, _tally in created],
                Statement,
                batch_size=LINE_BATCH_SIZE,
                default_user=actor_user,
            )
        if rebuilt:
            ids = [statement.pk for statement, _tally in rebuilt]
            for chunk in itertools.batched(ids, LINE_BATCH_SIZE):
                StatementLine.objects.filter(statement_id__in=chunk).delete()
            bulk_update_with_history(
                [statement for statement, _tally in rebuilt],
                Statement,
                [*SNAPSHOT_FIELDS, *TOTAL_FIELDS],
                batch_size=LINE_BATCH_SIZE,
                default_user=actor_user,
            )
        touched = [*created, *rebuilt]
        _write_lines((statement.pk, tally) for statement, tally in touched)
        for statement, _tally in touched:
            rollup.add_statement(statement)
        rollup.apply()
        note_created, note_rebuilt = _("Generated"), _("Regenerated")
        StatementEvent.objects.bulk_create(
            [
                StatementEvent(
                    statement_id=statement.pk,
                    from_status="" if index < len(created) else S.DRAFT,
                    to_status=S.DRAFT,
                    actor=actor_user,
                    note=note_created if index < len(created) else note_rebuilt,
                )
                for index, (statement, _tally) in enumerate(touched)
            ],
            batch_size=LINE_BATCH_SIZE,
        )
        result["created"] = len(created)
        result["regenerated"] = len(rebuilt)
        result["statements"] += len(touched)
        result["lines"] += sum(tally.orders for _statement, tally in touched)
        _ready_notify(period, company_id)
    return result


def _ready_notify(period: Period, company_id: int | None) -> None:
    """待确认 notices for the month's drafts not told yet (``billing.notices``)."""
    drafts = Statement.objects.filter(period_start=period.start, status=S.DRAFT)
    if company_id is not None:
        drafts = drafts.filter(company_id=company_id)
    drafts = list(drafts)
    statements_ready_notify(drafts)
    statements_ready_event(drafts)


def _lock(statement_id: int) -> Statement:
    statement = Statement.objects.select_for_update().filter(pk=statement_id).first()
    if statement is None:
        raise StatementError(_("This statement does not exist."), code="not_found")
    return statement


def _is_staff(actor) -> bool:
    return bool(actor and actor.is_authenticated and actor.is_active and actor.is_staff)


def _require_staff(actor) -> None:
    if not _is_staff(actor):
        raise StatementError(_("Only Blue Cloud staff can do this."), code="forbidden")


# --------------------------------------------------------------------------
# Large Excel exports (a task writes the workbook to private storage)
# --------------------------------------------------------------------------


def statement_export_request(*, actor, statement_ids) -> StatementExport:
    """Record the export and queue its task after commit."""
    _require_staff(actor)
    ids = sorted({int(pk) for pk in statement_ids})
    if not ids:
        raise StatementError(_("Select at least one statement."), code="empty")
    with transaction.atomic():
        export = StatementExport.objects.create(
            requested_by=actor, statement_ids=ids, statement_count=len(ids)
        )
        enqueue_on_commit("billing.statements.tasks.export_statements", export.pk)
    return export


def statement_export_build(*, export_id: int) -> StatementExport:
    """Build the workbook of a queued export. Safe to run twice: a finished or running
    export is left alone; a failure is recorded on the row."""
    from .excel import write_statements_workbook

    def build(export: StatementExport, handle) -> list[str]:
        export.row_count = write_statements_workbook(export.statement_ids, handle).lines
        return ["row_count"]

    return file_job_run(StatementExport, export_id, build=build)
