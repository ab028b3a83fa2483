"""Browser acceptance of 查看电子订单 (manual §11.2): 【电子合同】 on the orders list opens the
stored contract in a dialog with 【下载电子合同】 and 【取消】; the download is the same file
the contract row records (SHA-256), on a desktop and on a phone (390 px)."""

import hashlib

import pytest
from playwright.sync_api import expect

from contracts.models import Contract
from contracts.services import contract_render_pdf
from tests.billing.order_helpers import Shop, paid_order
from tests.e2e.test_checkout_flow import shot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_contract_dialog_opens_from_the_orders_list_and_downloads_the_pdf(
    page, live_server, block_external, screenshot_dir, width
):
    shop = Shop()
    order = paid_order(shop)
    contract = contract_render_pdf(contract_id=order.contract_id)
    stored = Contract.objects.get(pk=contract.pk)
    assert stored.sha256

    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, live_server, shop.user)
    page.goto(f"{live_server.url}/account/orders/")
    page.locator(f'[data-actions="{order.number}"] [data-contract-view]').click()
    dialog = page.locator("dialog.contract-modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".eorder-head h2")).to_have_text("查看电子订单")
    expect(dialog).to_contain_text(contract.number)
    expect(page).to_have_url(f"{live_server.url}/account/orders/")  # the list stays behind
    if width == 390:
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, screenshot_dir / f"contract-dialog-{width}.png")

    with page.expect_download() as info:
        dialog.locator("[data-contract-download]").click()
    download = info.value
    body = download.path().read_bytes()
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == stored.sha256

    dialog.locator("[data-contract-close]").click()
    expect(dialog).to_be_hidden()
