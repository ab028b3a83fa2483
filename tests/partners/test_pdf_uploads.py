"""PDF uploads are checked by structure, not only by their first bytes (issue 14 "Hardening").

``partners.uploads.check_upload`` is the one check of every upload: a PDF must parse
(pypdf), have a page, carry no password and no active content (JavaScript, launch
actions, XFA). Each upload path refuses a bad one with a translated error and stores
nothing: registration, consultation ticket, order attachment, invoice PDF, statement
payout voucher.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from billing.models import InvoiceRequest, OrderAttachment
from billing.services.fulfilment import FulfilmentError, attachment_add
from billing.services.invoices import invoice_issue, invoice_request_create
from billing.statements.services import StatementError
from billing.statements.workflow import statement_confirm, statement_upload_voucher
from catalog.models import ConsultationTicket
from partners.models import QualificationFile, RegistrationApplication
from partners.uploads import check_upload, pdf_problem
from tests.billing.conftest import order  # noqa: F401 (fixture)
from tests.billing.statements.conftest import statement_storage  # noqa: F401 (fixture)
from tests.billing.statements.test_workflow import reload, seller, staff, statement  # noqa: F401
from tests.billing.test_fulfilment import invoice_fields  # noqa: F401 (fixture)
from tests.factories import sales_staff
from tests.files import pdf_bytes
from tests.partners.test_registration_input import private_root, stored_files  # noqa: F401

pytestmark = pytest.mark.django_db


def _write(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _page_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def no_pages() -> bytes:
    return _write(PdfWriter())


def encrypted() -> bytes:
    writer = _page_writer()
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    return _write(writer)


def document_javascript() -> bytes:
    """A document-level script: the catalog's /Names /JavaScript name tree."""
    writer = _page_writer()
    script = writer._add_object(_action("/JavaScript", JS="app.alert('hi');"))
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), script])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _write(writer)


def open_action_javascript() -> bytes:
    writer = _page_writer()
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        _action("/JavaScript", JS="app.alert(1)")
    )
    return _write(writer)


def page_launch_action() -> bytes:
    """A link annotation on the page that launches a program, behind two references."""
    writer = _page_writer()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): writer._add_object(_action("/Launch", F="calc.exe")),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _write(writer)


def page_additional_action() -> bytes:
    writer = _page_writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", JS="this.print()")}
    )
    return _write(writer)


def xfa_form() -> bytes:
    writer = _page_writer()
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): TextStringObject("<xdp:xdp/>"),
        }
    )
    return _write(writer)


def header_only() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def truncated() -> bytes:
    return pdf_bytes()[:60]


def html_with_pdf_header() -> bytes:
    return b"%PDF-1.7\n<html><script>alert(document.cookie)</script></html>"


BAD = {
    "header-only": (header_only, "unreadable"),
    "truncated": (truncated, "unreadable"),
    "html-with-a-pdf-header": (html_with_pdf_header, "unreadable"),
    "no-pages": (no_pages, "unreadable"),
    "encrypted": (encrypted, "encrypted"),
    "document-javascript": (document_javascript, "active"),
    "open-action-javascript": (open_action_javascript, "active"),
    "launch-action-on-a-link": (page_launch_action, "active"),
    "page-additional-action": (page_additional_action, "active"),
    "xfa-form": (xfa_form, "active"),
}
MESSAGES = {
    "unreadable": "“%(name)s” is not a readable PDF file.",
    "encrypted": "“%(name)s” is password-protected. Upload it without a password.",
    "active": "“%(name)s” contains scripts or actions. Upload a plain PDF, for example by "
    "printing it to a new PDF file.",
}


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        return gettext(message) % params


