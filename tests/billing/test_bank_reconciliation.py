"""Bank statement import and reconciliation: profiles as data, dedupe on a unique key,
all-or-nothing bad files, the task path with progress, confirming through receipts."""

import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import translation

from billing.models import (
    BankImportStatus,
    BankLineStatus,
    BankStatementImport,
    BankStatementLine,
    BankStatementProfile,
    BillStatus,
    PaymentRecordStatus,
    PendingPostingStatus,
    Receipt,
)
from billing.selectors.bankstatements import unmatched_bank_lines
from billing.services import bankstatements as bank
from billing.services.approvals import posting_approve, posting_reject
from billing.services.errors import BillingError
from tests.billing.bank_helpers import generic_csv
from tests.billing.bank_world import BankWorld

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    return BankWorld()


def upload(world, content: bytes, name="statement.csv", actor=None, file_format="csv"):
    return bank.bank_statement_upload(
        actor=actor or world.maker,
        bank_account_id=world.bank.pk,
        profile_id=world.profile.pk,
        file_format=file_format,
        upload=SimpleUploadedFile(name, content),
    )


def lines_by_id(statement=None) -> dict[str, BankStatementLine]:
    lines = BankStatementLine.objects.all()
    if statement is not None:
        lines = lines.filter(statement=statement)
    return {line.dedupe_key: line for line in lines}


def test_both_profiles_are_seeded_as_data():
    names = set(BankStatementProfile.objects.values_list("name", flat=True))
    assert {"通用格式 (Generic)", "中国银行流水 (GBK)"} <= names
    chinese = BankStatementProfile.objects.get(name="中国银行流水 (GBK)")
    assert chinese.encoding == "gbk" and "对方账号" in chinese.payer_account_columns


def test_import_proposes_in_rule_order_with_confidence(world):
    statement = upload(world, world.file())
    assert (statement.status, statement.credit_lines, statement.new_lines) == ("done", 6, 6)
    lines = lines_by_id()
    got = {k: (x.status, x.rule, x.confidence, x.target_kind) for k, x in lines.items()}
    assert got == {
        "B001": ("proposed", "reference", "high", "payment"),
        "B002": ("proposed", "reference", "high", "order"),
        "B003": ("proposed", "reference", "high", "bills"),
        "B004": ("proposed", "payer_account", "medium", "repayment"),
        "B005": ("unmatched", "", "", ""),
        "B006": ("unmatched", "", "", ""),
    }
    assert lines["B001"].target_ids == [world.payment.pk]
    assert lines["B003"].target_ids == [world.bill.pk]
    assert world.payment.reference in lines["B005"].note
    assert world.unreported.number in lines["B005"].note
    assert set(unmatched_bank_lines().values_list("dedupe_key", flat=True)) == {"B005", "B006"}


def test_the_same_file_again_adds_no_line(world):
    upload(world, world.file())
    again = upload(world, world.file())
    assert (again.credit_lines, again.new_lines) == (6, 0)
    overlapping = upload(
        world, generic_csv([*world.rows()[4:], ("2026-12-01", "9.00", "CNY", "x", "", "", "B7")])
    )
    assert overlapping.new_lines == 1
    assert BankStatementLine.objects.count() == 7


def test_lines_without_transaction_id_dedupe_on_their_hash(world):
    rows = [(r[0], r[1], r[2], r[3], r[4], r[5], "") for r in world.rows()]
    assert upload(world, generic_csv(rows)).new_lines == 6
    assert upload(world, generic_csv(rows[::-1])).new_lines == 0


def test_a_bad_file_names_row_and_column_and_imports_nothing(world):
    rows = world.rows()
    rows[3] = (rows[3][0], "30,OO", *rows[3][2:])
    with pytest.raises(BillingError) as exc:
        upload(world, generic_csv(rows))
    assert exc.value.message_dict["file"] == ["Row 5, column Amount: “30,OO” is not an amount."]
    assert BankStatementImport.objects.count() == 0 and BankStatementLine.objects.count() == 0


def test_confirming_moves_orders_and_bills_as_single_confirmations(world):
    upload(world, world.file())
    lines = lines_by_id()
    ids = [lines[k].pk for k in ("B001", "B002", "B003", "B004")]
    result = bank.bank_lines_confirm(line_ids=ids, actor=world.maker)
    assert (len(result.confirmed), result.awaiting, result.refused) == (4, [], [])
    world.assert_all_settled()
    receipts = Receipt.objects.filter(bank_account=world.bank)
    assert sorted(receipts.values_list("bank_reference", flat=True)) == [
        "B001",
        "B002",
        "B003",
        "B004",
    ]
    assert {x.status for x in BankStatementLine.objects.filter(pk__in=ids)} == {"confirmed"}
    # Confirming again changes nothing.
    again = bank.bank_lines_confirm(line_ids=ids, actor=world.maker)
    assert len(again.confirmed) == 4 and receipts.count() == 4


def test_above_the_threshold_a_line_awaits_the_second_approval(world, settings):
    settings.FOUR_EYES_THRESHOLD = Decimal("100.00")
    upload(world, world.file())
    line = lines_by_id()["B001"]
    result = bank.bank_lines_confirm(line_ids=[line.pk], actor=world.maker)
    assert [x.pk for x in result.awaiting] == [line.pk]
    line.refresh_from_db()
    assert line.status == BankLineStatus.AWAITING_APPROVAL
    world.payment.refresh_from_db()
    assert world.payment.status == PaymentRecordStatus.PENDING  # nothing settled yet
    pending = line.receipt.pending
    assert posting_approve(pending_id=pending.pk, checker=world.checker).status == (
        PendingPostingStatus.APPROVED
    )
    world.payment.refresh_from_db()
    assert world.payment.status == PaymentRecordStatus.SUCCEEDED
    line.refresh_from_db()
    assert line.status == BankLineStatus.CONFIRMED  # the line follows its receipt


