"""Bank statement import and reconciliation (银行流水对账).

``bank_statement_upload`` stores a file for one bank account: a small file (at most
``INLINE_ROW_LIMIT`` rows) is parsed at once and a bad one is refused with the row and
column of its first bad cell, storing nothing; a big one is parsed by a task
(``bank_statement_parse``) that updates the import's progress counters and, on a bad
file, marks the import failed with the same message and stores no line. Lines are
inserted with ``ON CONFLICT DO NOTHING`` on the unique (bank account, dedupe key): an
import of the same lines again adds none, without a select first.

Confirming a line (``bank_line_confirm``) posts a receipt through ``receipt_post`` with
the line's dedupe key as the bank reference and the proposal as its allocation, so the
orders and bills move exactly as when finance posts the receipt by hand (four-eyes
included). The line is locked first (level 0 of ``billing.locks``, before any order):
the same line confirmed from two sessions at once is posted once; the receipt's unique
(bank account, bank reference) is the second guard.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.bankfiles import BankFileError, ParsedLine, ProfileSpec, count_rows, line_dedupe_key
from billing.bankfiles import parse_bank_file as _parse
from billing.bankfiles.matching import Proposal, Target, match_line
from billing.selectors.bankstatements import match_candidates, open_targets

from ..models.bankstatements import (
    OPEN_BANK_LINE_STATUSES,
    BankFileFormat,
    BankImportStatus,
    BankLineStatus,
    BankStatementImport,
    BankStatementLine,
    BankStatementProfile,
    MatchRule,
)
from ..models.receipts import Receipt
from .errors import BillingError
from .receipts import Allocation, receipt_post

INLINE_ROW_LIMIT = 500
MAX_FILE_BYTES = 20 * 1024 * 1024
PROGRESS_EVERY = 200


def profile_spec(profile: BankStatementProfile | None, *, currency: str = "CNY") -> ProfileSpec:
    """The pure-data form of a profile row, as the parsers take it."""
    if profile is None:
        return ProfileSpec(columns={}, currency=currency)

    def headers(text: str) -> list[str]:
        return [h.strip() for h in (text or "").split("|") if h.strip()]

    return ProfileSpec(
        columns={
            "date": headers(profile.date_columns),
            "amount": headers(profile.amount_columns),
            "currency": headers(profile.currency_columns),
            "reference": headers(profile.reference_columns),
            "payer_name": headers(profile.payer_name_columns),
            "payer_account": headers(profile.payer_account_columns),
            "transaction_id": headers(profile.transaction_id_columns),
        },
        date_format=profile.date_format or "%Y-%m-%d",
        decimal_separator=profile.decimal_separator or ".",
        thousands_separator=profile.thousands_separator or "",
        encoding=profile.encoding,
        currency=currency,
        delimiter=profile.delimiter or ",",
    )


def _format_of(file_name: str, file_format: str) -> str:
    if file_format:
        return file_format
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "sta": "mt940", "mt940": "mt940"}.get(
        ext, ""
    )


def _refusal(error: BankFileError) -> BillingError:
    return BillingError({"file": [error.message]}, code="bad_file")


def bank_statement_upload(
    *, actor, bank_account_id: int, profile_id: int | None, file_format: str = "", upload
) -> BankStatementImport:
    """Store an uploaded statement; parse it now when small, else in a task."""
    from backoffice.core.tasks import enqueue_on_commit

    from ..models import BankAccount

    account = BankAccount.objects.get(pk=bank_account_id)
    file_format = _format_of(upload.name, file_format)
    if file_format not in BankFileFormat.values:
        raise BillingError({"file_format": [_("Choose the file's format.")]}, code="format")
    profile = None
    if file_format != BankFileFormat.MT940:
        if not profile_id:
            raise BillingError(
                {"profile": [_("A CSV or Excel file needs a column profile.")]}, code="profile"
            )
        profile = BankStatementProfile.objects.get(pk=profile_id, active=True)
    if upload.size > MAX_FILE_BYTES:
        raise BillingError({"file": [_("The file is larger than 20 MB.")]}, code="too_big")
    content = upload.read()
    upload.seek(0)
    rows = count_rows(content=content, file_format=file_format)
    inline = rows <= INLINE_ROW_LIMIT
    lines: list[ParsedLine] = []
    if inline:
        try:
            lines = _parse(
                content=content,
                file_format=file_format,
                profile=profile_spec(profile, currency=account.currency),
            )
        except BankFileError as exc:
            raise _refusal(exc) from None
    with transaction.atomic():
        statement = BankStatementImport(
            bank_account=account,
            profile=profile,
            file_format=file_format,
            file_name=upload.name[:200],
            rows_total=rows,
            created_by=actor,
        )
        statement.file.save(upload.name, upload, save=False)
        statement.save()
        if inline:
            _store(statement, lines)
        else:
            enqueue_on_commit(bank_statement_parse, statement.pk)
    return statement


def bank_statement_parse(import_id: int) -> int:
    """Task: parse a stored file with progress, then store its lines (all or nothing).
    Safe to run twice: a finished import is left as it is."""
    claimed = BankStatementImport.objects.filter(
        pk=import_id, status__in=[BankImportStatus.PENDING, BankImportStatus.RUNNING]
    ).update(status=BankImportStatus.RUNNING, rows_done=0)
    if not claimed:
        return 0
    statement = BankStatementImport.objects.select_related("profile", "bank_account").get(
        pk=import_id
    )

    def progress(done: int, total: int) -> None:
        BankStatementImport.objects.filter(pk=import_id).update(
            rows_done=done, rows_total=max(total, done)
        )

    try:
        with statement.file.open("rb") as handle:
            content = handle.read()
        lines = _parse(
            content=content,
            file_format=statement.file_format,
            profile=profile_spec(statement.profile, currency=statement.bank_account.currency),
            progress=progress,
        )
    except BankFileError as exc:
        BankStatementImport.objects.filter(pk=import_id).update(
            status=BankImportStatus.FAILED, error=exc.message[:500], finished_at=timezone.now()
        )
        return 0
    with transaction.atomic():
        statement = BankStatementImport.objects.select_for_update().get(pk=import_id)
        if statement.status != BankImportStatus.RUNNING:
            return 0
        _store(statement, lines)
    return statement.new_lines


def _store(statement: BankStatementImport, lines: list[ParsedLine]) -> None:
    """Insert the lines not stored before (the unique key decides), then match them."""
    BankStatementLine.objects.bulk_create(
        [
            BankStatementLine(
                statement=statement,
                bank_account_id=statement.bank_account_id,
                dedupe_key=line_dedupe_key(line),
                row=line.row,
                value_date=line.value_date,
                amount=line.amount,
                currency=line.currency,
                reference=line.reference,
                payer_name=line.payer_name,
                payer_account=line.payer_account,
            )
            for line in lines
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    new = list(statement.lines.all())
    _propose(new)
    statement.credit_lines = len(lines)
    statement.new_lines = len(new)
    statement.rows_done = statement.rows_total
    statement.status = BankImportStatus.DONE
    statement.finished_at = timezone.now()
    statement.save(
        update_fields=["credit_lines", "new_lines", "rows_done", "status", "finished_at"]
    )


def _apply(line: BankStatementLine, proposal: Proposal) -> None:
    target = proposal.target
    line.rule = proposal.rule
    line.confidence = proposal.confidence
    line.note = proposal.note[:300]
    line.status = BankLineStatus.PROPOSED if target else BankLineStatus.UNMATCHED
    line.company_id = target.company_id if target else None
    line.target_kind = target.kind if target else ""
    line.target_ids = list(target.ids) if target else []
    line.target_label = target.label[:200] if target else ""


def _propose(lines: list[BankStatementLine]) -> None:
    candidates_by_currency: dict[str, object] = {}
    for line in lines:
        if line.currency not in candidates_by_currency:
            candidates_by_currency[line.currency] = match_candidates(currency=line.currency)
        _apply(
            line,
            match_line(
                memo=line.reference,
                amount=line.amount,
                currency=line.currency,
                payer_name=line.payer_name,
                payer_account=line.payer_account,
                data=candidates_by_currency[line.currency],
            ),
        )
    BankStatementLine.objects.bulk_update(
        lines,
        [
            "rule",
            "confidence",
            "note",
            "status",
            "company",
            "target_kind",
            "target_ids",
            "target_label",
        ],
        batch_size=500,
    )


def bank_lines_rematch(*, line_ids: list[int]) -> int:
    """Match the open lines again (new payments may have been reported since)."""
    with transaction.atomic():
        lines = list(
            BankStatementLine.objects.select_for_update()
            .filter(pk__in=line_ids, status__in=OPEN_BANK_LINE_STATUSES)
            .exclude(rule=MatchRule.MANUAL)
            .order_by("pk")
        )
        _propose(lines)
    return len(lines)


# --------------------------------------------------------------------------
# Finance's decisions: confirm, re-target, ignore
# --------------------------------------------------------------------------


def _lock_line(line_id: int) -> BankStatementLine:
    """Level 0 of the lock order: the bank line, before any order or ledger."""
    return BankStatementLine.objects.select_for_update().get(pk=line_id)


@dataclass(frozen=True)
class ConfirmResult:
    confirmed: list[BankStatementLine]
    awaiting: list[BankStatementLine]
    refused: list[tuple[BankStatementLine, str]]


def _allocation_amount(line: BankStatementLine, target: Target | None) -> Decimal:
    if target is None:
        return line.amount
    return min(line.amount, target.amount)


@transaction.atomic
def bank_line_confirm(*, line_id: int, actor) -> BankStatementLine:
    """Post the line as a receipt allocated to its proposal (once, whoever is first)."""
    line = _lock_line(line_id)
    if line.status in (BankLineStatus.CONFIRMED, BankLineStatus.AWAITING_APPROVAL):
        return line  # confirmed by somebody else meanwhile: posted once
    if line.status != BankLineStatus.PROPOSED:
        raise BillingError(_("Only a line with a proposed target can be confirmed."), code="state")
    target = _current_target(line)
    if target is None:
        raise BillingError(
            _("The proposed target is no longer open (%(target)s); choose another one.")
            % {"target": line.target_label},
            code="stale",
        )
    result = receipt_post(
        actor=actor,
        company_id=line.company_id,
        bank_account_id=line.bank_account_id,
        amount=line.amount,
        currency=line.currency,
        value_date=line.value_date,
        bank_reference=line.dedupe_key,
        payer_name=line.payer_name,
        payer_account=line.payer_account,
        memo=line.reference,
        allocations=(
            Allocation(
                kind=line.target_kind,
                target_ids=tuple(line.target_ids),
                amount=_allocation_amount(line, target),
            ),
        ),
    )
    posted = isinstance(result, Receipt)
    line.receipt = result if posted else result.receipt  # four-eyes: the waiting receipt
    line.status = BankLineStatus.CONFIRMED if posted else BankLineStatus.AWAITING_APPROVAL
    line.decided_by = actor
    line.decided_at = timezone.now()
    line.save(update_fields=["receipt", "status", "decided_by", "decided_at"])
    return line


def bank_lines_follow_receipt(*, receipt: Receipt, approved: bool) -> int:
    """A four-eyes receipt was decided: its waiting lines become confirmed, or (rejected)
    go back to their proposal without the receipt. Called by ``approvals`` inside the
    decision's transaction; one conditional UPDATE, so no lock above the pending row."""
    waiting = BankStatementLine.objects.filter(
        receipt=receipt, status=BankLineStatus.AWAITING_APPROVAL
    )
    if approved:
        return waiting.update(status=BankLineStatus.CONFIRMED)
    return waiting.update(
        status=BankLineStatus.PROPOSED, receipt=None, decided_by=None, decided_at=None
    )


