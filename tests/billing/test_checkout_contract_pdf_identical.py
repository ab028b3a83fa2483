"""The contract PDF is reproducible: the task after the order's commit and a download that
comes before it render byte-identical files from the same frozen snapshot, whatever the
wall clock; the snapshot's hash is stored in the order's transaction and checked before
rendering (issue 19)."""

import hashlib
import time
from unittest import mock

import pytest
from django.test import TestCase
from django.urls import reverse

from contracts import tasks as contract_tasks
from contracts.models import Contract, snapshot_digest
from contracts.services import ContractError, contract_render_pdf
from tests.billing.order_helpers import Shop
from tests.files import storage_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def contract_storage(tmp_path, monkeypatch):
    return storage_in(tmp_path, monkeypatch, (Contract, "pdf"))


def _forget_file(contract: Contract) -> None:
    """As if the PDF had never been rendered (the row as the order's commit left it)."""
    contract.pdf.delete(save=False)
    Contract.objects.filter(pk=contract.pk).update(pdf="", sha256="")


def test_the_task_and_an_early_download_store_identical_bytes(client, contract_storage):
    shop = Shop()
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        order = shop.place()  # committed in the test's eyes, but its task has not run
    assert len(queued) == 1  # the render task, queued on commit
    contract = Contract.objects.get(pk=order.contract_id)
    assert contract.pdf.name == "" and contract.sha256 == ""
    assert contract.snapshot_sha256 == snapshot_digest(contract.snapshot)

    # A download before the task: rendered on demand and stored.
    client.force_login(shop.user)
    response = client.get(reverse("portal:contract_pdf", args=[contract.pk]))
    assert response.status_code == 200
    on_demand = b"".join(response.streaming_content)
    contract.refresh_from_db()
    assert hashlib.sha256(on_demand).hexdigest() == contract.sha256

    # The task, an hour later on the wall clock, renders the same snapshot again.
    _forget_file(contract)
    later = time.time() + 3600
    with mock.patch("reportlab.lib.utils.time.time", return_value=later):
        name = contract_tasks.render_contract_pdf(contract.pk)
    contract.refresh_from_db()
    from_task = (contract_storage / name).read_bytes()
    assert from_task == on_demand
    assert contract.sha256 == hashlib.sha256(from_task).hexdigest()
    assert (
        b"/CreationDate (D:"
        + contract.snapshot["agreed_at"].replace("-", "").replace(" ", "").replace(":", "").encode()
        in from_task
    )


def test_a_snapshot_that_does_not_match_its_hash_is_not_rendered(contract_storage):
    shop = Shop()
    order = shop.place()
    contract = Contract.objects.get(pk=order.contract_id)
    snapshot = {**contract.snapshot, "grand_total": "0.01"}
    Contract.objects.filter(pk=contract.pk).update(snapshot=snapshot)
    with pytest.raises(ContractError):
        contract_render_pdf(contract_id=contract.pk)
    assert not list(contract_storage.rglob("*.pdf"))
