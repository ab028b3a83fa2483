"""The statement workflow: 待确认 → 已确认 (or 有争议 → staff) → 已付款 → 已完成."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Statement, StatementAdjustment, StatementStatus
from billing.statements.selectors import disputed_statement_count
from billing.statements.services import StatementError, generate_statements
from billing.statements.workflow import (
    TRANSITIONS,
    IllegalStatementTransition,
    Resolution,
    statement_adjust,
    statement_complete,
    statement_confirm,
    statement_dispute,
    statement_resolve,
    statement_set_status,
    statement_upload_voucher,
)
from partners.models import CompanyRole
from tests.factories import UserFactory
from tests.partners.factories import CompanyFactory, DistributorFactory, PartnerUserFactory

from .files import disguised_upload, gif_upload, pdf_upload, png_upload
from .helpers import Seller, local

pytestmark = pytest.mark.django_db

S = StatementStatus


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, name="赵财务")


@pytest.fixture
def seller():
    seller = Seller(CompanyFactory(revenue_share_rate=Decimal("0.1000")))
    seller.orders(2, at=local(2026, 10, 5), total="500.00")
    return seller


@pytest.fixture
def statement(seller) -> Statement:
    generate_statements(period="2026-10")
    return Statement.objects.get(company=seller.company)


def reload(statement: Statement) -> Statement:
    return Statement.objects.get(pk=statement.pk)


def upload_voucher(statement, actor, upload, reference):
    """``statement_upload_voucher``: the voucher of a payment made today (local)."""
    return statement_upload_voucher(
        statement_id=statement.pk,
        actor=actor,
        upload=upload,
        paid_on=timezone.localdate(),
        reference=reference,
    )


def test_happy_path_partner_confirms_finance_pays_and_completes(seller, statement, staff):
    assert statement.status == S.DRAFT and statement.total_payable == Decimal("100.00")
    co_admin = PartnerUserFactory(company=seller.company, company_role=CompanyRole.CO_ADMIN)
    statement_confirm(statement_id=statement.pk, actor=co_admin)
    s = reload(statement)
    assert (s.status, s.confirmed_by, s.confirmed_at is not None) == (S.CONFIRMED, co_admin, True)

    upload_voucher(s, staff, pdf_upload(), "999999")
    s = reload(statement)
    assert s.status == S.PAID
    assert (s.voucher_reference, s.voucher_name, s.voucher_content_type) == (
        "999999",
        "凭证.pdf",
        "application/pdf",
    )
    assert s.voucher.read().startswith(b"%PDF-")

    statement_complete(statement_id=s.pk, actor=staff)
    s = reload(statement)
    assert s.status == S.COMPLETED and s.completed_at is not None
    assert list(s.events.values_list("from_status", "to_status")) == [
        ("", S.DRAFT),
        (S.DRAFT, S.CONFIRMED),
        (S.CONFIRMED, S.PAID),
        (S.PAID, S.COMPLETED),
    ]
    assert s.history.count() >= 4  # simple-history keeps every version


def test_transition_table_refuses_illegal_moves(statement, staff):
    s = reload(statement)
    for target in (S.PAID, S.COMPLETED, S.DRAFT):
        with pytest.raises(IllegalStatementTransition):
            statement_set_status(statement=s, to_status=target, actor=staff)
    with pytest.raises(IllegalStatementTransition):
        statement_complete(statement_id=s.pk, actor=staff)  # draft → completed
    with pytest.raises(IllegalStatementTransition):
        upload_voucher(s, staff, pdf_upload(), "1")
    with pytest.raises(IllegalStatementTransition):
        statement_resolve(statement_id=s.pk, actor=staff, resolution=Resolution.CONFIRM)
    assert reload(statement).status == S.DRAFT
    assert TRANSITIONS[S.COMPLETED] == set()
    assert reload(statement).events.count() == 1


def test_partner_cannot_confirm_twice_or_after_dispute(seller, statement):
    statement_confirm(statement_id=statement.pk, actor=seller.admin)
    with pytest.raises(IllegalStatementTransition):
        statement_confirm(statement_id=statement.pk, actor=seller.admin)
    with pytest.raises(IllegalStatementTransition):
        statement_dispute(statement_id=statement.pk, actor=seller.admin, reason="迟到的争议")
    assert reload(statement).status == S.CONFIRMED


def test_only_the_statement_company_users_may_confirm_or_dispute(seller, statement):
    other = PartnerUserFactory(company=CompanyFactory(), company_role=CompanyRole.ADMIN)
    parent = DistributorFactory()
    seller.company.parent = parent
    seller.company.save()
    parent_admin = PartnerUserFactory(company=parent, company_role=CompanyRole.ADMIN)
    disabled = PartnerUserFactory(company=seller.company, is_active=False)
    for actor in (other, parent_admin, disabled):
        with pytest.raises(StatementError):
            statement_confirm(statement_id=statement.pk, actor=actor)
        with pytest.raises(StatementError):
            statement_dispute(statement_id=statement.pk, actor=actor, reason="x")
    assert reload(statement).status == S.DRAFT


def test_dispute_needs_a_reason_and_lands_in_the_staff_queue(seller, statement, staff):
    for reason in ("", "   "):
        with pytest.raises(StatementError) as exc:
            statement_dispute(statement_id=statement.pk, actor=seller.admin, reason=reason)
        assert "reason" in exc.value.message_dict
    with pytest.raises(StatementError):
        statement_dispute(statement_id=statement.pk, actor=seller.admin, reason="长" * 501)
    assert reload(statement).status == S.DRAFT and disputed_statement_count() == 0

    statement_dispute(statement_id=statement.pk, actor=seller.admin, reason="  订单 X 未计入  ")
    s = reload(statement)
    assert (s.status, s.dispute_reason, s.disputed_by) == (
        S.DISPUTED,
        "订单 X 未计入",
        seller.admin,
    )
    assert disputed_statement_count() == 1
    assert Statement.objects.filter(status=S.DISPUTED).get() == s
    # The partner cannot confirm it now; staff resolve it.
    with pytest.raises(IllegalStatementTransition):
        statement_confirm(statement_id=s.pk, actor=seller.admin)


def test_staff_resolve_a_dispute_by_regenerating(seller, statement, staff):
    statement_dispute(statement_id=statement.pk, actor=seller.admin, reason="漏单")
    missing = seller.order(at=local(2026, 10, 30), total="1000.00")
    with pytest.raises(StatementError):
        statement_resolve(statement_id=statement.pk, actor=seller.admin, resolution="regenerate")
    statement_resolve(
        statement_id=statement.pk, actor=staff, resolution=Resolution.REGENERATE, note="补单"
    )
    s = reload(statement)
    assert s.status == S.DRAFT and s.number == statement.number
    assert missing.number in set(s.lines.values_list("order_number", flat=True))
    assert s.total_payable == Decimal("200.00")
    statement_confirm(statement_id=s.pk, actor=seller.admin)
    assert reload(statement).status == S.CONFIRMED


def test_staff_resolve_a_dispute_by_confirming_on_behalf(seller, statement, staff):
    statement_dispute(statement_id=statement.pk, actor=seller.admin, reason="不认可")
    statement_resolve(statement_id=statement.pk, actor=staff, resolution=Resolution.CONFIRM)
    s = reload(statement)
    assert (s.status, s.confirmed_by) == (S.CONFIRMED, staff)
    with pytest.raises(StatementError):
        statement_resolve(statement_id=statement.pk, actor=staff, resolution="bogus")


def test_staff_confirm_on_behalf_of_a_draft(statement, staff):
    statement_confirm(statement_id=statement.pk, actor=staff)
    assert reload(statement).confirmed_by == staff


def test_adjustments_are_signed_reasoned_and_only_on_drafts(seller, statement, staff):
    with pytest.raises(StatementError) as exc:
        statement_adjust(statement_id=statement.pk, actor=staff, amount="5", reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(StatementError):
        statement_adjust(statement_id=statement.pk, actor=staff, amount="0", reason="零")
    with pytest.raises(StatementError):
        statement_adjust(statement_id=statement.pk, actor=staff, amount="-100.01", reason="超额")
    with pytest.raises(StatementError):
        statement_adjust(statement_id=statement.pk, actor=seller.admin, amount="1", reason="自调")
    assert not StatementAdjustment.objects.exists()

    statement_adjust(statement_id=statement.pk, actor=staff, amount="12.5", reason="补发")
    statement_adjust(statement_id=statement.pk, actor=staff, amount="-2.50", reason="扣减")
    s = reload(statement)
    assert (s.adjustment_total, s.total_payable) == (Decimal("10.00"), Decimal("110.00"))
    assert list(s.adjustments.values_list("amount", "reason")) == [
        (Decimal("12.50"), "补发"),
        (Decimal("-2.50"), "扣减"),
    ]
    statement_confirm(statement_id=s.pk, actor=seller.admin)
    with pytest.raises(StatementError):
        statement_adjust(statement_id=s.pk, actor=staff, amount="1", reason="确认后")
    assert reload(statement).total_payable == Decimal("110.00")


@pytest.mark.parametrize(
    ("make_upload", "field"),
    [(disguised_upload, "voucher"), (gif_upload, "voucher"), (lambda: None, "voucher")],
)
def test_voucher_upload_is_content_checked_and_stores_nothing_on_refusal(
    seller, statement, staff, statement_storage, make_upload, field
):
    statement_confirm(statement_id=statement.pk, actor=seller.admin)
    with pytest.raises(StatementError) as exc:
        upload_voucher(statement, staff, make_upload(), "REF-1")
    assert field in exc.value.message_dict
    s = reload(statement)
    assert (s.status, s.voucher.name, s.voucher_reference) == (S.CONFIRMED, "", "")
    assert not [p for p in statement_storage.rglob("*") if p.is_file()]


def test_voucher_needs_reference_and_a_date_not_in_the_future(seller, statement, staff):
    statement_confirm(statement_id=statement.pk, actor=seller.admin)
    cases = [
        ({"reference": "", "paid_on": timezone.localdate()}, "reference"),
        ({"reference": "R" * 61, "paid_on": timezone.localdate()}, "reference"),
        ({"reference": "R", "paid_on": timezone.localdate() + timedelta(days=1)}, "paid_on"),
        ({"reference": "R", "paid_on": None}, "paid_on"),
    ]
    for kwargs, field in cases:
        with pytest.raises(StatementError) as exc:
            statement_upload_voucher(
                statement_id=statement.pk, actor=staff, upload=png_upload(), **kwargs
            )
        assert field in exc.value.message_dict
    with pytest.raises(StatementError):
        upload_voucher(statement, seller.admin, png_upload(), "R")
    assert reload(statement).status == S.CONFIRMED
    upload_voucher(statement, staff, png_upload(), "R")
    assert reload(statement).voucher_content_type == "image/png"
