"""Service-level rules of the partners domain (the portal and console tests cover the screens)."""

import functools
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from billing.models import CreditAccount, Currency, RebateWallet
from partners import services
from partners.models import (
    ApplicationStatus,
    Company,
    CompanyRole,
    CompanyType,
    RegistrationApplication,
    Tier,
    User,
)
from partners.tokens import Purpose, TokenState, token_check, token_make
from tests.factories import TEST_PASSWORD, UserFactory, sales_staff
from tests.files import pdf_bytes
from tests.partners.factories import registration_of
from tests.threads import run_together

PDF = pdf_bytes()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def submit(name: str = "Acme", email: str = "boss@acme.example.com", owner: User | None = None):
    owner = sales_staff(owner) if owner else sales_staff()
    files = [SimpleUploadedFile("licence.pdf", PDF), SimpleUploadedFile("photo.png", png_bytes())]
    return registration_of(
        owner, company_name=name, email=email, contact_name="Boss", address="Shanghai", files=files
    )


def approved_company(
    name: str = "Acme", email: str = "boss@acme.example.com"
) -> tuple[Company, User]:
    reviewer = UserFactory(is_staff=True)
    company = services.registration_approve(
        application=submit(name, email, reviewer), reviewer=reviewer
    )
    admin = company.users.get()
    services.user_activate(user=admin, password=TEST_PASSWORD)
    return company, User.objects.get(pk=admin.pk)


def co_admin(company: Company, email: str) -> User:
    return User.objects.create_user(
        email=email,
        password=TEST_PASSWORD,
        company=company,
        company_role=CompanyRole.CO_ADMIN,
        activated_at=timezone.now(),
    )


@pytest.mark.django_db
class TestRegistration:
    def test_approve_creates_company_admin_and_balance_rows(
        self, django_capture_on_commit_callbacks, mailoutbox
    ):
        reviewer = UserFactory(is_staff=True)
        application = submit(owner=reviewer)
        with django_capture_on_commit_callbacks(execute=True):
            company = services.registration_approve(application=application, reviewer=reviewer)
        application.refresh_from_db()
        assert application.status == ApplicationStatus.APPROVED
        assert company.tier == Tier.objects.get(is_default=True)
        assert company.business_owner == reviewer
        admin = company.users.get()
        assert admin.company_role == CompanyRole.ADMIN
        assert not admin.is_activated
        assert not admin.has_usable_password()
        assert company.files.count() == 2
        assert set(
            RebateWallet.objects.filter(company=company).values_list("currency", flat=True)
        ) == set(Currency.values)
        assert CreditAccount.objects.filter(company=company).count() == len(Currency.values)
        assert [m.to for m in mailoutbox] == [["boss@acme.example.com"]]
        assert "/activate/" in mailoutbox[0].body

    def test_application_can_be_reviewed_only_once(self):
        reviewer = UserFactory(is_staff=True)
        application = submit(owner=reviewer)
        services.registration_approve(application=application, reviewer=reviewer)
        with pytest.raises(services.PartnerError):
            services.registration_reject(application=application, reviewer=reviewer, reason="late")
        with pytest.raises(services.PartnerError):
            services.registration_approve(application=application, reviewer=reviewer)
        assert Company.objects.count() == 1

    def test_reject_needs_a_reason_and_mails_it(
        self, django_capture_on_commit_callbacks, mailoutbox
    ):
        reviewer = UserFactory(is_staff=True)
        application = submit(owner=reviewer)
        with pytest.raises(services.PartnerError):
            services.registration_reject(application=application, reviewer=reviewer, reason="  ")
        application.refresh_from_db()
        assert application.status == ApplicationStatus.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            services.registration_reject(
                application=application, reviewer=reviewer, reason="执照已过期"
            )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.REJECTED
        assert "执照已过期" in mailoutbox[-1].body

    def test_duplicate_email_or_company_name_stores_nothing_and_raises_nothing(self):
        """No enumeration: a taken e-mail or company name is no error (the owner is mailed
        instead; tests/partners/test_registration_enumeration.py has the details)."""
        owner = sales_staff()
        first = submit(owner=owner)
        assert submit(name="ACME", email="other@acme.example.com", owner=owner) is None
        assert submit(name="Other", email="BOSS@acme.example.com", owner=owner) is None
        assert list(RegistrationApplication.objects.all()) == [first]


