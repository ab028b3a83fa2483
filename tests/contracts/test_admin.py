"""Console: contract templates (edit unused versions, publish/activate, sample PDF) and
agreed contracts (read-only list with download)."""

import hashlib

import pytest
from django.urls import reverse

from backoffice.admin.contracts import clauses_from_text, clauses_to_text
from contracts.models import Contract, ContractTemplate
from contracts.selectors import active_template
from contracts.services import contract_build_data

from .conftest import agree, build_kwargs, make_company, make_partner

pytestmark = pytest.mark.django_db


def _agree(company, partner):
    data = contract_build_data(**build_kwargs(company))
    return agree(data=data, company=company, agreed_by=partner)


def _form(template: ContractTemplate, **overrides) -> dict:
    data = {
        "name": template.name,
        "clauses": clauses_to_text(template.clauses),
        "payment_terms_online": template.payment_terms_online,
        "payment_terms_offline": template.payment_terms_offline,
        "payment_terms_credit": template.payment_terms_credit,
    }
    data.update(overrides)
    return data


def test_clauses_text_round_trip():
    clauses = [
        {"title": "定价方式", "text": "货币为{{ currency_name }}。"},
        {"title": "", "text": "第一行\n第二行"},
        {"title": "交付", "text": "1) 产品\n\n2) 服务"},
    ]
    assert clauses_from_text(clauses_to_text(clauses)) == clauses
    assert clauses_from_text("前言\n## 标题\n正文") == [
        {"title": "", "text": "前言"},
        {"title": "标题", "text": "正文"},
    ]
    assert clauses_from_text("  \n") == []


def test_contract_changelist_search_and_download(staff_client, company, partner):
    contract = _agree(company, partner)
    url = reverse("admin:contracts_contract_changelist")
    response = staff_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert contract.number in content
    download = reverse("admin:contracts_contract_download_pdf", args=[contract.pk])
    assert download in content
    assert staff_client.get(url, {"q": contract.number}).status_code == 200

    detail = staff_client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    assert detail.status_code == 200
    assert "附录A 服务开通信息表" in detail.content.decode()
    assert download in detail.content.decode()

    response = staff_client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == contract.sha256


def _warm_queries(client, url: str, django_assert_max_num_queries) -> int:
    """The queries of a second GET of ``url`` (the first warms the caches), at most 20."""
    client.get(url)
    with django_assert_max_num_queries(20) as captured:
        client.get(url)
    return len(captured.captured_queries)


def test_contract_changelist_queries_do_not_grow_with_rows(
    staff_client, company, partner, django_assert_max_num_queries
):
    _agree(company, partner)
    url = reverse("admin:contracts_contract_changelist")
    few = _warm_queries(staff_client, url, django_assert_max_num_queries)
    other = make_company()
    other_partner = make_partner(other)
    for _ in range(4):
        _agree(other, other_partner)
    with django_assert_max_num_queries(few):
        staff_client.get(url)


