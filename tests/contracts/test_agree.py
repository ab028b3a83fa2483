"""contract_agree and the template versions: the PDF is rendered once and never again;
template edits make new versions and leave agreed contracts untouched."""

import hashlib
from pathlib import Path
from unittest import mock

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from contracts.models import Contract, ContractTemplate
from contracts.selectors import active_template, contracts_visible_to
from contracts.services import (
    ContractError,
    contract_agree,
    contract_build_data,
    contract_preview_html,
    template_activate,
    template_create,
    template_publish_new_version,
    template_update,
)

from .conftest import agree, build_kwargs, make_company, make_partner

pytestmark = pytest.mark.django_db


def _agree(company, partner, **overrides) -> Contract:
    data = contract_build_data(**build_kwargs(company, **overrides))
    return agree(data=data, company=company, agreed_by=partner)


def test_agreement_stores_pdf_hash_snapshot_and_version(company, partner):
    template = active_template()
    contract = _agree(company, partner)
    contract.refresh_from_db()
    stored = Path(contract.pdf.path).read_bytes()
    assert stored.startswith(b"%PDF-")
    assert contract.sha256 == hashlib.sha256(stored).hexdigest()
    assert contract.template == template
    assert contract.company == company and contract.agreed_by == partner
    assert str(contract.total) == "3626.78" and contract.currency == "CNY"
    assert contract.pdf.name.startswith("contracts/") and contract.pdf.name.endswith(".pdf")
    snapshot = contract.snapshot
    assert snapshot["template"] == {"id": template.pk, "name": template.name, "version": 1}
    assert snapshot["grand_total"] == "3626.78"
    assert [c["title"] for c in snapshot["clauses"]][:3] == [
        "服务开通信息表",
        "定价方式",
        "支付方式",
    ]
    assert "货币为人民币" in snapshot["clauses"][1]["text"]
    assert list(contracts_visible_to(contract.agreed_by)) == [contract]


def test_the_pdf_is_rendered_once(company, partner):
    with mock.patch("contracts.services.render_contract_pdf", return_value=b"%PDF-1.4 x") as r:
        contract = _agree(company, partner)
    assert r.call_count == 1
    assert contract.sha256 == hashlib.sha256(b"%PDF-1.4 x").hexdigest()


def test_template_edits_never_touch_an_agreed_contract(company, partner, superuser):
    old = active_template()
    old_clauses = list(old.clauses)
    contract = _agree(company, partner)
    path = Path(contract.pdf.path)
    before = path.read_bytes()
    stat_before = path.stat().st_mtime_ns

    # The used version cannot be edited ...
    with pytest.raises(ContractError):
        template_update(template=old, clauses=[{"title": "x", "text": "y"}], actor=superuser)
    # ... so staff publish a new version and edit that one.
    new = template_publish_new_version(template=old, clauses=old.clauses, actor=superuser)
    edited = [*new.clauses, {"title": "新增条款", "text": "新版本的附加条款。"}]
    template_update(
        template=new, clauses=edited, payment_terms={"online": "新的付款条款。"}, actor=superuser
    )
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.version == 2 and new.is_active and not old.is_active
    assert old.clauses == old_clauses
    assert new.clauses[-1]["title"] == "新增条款"

    contract.refresh_from_db()
    assert contract.template_id == old.pk
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat_before
    assert hashlib.sha256(before).hexdigest() == contract.sha256
    assert all(c["title"] != "新增条款" for c in contract.snapshot["clauses"])

    # The next contract uses the new version.
    later = _agree(company, partner)
    assert later.template_id == new.pk
    assert later.snapshot["clauses"][-1]["title"] == "新增条款"
    assert "新的付款条款。" in later.snapshot["clauses"][2]["text"]


def test_contract_admin_is_read_only(company, partner, superuser):
    contract = _agree(company, partner)
    model_admin = admin.site._registry[Contract]
    request = RequestFactory().get("/")
    request.user = superuser
    assert not model_admin.has_change_permission(request, contract)
    assert not model_admin.has_delete_permission(request, contract)
    assert not model_admin.has_add_permission(request)
    assert model_admin.has_view_permission(request, contract)