@pytest.mark.django_db
class TestTokens:
    def test_activation_token_is_single_use(self):
        company, _ = approved_company()
        user = co_admin(company, "new@acme.example.com")
        user.activated_at = None
        user.save()
        token = token_make(user, Purpose.ACTIVATION)
        assert token_check(token, Purpose.ACTIVATION).state == TokenState.VALID
        services.user_activate(user=user, password="An0ther-Secret!")
        assert token_check(token, Purpose.ACTIVATION).state == TokenState.USED

    def test_expired_and_tampered_tokens(self, settings):
        _, admin = approved_company()
        token = token_make(admin, Purpose.PASSWORD_RESET)
        assert token_check(token + "x", Purpose.PASSWORD_RESET).state == TokenState.INVALID
        assert token_check(token, Purpose.ACTIVATION).state == TokenState.INVALID  # wrong purpose
        settings.PASSWORD_RESET_TIMEOUT = -1
        assert token_check(token, Purpose.PASSWORD_RESET).state == TokenState.EXPIRED

    def test_reset_token_dies_with_the_password_change(self):
        _, admin = approved_company()
        token = token_make(admin, Purpose.PASSWORD_RESET)
        services.password_reset_complete(user=admin, password="Brand-New-Pass-9")
        assert token_check(token, Purpose.PASSWORD_RESET).state == TokenState.USED


@pytest.mark.django_db
class TestCompanyUsers:
    def test_first_invited_user_of_a_new_reseller_is_its_admin(self):
        company, admin = approved_company()
        company.company_type = CompanyType.DISTRIBUTOR
        company.save()
        admin.refresh_from_db()
        reseller = services.sub_reseller_create(actor=admin, name="Sub One", address="Hangzhou")
        first = services.company_user_invite(
            company=reseller, email="a@sub.example.com", invited_by=admin
        )
        second = services.company_user_invite(
            company=reseller, email="b@sub.example.com", invited_by=admin
        )
        assert (first.company_role, second.company_role) == (
            CompanyRole.ADMIN,
            CompanyRole.CO_ADMIN,
        )
        assert RebateWallet.objects.filter(company=reseller).exists()

    def test_co_admin_cannot_manage_users_and_outsiders_cannot_invite(self):
        company, _ = approved_company()
        helper = co_admin(company, "helper@acme.example.com")
        other_company, other_admin = approved_company("Other", "boss@other.example.com")
        with pytest.raises(services.PartnerError):
            services.company_user_invite(
                company=company, email="x@acme.example.com", invited_by=helper
            )
        with pytest.raises(services.PartnerError):
            services.company_user_invite(
                company=company, email="x@acme.example.com", invited_by=other_admin
            )
        assert not User.objects.filter(email="x@acme.example.com").exists()

    def test_admin_cannot_disable_or_delete_themselves(self):
        company, admin = approved_company()
        with pytest.raises(services.PartnerError):
            services.company_users_set_active(
                actor=admin, company=company, user_ids=[admin.pk], active=False
            )
        with pytest.raises(services.PartnerError):
            services.company_user_delete(actor=admin, user=admin)
        admin.refresh_from_db()
        assert admin.is_active and admin.deleted_at is None

    def test_delete_is_soft_and_blocks_login(self):
        company, admin = approved_company()
        helper = co_admin(company, "helper@acme.example.com")
        services.company_user_delete(actor=admin, user=helper)
        helper.refresh_from_db()
        assert helper.deleted_at is not None and not helper.is_active
        assert User.objects.filter(pk=helper.pk).exists()

    def test_transfer_leaves_exactly_one_admin(self):
        company, admin = approved_company()
        helper = co_admin(company, "helper@acme.example.com")
        services.company_admin_transfer(actor=admin, target=helper)
        roles = dict(company.users.values_list("email", "company_role"))
        assert roles == {
            "boss@acme.example.com": CompanyRole.CO_ADMIN,
            "helper@acme.example.com": CompanyRole.ADMIN,
        }
        admin.refresh_from_db()
        with pytest.raises(services.PartnerError):  # the former admin no longer can
            services.company_admin_transfer(actor=admin, target=helper)

    def test_transfer_to_unactivated_or_foreign_user_is_refused(self):
        company, admin = approved_company()
        pending = co_admin(company, "pending@acme.example.com")
        pending.activated_at = None
        pending.save()
        _, foreign = approved_company("Other", "boss@other.example.com")
        for target in (pending, foreign, admin):
            with pytest.raises(services.PartnerError):
                services.company_admin_transfer(actor=admin, target=target)
        assert company.users.filter(company_role=CompanyRole.ADMIN).get() == admin


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_admin_transfers_leave_exactly_one_admin():
    """Two transfers started at the same moment by the same 管理员 to different users."""
    company, admin = approved_company()
    targets = [co_admin(company, f"t{i}@acme.example.com") for i in range(2)]
    outcomes: list[str] = []

    def transfer(target: User) -> None:
        try:
            services.company_admin_transfer(actor=admin, target=target)
            outcomes.append("ok")
        except services.PartnerError:
            outcomes.append("refused")

    run_together(
        *(functools.partial(transfer, t) for t in targets), start_timeout=10, join_timeout=30
    )
    assert connection.vendor == "postgresql"
    assert sorted(outcomes) == ["ok", "refused"]
    assert company.users.filter(company_role=CompanyRole.ADMIN).count() == 1
