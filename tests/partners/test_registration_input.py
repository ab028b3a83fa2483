"""The registration page (云睐经销商申请表): the happy path and every kind of bad input.

Bad input must come back as a clear form error and store nothing: no application,
no file row, no file on disk.
"""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import EmailValidator, MaxLengthValidator
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape
from PIL import Image

from backoffice.core.storage import private_storage
from backoffice.portal.views.auth import register
from partners.models import (
    ApplicationStatus,
    QualificationFile,
    RegistrationApplication,
    User,
    phone_validator,
)
from partners.uploads import ACCEPT_ATTRIBUTE, ALLOWED_EXTENSIONS, MAX_FILE_SIZE, MAX_FILES
from tests.factories import UserFactory
from tests.files import pdf_bytes
from tests.pages import zh

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path, monkeypatch) -> Path:
    """A MEDIA_ROOT of the test's own, so other test runs' files never mix with ours."""
    settings.MEDIA_ROOT = tmp_path / "media"
    storage = private_storage()  # reads MEDIA_ROOT now: <tmp>/media/private
    monkeypatch.setattr(QualificationFile._meta.get_field("file"), "storage", storage)
    return Path(storage.location)


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT) / "private"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def form_data(owner, **overrides) -> dict:
    data = {
        "company_name": "上海测试科技有限公司",
        "business_owner": str(owner.pk),
        "files": [
            SimpleUploadedFile("营业执照.pdf", PDF, content_type="application/pdf"),
            SimpleUploadedFile("税务登记证.png", png_bytes(), content_type="image/png"),
        ],
        "contact_name": "张三",
        "email": "zhang.san@example.com",
        "phone": "13800001111",
        "position": "采购经理",
        "address": "上海市宝山区纪蕴路588号",
        "agree": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_form_page_shows_the_application_form(client, owner):
    response = client.get(reverse("portal:register"))
    assert response.status_code == 200
    body = response.content.decode()
    for label in ("云睐经销商申请表", "公司名称", "业务负责人", "上传公司资质证明", "联系人姓名"):
        assert label in body
    for label in ("邮箱", "电话", "职位", "地址", "下一步", "提交注册"):
        assert label in body
    assert 'enctype="multipart/form-data"' in body
    assert "multiple" in body and f'accept="{ACCEPT_ATTRIBUTE}"' in body
    assert "csrfmiddlewaretoken" in body
    # The business-owner dropdown lists the 销售 staff only, by name (never an e-mail);
    # tests/partners/test_registration_enumeration.py checks who else stays out.
    assert "王业务" in body
    assert owner.email not in body
    UserFactory(is_staff=False, name="外部用户")
    assert "外部用户" not in client.get(reverse("portal:register")).content.decode()


def test_registration_happy_path(client, owner, mailoutbox, django_capture_on_commit_callbacks):
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:register"), form_data(owner))

    assert response.status_code == 302
    assert response.url == reverse("portal:register_done")
    application = RegistrationApplication.objects.get()
    assert application.status == ApplicationStatus.PENDING
    assert application.email == "zhang.san@example.com"
    assert application.business_owner == owner
    assert application.position == "采购经理"
    files = list(application.files.order_by("original_name"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("税务登记证.png", "image/png"),
        ("营业执照.pdf", "application/pdf"),
    ]
    assert len(stored_files() - before) == 2
    # Nobody can log in yet: no user exists for the applicant.
    assert not User.objects.filter(email__iexact="zhang.san@example.com").exists()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["zhang.san@example.com"]
    assert "上海测试科技有限公司" in mailoutbox[0].subject + mailoutbox[0].body

    done = client.get(response.url)
    body = done.content.decode()
    assert "注册完成" in body
    assert "待审核" in body
    assert "zhang.san@example.com" in body
    # The e-mail is shown once; a reload does not reveal it again.
    assert "zhang.san@example.com" not in client.get(response.url).content.decode()


def test_done_page_says_pending_and_no_login(client):
    body = client.get(reverse("portal:register_done")).content.decode()
    assert "注册完成" in body
    assert zh("Pending review") in body
    assert (
        zh(
            "Nobody can log in with this application yet. When it is approved you will receive an "
            "activation e-mail: open its link to set your password, then log in. If it is rejected, "
            "the e-mail gives the reason."
        )
        in body
    )


def big_pdf() -> bytes:
    return PDF + b"0" * (MAX_FILE_SIZE + 1 - len(PDF))


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)

BAD_FILES = {
    "exe-as-pdf": (
        [("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200)],
        (
            "The content of “%(name)s” is not a real %(ext)s file.",
            {"name": "setup.pdf", "ext": "PDF"},
        ),
    ),
    "elf-as-pdf": (
        [("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200)],
        (
            "The content of “%(name)s” is not a real %(ext)s file.",
            {"name": "tool.pdf", "ext": "PDF"},
        ),
    ),
    "html-as-jpg": (
        [("photo.jpg", b"<html><body><script>alert(1)</script></body></html>")],
        (
            "The content of “%(name)s” is not a real %(ext)s file.",
            {"name": "photo.jpg", "ext": "JPG"},
        ),
    ),
    "svg": (
        [("logo.svg", SVG)],
        (
            "“%(name)s” is not an allowed type. Allowed: %(types)s.",
            {"name": "logo.svg", "types": ", ".join(ALLOWED_EXTENSIONS)},
        ),
    ),
    "svg-as-png": (
        [("logo.png", SVG)],
        (
            "The content of “%(name)s” is not a real %(ext)s file.",
            {"name": "logo.png", "ext": "PNG"},
        ),
    ),
    "empty": (
        [("empty.pdf", b"")],
        ("The file “%(name)s” is empty.", {"name": "empty.pdf"}),
    ),
    "over-10-mb": (
        [("huge.pdf", None)],
        ("The file “%(name)s” is larger than 10 MB.", {"name": "huge.pdf"}),
    ),
    "six-files": (
        [(f"licence{i}.pdf", PDF) for i in range(MAX_FILES + 1)],
        ("Upload at most %(max)d files.", {"max": MAX_FILES}),
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_files_are_rejected_and_nothing_is_stored(client, owner, case):
    specs, (msgid, params) = BAD_FILES[case]
    uploads = [
        SimpleUploadedFile(name, big_pdf() if content is None else content)
        for name, content in specs
    ]
    before = stored_files()

    response = client.post(reverse("portal:register"), form_data(owner, files=uploads))

    assert response.status_code == 200
    expected = zh(msgid, **params)
    assert expected in response.context["form"].errors["files"]
    assert escape(expected) in response.content.decode()
    assert RegistrationApplication.objects.count() == 0
    assert QualificationFile.objects.count() == 0
    assert stored_files() == before


def test_no_file_at_all_is_a_form_error(client, owner):
    response = client.post(reverse("portal:register"), form_data(owner, files=None))
    assert response.status_code == 200
    assert response.context["form"].errors["files"] == [
        zh("Upload at least one qualification document.")
    ]
    assert RegistrationApplication.objects.count() == 0


def _view_request(data: dict, files: list) -> object:
    """A POST built by hand, so the file name reaches the view unsanitised by the parser."""
    request = RequestFactory().post(reverse("portal:register"))
    request._post = data
    request._files = MultiValueDict({"files": files})
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize(
    "name", ["..\\evil.pdf", "..\\..\\windows\\evil.pdf", "evil\x00.pdf", "..evil.pdf"]
)
def test_path_in_file_name_is_rejected(owner, name):
    """Names that reach the service with a path or control characters are refused.

    (A "/" never gets this far: Django's UploadedFile keeps only the base name,
    see the multipart test below.)
    """
    data = form_data(owner)
    del data["files"]
    post = QueryDict(mutable=True)
    post.update(data)
    before = stored_files()
    with translation.override("zh-hans"):
        response = register(_view_request(post, [SimpleUploadedFile(name, PDF)]))

    assert response.status_code == 200
    expected = zh("The file name “%(name)s” is not allowed.", name=name)
    assert escape(expected) in response.content.decode()
    assert RegistrationApplication.objects.count() == 0
    assert QualificationFile.objects.count() == 0
    assert stored_files() == before


def test_path_in_multipart_file_name_is_stripped_before_it_reaches_storage(
    client, owner, private_root
):
    """Django's parser drops directories from a posted file name; nothing lands outside the store."""
    boundary = "BoUnDaRy"
    data = form_data(owner)
    del data["files"]
    parts = []
    for key, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="../evil.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + PDF
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    response = client.generic(
        "POST",
        reverse("portal:register"),
        b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 302
    stored = QualificationFile.objects.get()
    assert stored.original_name == "evil.pdf"
    path = Path(stored.file.path).resolve()
    assert private_root.resolve() in path.parents
    assert ".." not in stored.file.name


def _max_length_message(limit: int, actual: int) -> str:
    with translation.override("zh-hans"):
        validator = MaxLengthValidator(limit)
        return validator.message % {"limit_value": limit, "show_value": actual}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", lambda: zh(str(EmailValidator.message))),
        ("email", "zhang@", lambda: zh(str(EmailValidator.message))),
        ("phone", "call me", lambda: zh(str(phone_validator.message))),
        ("phone", "12", lambda: zh(str(phone_validator.message))),
        ("company_name", "公" * 101, lambda: _max_length_message(100, 101)),
        ("address", "路" * 201, lambda: _max_length_message(200, 201)),
        ("contact_name", "名" * 51, lambda: _max_length_message(50, 51)),
        ("position", "职" * 51, lambda: _max_length_message(50, 51)),
        ("agree", None, lambda: zh("Read and accept the agreement to continue.")),
        ("business_owner", "", lambda: zh("This field is required.")),
    ],
    ids=[
        "email-no-at",
        "email-no-domain",
        "phone-letters",
        "phone-too-short",
        "company-101",
        "address-201",
        "contact-51",
        "position-51",
        "no-agreement",
        "no-business-owner",
    ],
)
def test_bad_field_is_a_form_error_and_nothing_is_stored(client, owner, field, value, message):
    before = stored_files()
    response = client.post(reverse("portal:register"), form_data(owner, **{field: value}))
    assert response.status_code == 200
    assert message() in response.context["form"].errors[field]
    assert RegistrationApplication.objects.count() == 0
    assert QualificationFile.objects.count() == 0
    assert stored_files() == before


def test_non_staff_business_owner_is_not_a_choice(client, owner):
    partner = UserFactory(is_staff=False)
    response = client.post(reverse("portal:register"), form_data(owner, business_owner=partner.pk))
    assert response.status_code == 200
    assert "business_owner" in response.context["form"].errors
    assert RegistrationApplication.objects.count() == 0


def test_a_form_with_errors_shows_both_steps_and_asks_for_the_files_again(client, owner):
    fresh = client.get(reverse("portal:register")).content.decode()
    assert 'data-start-step="1"' in fresh and "data-reselect-files" not in fresh
    for bad in ({"company_name": ""}, {"phone": "x"}):
        body = client.post(reverse("portal:register"), form_data(owner, **bad)).content.decode()
        assert 'data-start-step="all"' in body
        assert "data-reselect-files" in body