def test_a_rejected_second_approval_puts_the_line_back_to_its_proposal(world, settings):
    settings.FOUR_EYES_THRESHOLD = Decimal("100.00")
    upload(world, world.file())
    line = lines_by_id()["B001"]
    bank.bank_lines_confirm(line_ids=[line.pk], actor=world.maker)
    line.refresh_from_db()
    posting_reject(pending_id=line.receipt.pending.pk, checker=world.checker, reason="wrong")
    line.refresh_from_db()
    assert (line.status, line.receipt_id) == (BankLineStatus.PROPOSED, None)
    # Proposed again: it can be confirmed once more (the rejected receipt freed the key).
    result = bank.bank_lines_confirm(line_ids=[line.pk], actor=world.maker)
    assert [x.pk for x in result.awaiting] == [line.pk]


def test_retarget_and_ignore(world):
    upload(world, world.file())
    lines = lines_by_id()
    ambiguous = lines["B005"]
    line = bank.bank_line_retarget(
        line_id=ambiguous.pk,
        actor=world.maker,
        company_id=world.company.pk,
        target_kind="order",
        target_ids=[world.unreported.pk],
    )
    assert (line.status, line.rule, line.target_ids) == (
        "proposed",
        "manual",
        [world.unreported.pk],
    )
    with pytest.raises(BillingError):
        bank.bank_line_retarget(
            line_id=lines["B006"].pk,
            actor=world.maker,
            company_id=world.company.pk,
            target_kind="payment",
            target_ids=[999999],
        )
    ignored = bank.bank_line_ignore(line_id=lines["B006"].pk, actor=world.maker, note="利息")
    assert ignored.status == BankLineStatus.IGNORED
    assert not unmatched_bank_lines().exists()
    with pytest.raises(BillingError):
        bank.bank_line_ignore(line_id=lines["B006"].pk, actor=world.maker)


def test_a_stale_target_is_refused_with_a_clear_message(world):
    upload(world, world.file())
    line = lines_by_id()["B002"]
    bank.bank_lines_confirm(line_ids=[lines_by_id()["B001"].pk], actor=world.maker)
    # The order was paid some other way meanwhile: cancel-proof check by a re-read.
    from billing.models import Order

    Order.objects.filter(pk=world.unreported.pk).update(payment_status="paid", status="processing")
    result = bank.bank_lines_confirm(line_ids=[line.pk], actor=world.maker)
    assert result.refused and "no longer open" in result.refused[0][1]


def test_big_files_parse_in_a_task_with_progress(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bank, "INLINE_ROW_LIMIT", 3)
    seen = []
    rows = world.rows() + [
        ("2026-12-01", f"{n}.01", "CNY", "misc", "", "", f"X{n}") for n in range(1, 400)
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        statement = upload(world, generic_csv(rows))
    assert statement.status == BankImportStatus.PENDING and statement.lines.count() == 0
    assert len(callbacks) == 1

    def watch(done, total):
        seen.append((done, total))
        row = BankStatementImport.objects.get(pk=statement.pk)
        assert row.status == BankImportStatus.RUNNING and row.rows_done == done

    original = bank._parse

    def parse(**kwargs):
        inner = kwargs.pop("progress")

        def both(done, total):
            inner(done, total)
            watch(done, total)

        return original(progress=both, **kwargs)

    monkeypatch.setattr(bank, "_parse", parse)
    assert bank.bank_statement_parse(statement.pk) == 405
    statement.refresh_from_db()
    assert (statement.status, statement.new_lines, statement.progress_percent) == ("done", 405, 100)
    assert seen and seen[0][0] == 200
    assert bank.bank_statement_parse(statement.pk) == 0  # run twice: nothing more


def test_a_bad_big_file_fails_the_import_and_stores_nothing(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bank, "INLINE_ROW_LIMIT", 3)
    rows = world.rows() + [("2026-12-01", "1.00", "CNY", "m", "", "", f"Y{n}") for n in range(9)]
    rows[8] = ("2026-13-01", *rows[8][1:])
    with django_capture_on_commit_callbacks(execute=True):
        statement = upload(world, generic_csv(rows))
    statement.refresh_from_db()  # the task ran on commit (sync cluster in tests)
    assert statement.status == BankImportStatus.FAILED
    assert statement.error.startswith("Row 10, column Date:")
    assert statement.lines.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_line_confirmed_from_two_sessions_is_applied_once():
    world = BankWorld()
    upload(world, world.file())
    line = lines_by_id()["B003"]
    barrier = threading.Barrier(2)
    outcomes: list = []

    def confirm(actor):
        try:
            barrier.wait(timeout=10)
            outcomes.append(bank.bank_line_confirm(line_id=line.pk, actor=actor).status)
        except BillingError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (world.maker, world.checker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["confirmed", "confirmed"]
    assert Receipt.objects.filter(bank_reference="B003").count() == 1
    world.bill.refresh_from_db()
    assert world.bill.status == BillStatus.SETTLED
    assert world.bill.claims.filter(active=True).count() == 1
