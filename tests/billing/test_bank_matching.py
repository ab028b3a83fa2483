"""Auto-matching order and confidence, on plain data."""

from decimal import Decimal

from billing.bankfiles.matching import Candidates, Kind, Target, match_line

D = Decimal


def _t(kind, pk, company, amount, *refs, label=None):
    return Target(kind, (pk,), company, D(amount), "CNY", label or f"{kind}{pk}", tuple(refs))


PAY = _t(Kind.PAYMENT, 1, 10, "300.00", "DD2612021530001234", "20261202153000001", "HZ-778899")
PAY2 = _t(Kind.PAYMENT, 2, 10, "500.00", "DD2612021530005678")
PAY3 = _t(Kind.PAYMENT, 3, 10, "500.00", "DD2612021530009999")
BILL = _t(Kind.BILLS, 7, 20, "120.00", "ZD2612020000751234")
BILL2 = _t(Kind.BILLS, 8, 20, "80.00", "ZD2612020000759999")
REPAY = _t(Kind.REPAYMENT, 4, 30, "90.00", "ZD2612020000750001")
DATA = Candidates(
    targets=[PAY, PAY2, PAY3, BILL, BILL2, REPAY],
    accounts={"6222": {10}, "6333": {20}},
    names={"bluecloud_d": {20}},
)


def match(memo="", amount="0", name="", account="", data=DATA):
    return match_line(
        memo=memo,
        amount=D(amount),
        currency="CNY",
        payer_name=name,
        payer_account=account,
        data=data,
    )


def test_reference_in_memo_wins_with_high_confidence():
    for memo in ("货款 dd2612021530001234", "order 20261202153000001", "参考号 HZ-778899"):
        proposal = match(memo, "300.00", account="6333")
        assert (proposal.rule, proposal.confidence, proposal.target) == ("reference", "high", PAY)


def test_reference_with_another_amount_is_medium_with_a_note():
    proposal = match("DD2612021530001234", "250.00")
    assert (proposal.rule, proposal.confidence, proposal.target) == ("reference", "medium", PAY)
    assert "300.00" in proposal.note


def test_bill_numbers_of_one_company_are_one_target():
    proposal = match("ZD2612020000751234 ZD2612020000759999", "200.00")
    assert proposal.target.kind == Kind.BILLS
    assert proposal.target.ids == (7, 8)
    assert proposal.confidence == "high"


def test_pending_repayment_found_by_its_bill_number():
    proposal = match("还款 ZD2612020000750001", "90.00")
    assert proposal.target == REPAY


def test_payer_account_and_amount_is_medium():
    proposal = match("transfer", "120.00", account="6333")
    assert (proposal.rule, proposal.confidence, proposal.target) == (
        "payer_account",
        "medium",
        BILL,
    )


def test_payer_name_and_amount_is_low():
    proposal = match("", "80.00", name="BlueCloud_D")
    assert (proposal.rule, proposal.confidence, proposal.target) == ("payer_name", "low", BILL2)


def test_several_candidates_leave_the_line_unmatched_with_them_in_the_note():
    proposal = match("", "500.00", account="6222")
    assert proposal.target is None and proposal.rule == ""
    assert "payment2" in proposal.note and "payment3" in proposal.note


def test_unknown_line_is_unmatched():
    proposal = match("interest", "3.21", name="Some bank")
    assert proposal.target is None and proposal.note == ""


def test_other_currency_never_matches():
    usd = Candidates(targets=[Target(Kind.PAYMENT, (1,), 10, D("300.00"), "USD", "x", ("DD26",))])
    assert match("DD2612021530001234", "300.00", data=usd).target is None


def test_short_references_are_not_searched():
    data = Candidates(targets=[_t(Kind.PAYMENT, 5, 10, "1.00", "12")])
    assert match("order 12", "1.00", data=data).target is None
