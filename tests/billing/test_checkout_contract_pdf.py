"""The contract PDF of a checkout is written after the order commits, from the stored
snapshot (issue 22, Also): a rolled-back checkout leaves no file, a download that comes
before the task renders it on demand, and the render is idempotent."""

import hashlib
from unittest import mock

import pytest
from django.test import TestCase
from django.urls import reverse

import contracts.services as contract_services
from billing.models import Order
from contracts.models import Contract
from contracts.services import contract_render_pdf
from tests.billing.order_helpers import Shop
from tests.files import storage_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def contract_storage(tmp_path, monkeypatch):
    """Contract PDFs go to this test's directory, so "no file" can be checked."""
    return storage_in(tmp_path, monkeypatch, (Contract, "pdf"))


def stored_pdfs(root) -> list:
    return sorted(root.rglob("*.pdf"))


def place_committed(shop: Shop, **kwargs) -> Order:
    """Place an order and run what its commit queues (the PDF task, synchronous in tests)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        order = shop.place(**kwargs)
    return order


def test_a_checkout_rolled_back_after_the_contract_step_writes_no_file(contract_storage):
    shop = Shop()
    with (
        mock.patch("billing.services.checkout._event", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        place_committed(shop)
    assert not Order.objects.exists() and not Contract.objects.exists()
    assert stored_pdfs(contract_storage) == []


def test_the_pdf_is_not_rendered_inside_the_order_transaction(contract_storage):
    shop = Shop()
    with mock.patch.object(contract_services, "render_contract_pdf") as render:
        order = shop.place()  # not committed: its on-commit task has not run
    render.assert_not_called()
    assert order.contract.pdf.name == "" and stored_pdfs(contract_storage) == []


def test_a_placed_orders_contract_pdf_is_stored_after_commit_and_downloads(
    client, contract_storage
):
    shop = Shop()
    order = place_committed(shop)
    contract = Contract.objects.get(pk=order.contract_id)
    assert contract.pdf.name.startswith("contracts/")
    assert stored_pdfs(contract_storage) == [contract_storage / contract.pdf.name]
    client.force_login(shop.user)
    response = client.get(reverse("portal:contract_pdf", args=[contract.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-") and hashlib.sha256(body).hexdigest() == contract.sha256


def test_a_download_before_the_task_renders_the_pdf_from_the_snapshot(client, contract_storage):
    shop = Shop()
    order = shop.place()  # the task has not run yet
    client.force_login(shop.user)
    response = client.get(reverse("portal:contract_pdf", args=[order.contract_id]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    contract = Contract.objects.get(pk=order.contract_id)
    assert body.startswith(b"%PDF-") and hashlib.sha256(body).hexdigest() == contract.sha256
    # The task arriving later keeps that file.
    assert contract_render_pdf(contract_id=contract.pk).pdf.name == contract.pdf.name
    assert len(stored_pdfs(contract_storage)) == 1


def test_two_renders_at_once_keep_one_file(contract_storage):
    shop = Shop()
    contract_id = shop.place().contract_id
    real_render = contract_services.render_contract_pdf
    calls = []

    def render_while_another_worker_finishes(document):
        calls.append(1)
        if len(calls) == 1:
            contract_render_pdf(contract_id=contract_id)  # the other worker wins the row
        return real_render(document)

    with mock.patch.object(
        contract_services, "render_contract_pdf", render_while_another_worker_finishes
    ):
        contract = contract_render_pdf(contract_id=contract_id)
    assert len(calls) == 2
    assert stored_pdfs(contract_storage) == [contract_storage / contract.pdf.name]
    stored = (contract_storage / contract.pdf.name).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == contract.sha256
