"""Issue 14, finding 9 "Enumeration": the registration page never tells whether an e-mail
or a company is known, and it lists only the 销售 staff a registrant may pick.

A taken e-mail or company name gets exactly the page a new registration gets (same
redirect, same "registration complete" page); nothing is stored and the existing owner
is mailed instead. Password reset and the activation resend were already neutral
(tests/partners/test_portal_auth.py: ``test_password_reset_for_unknown_email_sends_
nothing_and_says_the_same``, ``test_resend_is_neutral``).
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from partners import services
from partners.models import (
    CompanyRole,
    QualificationFile,
    RegistrationApplication,
    User,
)
from partners.services import registration as registration_services
from partners.staff_roles import ROLE_GROUP_NAMES, StaffRole
from tests.factories import UserFactory, sales_staff
from tests.files import pdf_bytes
from tests.pages import zh
from tests.partners.factories import CompanyFactory, PartnerUserFactory, registration_of
from tests.partners.test_registration_input import form_data as registration_form
from tests.partners.test_registration_input import private_root, stored_files  # noqa: F401

pytestmark = pytest.mark.django_db

EMAIL = "zhang.san@example.com"


def form_data(owner, **overrides) -> dict:
    """The registration form of ``test_registration_input`` with one PDF (营业执照)."""
    files = [SimpleUploadedFile("营业执照.pdf", pdf_bytes(), "application/pdf")]
    return registration_form(owner, **{"files": files, **overrides})


_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
]


def normalized(html: str) -> str:
    for pattern, replacement in _VOLATILE:
        html = pattern.sub(replacement, html)
    return html


def register(client, captured, owner, **overrides) -> dict:
    """Post the form, follow the redirect: everything a visitor can see of the answer."""
    with captured(execute=True):
        response = client.post(reverse("portal:register"), form_data(owner, **overrides))
    seen = {"status": response.status_code, "location": response.get("Location")}
    if response.status_code == 302:
        done = client.get(response["Location"])
        seen["done_status"] = done.status_code
        seen["done"] = normalized(done.content.decode())
    else:
        seen["page"] = normalized(response.content.decode())
    return seen


def _pending(owner, *, email: str, company_name: str) -> RegistrationApplication:
    return registration_of(
        owner, company_name=company_name, email=email, contact_name="先来者", phone="13800002222"
    )


# What makes the second submission (e-mail EMAIL, company "重复公司") a duplicate.
def _account(owner):
    company = CompanyFactory(name="老客户公司")
    PartnerUserFactory(email=EMAIL, company=company, name="老用户")


def _account_not_activated(owner):
    company = CompanyFactory(name="老客户公司")
    PartnerUserFactory(email=EMAIL, company=company, name="老用户", activated_at=None)


def _staff_account(owner):
    UserFactory(email=EMAIL, is_staff=True, name="内部员工")


def _pending_email(owner):
    _pending(owner, email=EMAIL, company_name="先来公司")


def _company(owner):
    company = CompanyFactory(name="重复公司")
    PartnerUserFactory(
        email="admin@dup.example.com", company=company, company_role=CompanyRole.ADMIN
    )


def _company_without_users(owner):
    CompanyFactory(name="重复公司", business_owner=owner)


def _pending_company(owner):
    _pending(owner, email="first@dup.example.com", company_name="重复公司")


DUPLICATES = {
    "email-of-an-account": _account,
    "email-of-an-account-not-activated": _account_not_activated,
    "email-of-a-staff-member": _staff_account,
    "email-of-a-pending-application": _pending_email,
    "name-of-a-company": _company,
    "name-of-a-company-without-users": _company_without_users,
    "name-of-a-pending-application": _pending_company,
}


@pytest.mark.parametrize("make_duplicate", DUPLICATES.values(), ids=DUPLICATES.keys())
def test_a_taken_email_or_company_gets_the_page_of_a_new_registration(
    client, owner, django_capture_on_commit_callbacks, make_duplicate
):
    # The same visitor input once while nothing is taken ...
    new = register(client, django_capture_on_commit_callbacks, owner, company_name="重复公司")
    assert RegistrationApplication.objects.count() == 1
    RegistrationApplication.objects.all().delete()

    # ... and once while the e-mail or the company name is taken.
    make_duplicate(owner)
    applications = list(RegistrationApplication.objects.values_list("pk", flat=True))
    files, disk = QualificationFile.objects.count(), stored_files()
    taken = register(client, django_capture_on_commit_callbacks, owner, company_name="重复公司")

    assert taken == new
    assert new["status"] == 302 and new["done_status"] == 200
    assert zh("Registration complete") in new["done"] and EMAIL in new["done"]
    # Nothing was stored for the duplicate.
    assert list(RegistrationApplication.objects.values_list("pk", flat=True)) == applications
    assert QualificationFile.objects.count() == files
    assert stored_files() == disk


def _mails(mailoutbox) -> dict[str, list]:
    by_to: dict[str, list] = {}
    for message in mailoutbox:
        for to in message.to:
            by_to.setdefault(to, []).append(message)
    return by_to


@pytest.mark.parametrize(
    ("make_duplicate", "needle"),
    [
        (_account, "/login/"),
        (_staff_account, "/password-reset/"),
        (_account_not_activated, "/activate/resend/"),
        (_pending_email, "先来公司"),
    ],
    ids=["account", "staff", "not-activated", "pending"],
)
def test_a_taken_email_mails_its_owner_instead(
    client, owner, mailoutbox, django_capture_on_commit_callbacks, make_duplicate, needle
):
    make_duplicate(owner)
    mailoutbox.clear()
    register(client, django_capture_on_commit_callbacks, owner, company_name="另一家公司")

    assert list(_mails(mailoutbox)) == [EMAIL]
    [mail] = mailoutbox
    assert mail.subject == "云睐：" + zh("someone tried to register with your e-mail")
    assert "另一家公司" in mail.body and needle in mail.body
    assert zh("If it was not you, ignore this e-mail.") in mail.body


def test_the_account_mail_offers_login_and_password_reset(
    client, owner, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://portal.example.com"
    _account(owner)
    mailoutbox.clear()
    register(client, django_capture_on_commit_callbacks, owner, company_name="另一家公司")
    body = mailoutbox[0].body
    assert "https://portal.example.com/login/" in body
    assert "https://portal.example.com/password-reset/" in body
    assert "/activate/resend/" not in body  # activated: no activation to resend


@pytest.mark.parametrize(
    ("make_duplicate", "owners", "needle"),
    [
        (_company, ["admin@dup.example.com"], "/account/users/"),
        (_company_without_users, ["<owner>"], "/account/users/"),
        (_pending_company, ["first@dup.example.com"], "approved"),
    ],
    ids=["company-admin", "company-business-owner", "pending-applicant"],
)
def test_a_taken_company_name_mails_its_owner_and_the_submitter_learns_nothing(
    client, owner, mailoutbox, django_capture_on_commit_callbacks, make_duplicate, owners, needle
):
    make_duplicate(owner)
    mailoutbox.clear()
    register(client, django_capture_on_commit_callbacks, owner, company_name="重复公司")

    owners = [owner.email if to == "<owner>" else to for to in owners]
    mails = _mails(mailoutbox)
    assert sorted(mails) == sorted([*owners, EMAIL])
    for to in owners:
        [mail] = mails[to]
        assert mail.subject == "云睐：" + zh(
            "someone tried to register %(company_name)s", company_name="重复公司"
        )
        # Who asked, so a real colleague can be invited.
        assert "张三" in mail.body and EMAIL in mail.body and "13800001111" in mail.body
        if needle == "approved":
            assert (
                zh(
                    "Your company's application is under review, so no second one was created. "
                    "Once it is approved you can invite your colleagues from the portal."
                )
                in mail.body
            )
        else:
            assert needle in mail.body
    # The submitter's mail is the one every applicant gets: it reveals nothing.
    [notice] = mails[EMAIL]
    assert notice.subject == "云睐：" + zh(
        "we received your application for %(company_name)s",
        company_name="重复公司",
    )
    assert (
        zh(
            "If your company already has an AggreSmart account, its administrator has been "
            "told about your request and can invite you to it instead."
        )
        in notice.body
    )


def test_a_new_registration_still_sends_the_confirmation(
    client, owner, mailoutbox, django_capture_on_commit_callbacks
):
    register(client, django_capture_on_commit_callbacks, owner)
    [mail] = mailoutbox
    assert mail.to == [EMAIL]
    assert mail.subject == "云睐：" + zh(
        "we received your application for %(company_name)s",
        company_name="上海测试科技有限公司",
    )


def test_input_errors_do_not_depend_on_who_is_registered(
    client, owner, django_capture_on_commit_callbacks
):
    """Validation order: with a bad file the page is the same for a taken and a free e-mail."""

    def bad() -> dict:
        return {"files": [SimpleUploadedFile("营业执照.pdf", b"plain text, not a PDF")]}

    free = register(client, django_capture_on_commit_callbacks, owner, **bad())
    _account(owner)
    taken = register(client, django_capture_on_commit_callbacks, owner, **bad())
    assert free == taken
    assert free["status"] == 200
    assert RegistrationApplication.objects.count() == 0


def test_a_concurrent_duplicate_is_silent_too(owner, mailoutbox, monkeypatch):
    """Two identical submissions at once: the loser's INSERT fails on the pending-unique
    constraint; it answers like the winner and mails the owner (no "already under review")."""
    first = _pending(owner, email=EMAIL, company_name="并发公司")
    real_notify = registration_services._registration_duplicate_notify
    calls = []

    def notify_as_if_the_winner_had_not_committed_yet(**kwargs):
        calls.append(kwargs)
        return False if len(calls) == 1 else real_notify(**kwargs)

    monkeypatch.setattr(
        registration_services,
        "_registration_duplicate_notify",
        notify_as_if_the_winner_had_not_committed_yet,
    )
    result = _pending(owner, email=EMAIL, company_name="并发公司")

    assert result is None
    assert len(calls) == 2  # the IntegrityError was turned into the owner's mail
    assert list(RegistrationApplication.objects.all()) == [first]


def test_the_pending_unique_constraint_still_holds(owner):
    """The race test above relies on the database refusing a second pending row."""
    _pending(owner, email=EMAIL, company_name="并发公司")
    with pytest.raises(IntegrityError):
        RegistrationApplication.objects.create(
            company_name="别的公司",
            business_owner=owner,
            contact_name="x",
            email=EMAIL,
            phone="13800002222",
            address="上海",
        )


# --------------------------------------------------------------------------
# The business-owner list: 销售 staff only, by display name
# --------------------------------------------------------------------------


def _role_user(role: StaffRole, **kwargs) -> User:
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, **kwargs)
    services.staff_roles_sync()
    user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
    return user


def _options(client) -> list[tuple[str, str]]:
    body = client.get(reverse("portal:register")).content.decode()
    select = re.search(r'<select name="business_owner".*?</select>', body, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_only_active_sales_staff_are_offered_by_name(client):
    sales = sales_staff(name="王销售", email="wang.sales@example.com")
    nameless = sales_staff(name="", email="nameless.sales@example.com")
    _role_user(StaffRole.OPERATIONS, name="运营甲")
    _role_user(StaffRole.FINANCE, name="财务乙")
    _role_user(StaffRole.SUPERADMIN, name="超管丙")
    UserFactory(is_staff=True, is_superuser=True, name="根用户")
    UserFactory(is_staff=True, name="无角色员工")
    sales_staff(name="离职销售", is_active=False)
    PartnerUserFactory(name="经销商用户")

    options = _options(client)

    assert options == [
        ("", zh("Select")),
        (str(nameless.pk), zh("Blue Cloud sales %(number)d", number=nameless.pk)),
        (str(sales.pk), "王销售"),
    ]
    body = client.get(reverse("portal:register")).content.decode()
    assert "wang.sales" not in body and "nameless.sales" not in body  # no e-mail, not even a part


@pytest.mark.parametrize(
    "make_other",
    [
        lambda: _role_user(StaffRole.OPERATIONS, name="运营甲"),
        lambda: UserFactory(is_staff=True, is_superuser=True, name="根用户"),
        lambda: sales_staff(name="离职销售", is_active=False),
        lambda: PartnerUserFactory(name="经销商用户"),
    ],
    ids=["operations", "superuser", "inactive-sales", "partner"],
)
def test_another_user_id_is_a_form_error(client, owner, make_other):
    other = make_other()
    response = client.post(reverse("portal:register"), form_data(owner, business_owner=other.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["business_owner"] == [
        zh("Select a valid choice. That choice is not one of the available choices.")
    ]
    assert RegistrationApplication.objects.count() == 0


def test_the_service_refuses_a_business_owner_outside_the_sales_role(owner):
    operations = _role_user(StaffRole.OPERATIONS, name="运营甲")
    with pytest.raises(services.PartnerError) as exc:
        _pending(operations, email=EMAIL, company_name="某公司")
    assert exc.value.message_dict == {
        "business_owner": [zh("Choose a Blue Cloud business owner from the list.")]
    }
    assert RegistrationApplication.objects.count() == 0