# --------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "problem"), BAD.values(), ids=BAD.keys())
def test_a_bad_pdf_is_refused_with_its_reason(make, problem):
    data = make()
    assert data.startswith(b"%PDF-")  # each passes the old magic-bytes check
    assert pdf_problem(data) == problem
    with translation.override("zh-hans"), pytest.raises(Exception) as exc:
        check_upload(SimpleUploadedFile("营业执照.pdf", data))
    assert exc.value.messages == [zh(MESSAGES[problem], name="营业执照.pdf")]
    assert exc.value.code == f"pdf_{problem}"


@pytest.mark.parametrize("pages", [1, 3])
def test_a_plain_pdf_passes(pages):
    data = pdf_bytes(pages)
    assert pdf_problem(data) is None
    checked = check_upload(SimpleUploadedFile("licence.pdf", data))
    assert checked.content_type == "application/pdf" and checked.size == len(data)


def test_a_real_document_with_text_and_links_passes(tmp_path):
    """A reportlab document with text, a font and a URI link (a harmless action)."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "doc.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Business licence")
    pdf.linkURL("https://example.com/", (72, 700, 200, 720))
    pdf.showPage()
    pdf.drawString(72, 720, "Page 2")
    pdf.save()
    assert pdf_problem(path.read_bytes()) is None


# --------------------------------------------------------------------------
# Every upload path refuses it and stores nothing
# --------------------------------------------------------------------------


def _evil(name: str = "evil.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, document_javascript(), content_type="application/pdf")


def test_registration_refuses_it(client):
    owner = sales_staff(name="王业务")
    response = client.post(
        "/register/",
        {
            "company_name": "上海测试科技有限公司",
            "business_owner": str(owner.pk),
            "files": [_evil("营业执照.pdf")],
            "contact_name": "张三",
            "email": "zhang@example.com",
            "phone": "13800001111",
            "address": "上海",
            "agree": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["files"] == [zh(MESSAGES["active"], name="营业执照.pdf")]
    assert RegistrationApplication.objects.count() == 0
    assert QualificationFile.objects.count() == 0
    assert stored_files() == set()


def test_consultation_ticket_refuses_it(client):
    response = client.post(
        "/tickets/new/",
        {
            "service_type": "presales",
            "support_category": "product",
            "subject": "咨询",
            "details": "请联系。",
            "name": "王小明",
            "email": "wang@example.com",
            "company_name": "示例公司",
            "attachment": _evil("附件.pdf"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["attachment"] == [
        zh(MESSAGES["active"], name="附件.pdf")
    ]
    assert ConsultationTicket.objects.count() == 0
    assert stored_files() == set()


def test_order_attachment_refuses_it(shop, order):  # noqa: F811
    with pytest.raises(FulfilmentError) as exc:
        attachment_add(order_id=order.pk, actor=shop.staff, title="SOW", upload=_evil())
    assert exc.value.message_dict == {"file": [gettext(MESSAGES["active"]) % {"name": "evil.pdf"}]}
    assert not OrderAttachment.objects.exists()


def test_invoice_pdf_refuses_it(shop, order):  # noqa: F811
    invoice = invoice_request_create(order_id=order.pk, user=shop.user, **invoice_fields())
    with pytest.raises(FulfilmentError) as exc:
        invoice_issue(request_id=invoice.pk, actor=shop.staff, invoice_number="No.1", pdf=_evil())
    assert "pdf" in exc.value.message_dict
    invoice = InvoiceRequest.objects.get(pk=invoice.pk)
    assert (invoice.invoice_pdf.name, invoice.invoice_number) == ("", "")


def test_statement_voucher_refuses_it(seller, statement, staff, statement_storage):  # noqa: F811
    statement_confirm(statement_id=statement.pk, actor=seller.admin)
    with pytest.raises(StatementError) as exc:
        statement_upload_voucher(
            statement_id=statement.pk,
            actor=staff,
            upload=_evil("凭证.pdf"),
            paid_on=timezone.localdate(),
            reference="REF-1",
        )
    assert "voucher" in exc.value.message_dict
    assert reload(statement).voucher.name == ""
    assert [p for p in statement_storage.rglob("*") if p.is_file()] == []