def bank_lines_confirm(*, line_ids: list[int], actor) -> ConfirmResult:
    """Confirm several lines, each in its own transaction (one refusal stops no other)."""
    confirmed, awaiting, refused = [], [], []
    for line_id in sorted(line_ids):
        try:
            line = bank_line_confirm(line_id=line_id, actor=actor)
        except BillingError as exc:
            line = BankStatementLine.objects.get(pk=line_id)
            refused.append((line, " ".join(exc.messages)))
            continue
        (confirmed if line.status == BankLineStatus.CONFIRMED else awaiting).append(line)
    return ConfirmResult(confirmed, awaiting, refused)


def _current_target(line: BankStatementLine) -> Target | None:
    """The line's target if it is still open (a payment not yet confirmed, …)."""
    for target in open_targets(currency=line.currency, company_id=line.company_id):
        if target.kind == line.target_kind and list(target.ids) == list(line.target_ids):
            return target
    return None


def _open_line(line_id: int) -> BankStatementLine:
    line = _lock_line(line_id)
    if line.status not in OPEN_BANK_LINE_STATUSES:
        raise BillingError(_("This line was already decided."), code="state")
    return line


@transaction.atomic
def bank_line_retarget(
    *, line_id: int, actor, company_id: int, target_kind: str, target_ids: list[int]
) -> BankStatementLine:
    """Finance chooses the target: one of the company's open items."""
    line = _open_line(line_id)
    wanted = (target_kind, tuple(sorted(int(i) for i in target_ids)))
    for target in open_targets(currency=line.currency, company_id=company_id):
        if (target.kind, tuple(sorted(target.ids))) == wanted:
            _apply(line, Proposal(MatchRule.MANUAL, "", target))
            line.decided_by = actor
            line.save()
            return line
    raise BillingError(
        {"target": [_("Choose one of the company's open payments, repayments or bills.")]},
        code="target",
    )


@transaction.atomic
def bank_line_ignore(*, line_id: int, actor, note: str = "") -> BankStatementLine:
    """Not a partner's money (interest, a refund from a supplier …): out of the queues."""
    line = _open_line(line_id)
    line.status = BankLineStatus.IGNORED
    line.note = (note or line.note)[:300]
    line.decided_by = actor
    line.decided_at = timezone.now()
    line.save(update_fields=["status", "note", "decided_by", "decided_at"])
    return line
