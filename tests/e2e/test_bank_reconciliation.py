"""Issue 16 acceptance (bank statement import): finance imports a 6-line bank file (3 lines
matched by reference, 1 by payer account, 1 ambiguous, 1 unknown), confirms the 4 matched
lines in one action (orders and bills move as if each were confirmed singly), imports the
same file again (0 new lines), and a malformed file names its bad row and imports nothing.
"""

import re

import pytest

from billing.models import (
    BankStatementImport,
    BankStatementLine,
)
from partners.models import User
from tests.billing.bank_helpers import generic_csv
from tests.billing.bank_world import BankWorld
from tests.factories import TEST_PASSWORD
from tests.otp import authenticator, browser_second_step

pytestmark = pytest.mark.django_db(transaction=True)


def console_login(page, live_server, user: User) -> None:
    authenticator(user)  # finance logs in with two factors
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    browser_second_step(page, user)
    page.wait_for_selector("[data-testid=dashboard]")


def import_file(page, live_server, world, content: bytes, name: str) -> None:
    page.goto(f"{live_server.url}/admin/billing/bankstatementimport/add/")
    page.select_option("select[name=bank_account]", str(world.bank.pk))
    page.select_option("select[name=file_format]", "csv")
    page.select_option("select[name=profile]", str(world.profile.pk))
    page.set_input_files(
        "input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def test_finance_imports_and_reconciles_a_bank_file(
    live_server, page, block_external, screenshot_dir
):
    world = BankWorld()
    console_login(page, live_server, world.maker)

    # A malformed file: the error names row 4 and its column; nothing is imported.
    rows = world.rows()
    rows[2] = ("2026/12/xx", *rows[2][1:])
    import_file(page, live_server, world, generic_csv(rows), "bad.csv")
    assert re.search(r"第\s*4\s*行.*交易日期|第\s*4\s*行.*Date|Row 4, column Date", page.content())
    page.screenshot(path=screenshot_dir / "console-bank-import-error.png", full_page=True)
    assert not BankStatementImport.objects.exists() and not BankStatementLine.objects.exists()

    # The 6-line file.
    import_file(page, live_server, world, world.file(), "statement.csv")
    page.wait_for_url(re.compile(r"/bankstatementimport/\d+/change/"))
    statement = BankStatementImport.objects.get()
    assert (statement.credit_lines, statement.new_lines) == (6, 6)
    lines = {x.dedupe_key: x for x in BankStatementLine.objects.all()}
    assert [lines[k].rule for k in ("B001", "B002", "B003")] == ["reference"] * 3
    assert lines["B004"].rule == "payer_account"
    assert lines["B005"].status == "unmatched" and lines["B005"].note  # ambiguous
    assert lines["B006"].status == "unmatched" and not lines["B006"].note  # unknown

    # Confirm the 4 matched lines in one action from the reconciliation screen.
    page.locator("[data-import-lines]").click()
    page.goto(f"{live_server.url}/admin/billing/bankstatementline/?status=proposed")
    page.wait_for_selector("#result_list")
    assert page.locator("input.action-select").count() == 4
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("confirm_selected")
    with page.expect_navigation():
        page.locator("button[name=index]").first.click()
    page.screenshot(path=screenshot_dir / "console-bank-lines-confirmed.png", full_page=True)
    assert set(
        BankStatementLine.objects.filter(
            dedupe_key__in=["B001", "B002", "B003", "B004"]
        ).values_list("status", flat=True)
    ) == {"confirmed"}

    # Orders and bills moved as if each were confirmed singly.
    world.assert_all_settled()

    # The dashboard queue keeps the 2 unmatched lines.
    page.goto(f"{live_server.url}/admin/")
    assert "未匹配银行流水" in page.content()

    # The same file again: 0 new lines.
    import_file(page, live_server, world, world.file(), "statement-again.csv")
    page.wait_for_url(re.compile(r"/bankstatementimport/\d+/change/"))
    assert BankStatementImport.objects.order_by("-pk").first().new_lines == 0
    assert BankStatementLine.objects.count() == 6