def test_contracts_cannot_be_changed_or_deleted_in_the_console(staff_client, company, partner):
    contract = _agree(company, partner)
    change = reverse("admin:contracts_contract_change", args=[contract.pk])
    response = staff_client.post(change, {"number": "1", "order_number": "X"})
    assert response.status_code == 403
    delete = reverse("admin:contracts_contract_delete", args=[contract.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    contract.refresh_from_db()
    assert contract.order_number == "" and Contract.objects.count() == 1


def test_template_changelist_queries_do_not_grow_with_rows(
    staff_client, superuser, django_assert_max_num_queries
):
    from contracts.services import template_publish_new_version

    url = reverse("admin:contracts_contracttemplate_changelist")
    few = _warm_queries(staff_client, url, django_assert_max_num_queries)
    template = active_template()
    for _ in range(4):
        template = template_publish_new_version(
            template=template, clauses=template.clauses, actor=superuser
        )
    with django_assert_max_num_queries(few):
        response = staff_client.get(url)
    assert "电子订单 v5" in response.content.decode()


def test_unused_version_is_edited_in_place(staff_client):
    template = active_template()
    url = reverse("admin:contracts_contracttemplate_change", args=[template.pk])
    assert staff_client.get(url).status_code == 200
    text = clauses_to_text(template.clauses) + "\n\n## 新条款\n甲方名称:{{ party_a_name }}"
    response = staff_client.post(url, _form(template, clauses=text))
    assert response.status_code == 302, response.content.decode()[-2000:]
    template.refresh_from_db()
    assert template.version == 1
    assert template.clauses[-1] == {"title": "新条款", "text": "甲方名称:{{ party_a_name }}"}


def test_bad_merge_field_is_a_form_error_and_changes_nothing(staff_client):
    template = active_template()
    before = list(template.clauses)
    url = reverse("admin:contracts_contracttemplate_change", args=[template.pk])
    response = staff_client.post(url, _form(template, clauses="## 标题\n{{ SECRET_KEY }}"))
    assert response.status_code == 200
    assert "未知的合并字段" in response.content.decode()
    response = staff_client.post(url, _form(template, payment_terms_online="{{ payment_terms }}"))
    assert response.status_code == 200
    assert "未知的合并字段" in response.content.decode()
    template.refresh_from_db()
    assert template.clauses == before


def test_used_version_is_read_only_and_publish_makes_a_new_version(staff_client, company, partner):
    template = active_template()
    contract = _agree(company, partner)
    change = reverse("admin:contracts_contracttemplate_change", args=[template.pk])
    page = staff_client.get(change)
    assert page.status_code == 200
    publish = reverse("admin:contracts_contracttemplate_publish_new_version", args=[template.pk])
    assert publish in page.content.decode()
    assert staff_client.post(change, _form(template, clauses="## x\ny")).status_code == 403

    confirm = staff_client.get(publish)
    assert confirm.status_code == 200
    assert ContractTemplate.objects.count() == 1  # GET changes nothing
    response = staff_client.post(publish)
    assert response.status_code == 302
    new = active_template()
    assert new.version == 2 and new.pk != template.pk
    assert response.url == reverse("admin:contracts_contracttemplate_change", args=[new.pk])
    assert new.clauses == template.clauses

    # The new version is editable; the old one and the contract are untouched.
    edit = reverse("admin:contracts_contracttemplate_change", args=[new.pk])
    assert staff_client.post(edit, _form(new, clauses="## 唯一条款\n内容")).status_code == 302
    template.refresh_from_db()
    contract.refresh_from_db()
    assert template.clauses != [{"title": "唯一条款", "text": "内容"}]
    assert contract.template_id == template.pk


def test_activate_an_older_version(staff_client, superuser):
    from contracts.services import template_publish_new_version

    first = active_template()
    template_publish_new_version(template=first, clauses=first.clauses, actor=superuser)
    url = reverse("admin:contracts_contracttemplate_activate_version", args=[first.pk])
    active_url = reverse(
        "admin:contracts_contracttemplate_activate_version", args=[active_template().pk]
    )
    assert staff_client.get(active_url).status_code == 403  # already the active one
    assert staff_client.get(url).status_code == 200
    assert active_template().version == 2
    assert staff_client.post(url).status_code == 302
    assert active_template() == first


def test_add_a_template_gets_the_next_version(staff_client):
    template = active_template()
    url = reverse("admin:contracts_contracttemplate_add")
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, _form(template, name="服务合同"))
    assert response.status_code == 302, response.content.decode()[-2000:]
    created = ContractTemplate.objects.get(name="服务合同")
    assert created.version == 1 and not created.is_active
    assert active_template() == template


def test_actions_on_a_missing_object_answer_404(staff_client):
    for name in ("publish_new_version", "activate_version", "preview_pdf"):
        url = reverse(f"admin:contracts_contracttemplate_{name}", args=["999999"])
        assert staff_client.get(url).status_code == 404, name
    url = reverse("admin:contracts_contract_download_pdf", args=["abc"])
    assert staff_client.get(url).status_code == 404


def test_sample_pdf_of_a_version(staff_client):
    template = active_template()
    url = reverse("admin:contracts_contracttemplate_preview_pdf", args=[template.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert not Contract.objects.exists()


def test_sales_staff_can_view_but_not_publish(client, company, partner):
    """Staff with only the contracts view permissions can read and download, not publish."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(is_staff=True, email="contract.viewer@example.com")
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="contracts", codename__startswith="view_")
    )
    contract = _agree(company, partner)
    client.force_login(viewer)
    assert client.get(reverse("admin:contracts_contract_changelist")).status_code == 200
    download = reverse("admin:contracts_contract_download_pdf", args=[contract.pk])
    assert client.get(download).status_code == 200
    publish = reverse(
        "admin:contracts_contracttemplate_publish_new_version", args=[contract.template_id]
    )
    assert client.post(publish).status_code == 403
    assert ContractTemplate.objects.count() == 1


def test_console_download_renders_a_contract_whose_task_has_not_run(staff_client, company, partner):
    from contracts.services import contract_agree

    data = contract_build_data(**build_kwargs(company))
    contract = contract_agree(data=data, company=company, agreed_by=partner)  # no commit: no task
    assert not contract.pdf
    response = staff_client.get(
        reverse("admin:contracts_contract_download_pdf", args=[contract.pk])
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    contract.refresh_from_db()
    assert contract.pdf and hashlib.sha256(body).hexdigest() == contract.sha256