def test_used_template_versions_are_read_only_in_the_admin(company, partner, superuser):
    template = active_template()
    model_admin = admin.site._registry[ContractTemplate]
    request = RequestFactory().get("/")
    request.user = superuser
    assert model_admin.has_change_permission(request, template)
    _agree(company, partner)
    assert not model_admin.has_change_permission(request, template)
    assert not model_admin.has_delete_permission(request, template)


def test_only_a_user_of_the_company_can_agree(company):
    other = make_company()
    outsider = make_partner(other)
    data = contract_build_data(**build_kwargs(company))
    with pytest.raises(ContractError):
        contract_agree(data=data, company=company, agreed_by=outsider)
    assert not Contract.objects.exists()


def test_agreeing_without_an_active_template_fails_cleanly(company, partner):
    ContractTemplate.objects.update(is_active=False)
    with pytest.raises(ContractError):
        _agree(company, partner)
    assert not Contract.objects.exists()


def test_a_failed_save_leaves_no_file_and_no_number_gap(company, partner, contract_storage):
    data = contract_build_data(**build_kwargs(company))
    with (
        mock.patch.object(Contract, "full_clean", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        contract_agree(data=data, company=company, agreed_by=partner)
    assert not list(contract_storage.rglob("*.pdf"))
    first = agree(data=data, company=company, agreed_by=partner)
    assert first.number.endswith("001")


def test_template_versions_and_activation(superuser):
    first = active_template()
    terms = {"online": "在线。", "offline": "线下。", "credit": "账期。"}
    other = template_create(
        name="服务合同",
        clauses=[{"title": "", "text": "{{ party_a_name }}"}],
        payment_terms=terms,
        actor=superuser,
    )
    assert other.version == 1 and not other.is_active and other.created_by == superuser
    again = template_create(
        name="服务合同", clauses=[{"title": "a", "text": "b"}], payment_terms=terms, actor=None
    )
    assert again.version == 2
    template_activate(template=other)
    first.refresh_from_db()
    assert active_template() == other and not first.is_active
    assert ContractTemplate.objects.filter(is_active=True).count() == 1
    assert other.history.count() >= 2  # created, activated


@pytest.mark.parametrize(
    "clauses",
    [
        [],
        [{"title": "t", "text": ""}],
        [{"title": "t"}],
        [{"title": "t", "text": "{{ secret_key }}"}],
        [{"title": "t", "text": "{{ party_a_name|upper }}"}],
        [{"title": "t", "text": "{% load static %}"}],
        [{"title": "t", "text": "{{ settings.SECRET_KEY }}"}],
        [{"title": "t", "text": "half {{ open"}],
        "not a list",
    ],
)
def test_clauses_are_validated(superuser, clauses):
    template = active_template()
    with pytest.raises(ValidationError):
        template_publish_new_version(template=template, clauses=clauses, actor=superuser)
    assert ContractTemplate.objects.count() == 1
    assert active_template() == template


def test_preview_html_matches_the_document_and_escapes(company):
    data = contract_build_data(**build_kwargs(company, contact_name="<script>alert(1)</script>"))
    html = contract_preview_html(data)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for needle in (
        "经销商（甲方）名称",
        "上海蓝云网络科技有限公司",
        "产品订单",
        "服务/部署订单",
        "产品001号",
        "服务002号",
        "陆佰伍拾元整",
        "叁仟陆佰贰拾陆元柒角捌分",
        "¥3,626.78",
        "附录A 服务开通信息表",
        "chen.xixuan@example.com",
        "同意后生成",
        "本订单支付方式为线上支付",
    ):
        assert needle in html, needle


def test_preview_of_a_stored_snapshot_needs_no_template(company, partner):
    contract = _agree(company, partner)
    ContractTemplate.objects.update(is_active=False)
    html = contract_preview_html(contract.snapshot)
    assert contract.number in html


def test_agree_refuses_data_not_built_by_the_service(company, partner):
    with pytest.raises(ValueError):
        contract_agree(data={"currency": "CNY"}, company=company, agreed_by=partner)
    assert not Contract.objects.exists()
