"""Registration (云睐经销商申请表) and its review by Blue Cloud staff."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue, route_url

from ..hooks import company_created
from ..models import (
    ApplicationStatus,
    Company,
    CompanyRole,
    CompanyType,
    QualificationFile,
    RegistrationApplication,
    Tier,
    User,
)
from ..selectors import business_owner_choices, company_mail_recipients
from ..uploads import CheckedFile, check_uploads
from .accounts import activation_mail_enqueue
from .base import PartnerError, default_tier


@transaction.atomic
def registration_submit(
    *,
    company_name: str,
    business_owner: User,
    contact_name: str,
    email: str,
    phone: str,
    address: str,
    position: str = "",
    files: list,
) -> RegistrationApplication | None:
    """Store a reseller application 待审核 with its checked files. Nobody can log in yet.

    The answer never tells whether the e-mail or the company is known (issue 14,
    "Enumeration"): the input is judged first, without looking at who exists; only a
    valid submission is then compared with the accounts and pending applications. A
    taken e-mail or company name stores nothing and returns ``None``; instead the
    existing owner is mailed (``_registration_duplicate_notify``). The caller shows the
    same page either way.
    """
    email = User.objects.normalize_email(email)
    company_name = company_name.strip()
    errors: dict[str, list[str]] = {}
    if not business_owner_choices().filter(pk=business_owner.pk).exists():
        errors["business_owner"] = [_("Choose a Blue Cloud business owner from the list.")]
    try:
        checked = check_uploads(list(files))
    except ValidationError as exc:
        errors["files"] = exc.messages
    if errors:
        raise PartnerError(errors)
    submitter = {"contact_name": contact_name.strip(), "email": email, "phone": phone.strip()}
    if _registration_duplicate_notify(company_name=company_name, **submitter):
        return None
    application = RegistrationApplication(
        company_name=company_name,
        business_owner=business_owner,
        contact_name=submitter["contact_name"],
        email=email,
        phone=submitter["phone"],
        position=position.strip(),
        address=address.strip(),
        agreed_at=timezone.now(),
    )
    # The pending-uniqueness constraints are left to the database: their messages would
    # tell a racing second submission that the e-mail or company is known.
    application.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:  # a concurrent submission with the same e-mail or name won
        _registration_duplicate_notify(company_name=company_name, **submitter)
        return None
    for item in checked:
        _qualification_file_store(item, application=application)
    mail_enqueue(
        to=email,
        template="partners/mail/registration_received",
        context={"contact_name": application.contact_name, "company_name": company_name},
    )
    return application


def _registration_duplicate_notify(
    *, company_name: str, contact_name: str, email: str, phone: str
) -> bool:
    """Mail the owner of a taken e-mail or company name; False when neither is taken.

    * E-mail of an account: its owner is told someone tried to register with it, with
      the links to log in, reset the password or get a new activation mail.
    * E-mail of a pending application: its applicant is told it is still under review.
    * Company name of a company (its 管理员, else its business owner) or of a pending
      application (its applicant): told who asked, so a real colleague can be invited.
      The submitter gets the same confirmation as any applicant, which says that an
      existing company's administrator can invite them: neither the page nor the
      mailbox tells whether the company is a customer.
    """
    user = User.objects.filter(email__iexact=email).first()
    pending = RegistrationApplication.objects.filter(
        email__iexact=email, status=ApplicationStatus.PENDING
    ).first()
    if user is not None or pending is not None:
        context = {"name": contact_name, "company_name": company_name, "has_account": False}
        if user is not None:
            context.update(
                name=user.name or contact_name,
                has_account=True,
                activated=user.is_activated,
                login_link=route_url("portal:login"),
                reset_link=route_url("portal:password_reset"),
                resend_link=route_url("portal:activation_resend"),
            )
        else:
            context["pending_company"] = pending.company_name
        to = user.email if user is not None else pending.email
        mail_enqueue(to=to, template="partners/mail/registration_attempt", context=context)
        return True

    owners = _company_owner_emails(company_name)
    if owners is None:
        return False
    context = {
        "company_name": company_name,
        "contact_name": contact_name,
        "contact_email": email,
        "contact_phone": phone,
        "has_account": owners.has_account,
        "users_link": route_url("portal:account_users"),
    }
    for to in owners.emails:
        mail_enqueue(to=to, template="partners/mail/registration_attempt_company", context=context)
    # The submitter gets the very mail a new applicant gets (it mentions both cases): a
    # mailbox must not learn who is a customer either.
    mail_enqueue(
        to=email,
        template="partners/mail/registration_received",
        context={"contact_name": contact_name, "company_name": company_name},
    )
    return True


@dataclass(frozen=True)
class _CompanyOwners:
    emails: list[str]
    has_account: bool  # a company exists (else a pending application holds the name)


def _company_owner_emails(company_name: str) -> _CompanyOwners | None:
    """Who answers for a taken company name, or None when the name is free."""
    company = (
        Company.objects.select_related("business_owner").filter(name__iexact=company_name).first()
    )
    if company is not None:
        admins = company_mail_recipients(company_id=company.pk)
        if not admins and company.business_owner is not None:
            admins = [company.business_owner.email]
        return _CompanyOwners(emails=admins, has_account=True)
    pending = (
        RegistrationApplication.objects.filter(
            company_name__iexact=company_name, status=ApplicationStatus.PENDING
        )
        .values_list("email", flat=True)
        .first()
    )
    if pending is not None:
        return _CompanyOwners(emails=[pending], has_account=False)
    return None


def _qualification_file_store(
    item: CheckedFile, *, application=None, company=None
) -> QualificationFile:
    record = QualificationFile(
        application=application,
        company=company,
        extension=item.extension,
        **item.record_fields(),
    )
    item.store(record.file)
    record.save()
    return record


def _lock_pending(application: RegistrationApplication) -> RegistrationApplication:
    locked = RegistrationApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.PENDING:
        raise PartnerError(
            _("Application “%(name)s” was already reviewed (%(status)s).")
            % {"name": locked.company_name, "status": locked.get_status_display()},
            code="already_reviewed",
        )
    return locked


@transaction.atomic
def registration_approve(
    *, application: RegistrationApplication, reviewer: User, tier: Tier | None = None
) -> Company:
    """Approve: company at the default tier, its 管理员 (not yet activated), activation mail;
    the company is announced (``company_created``: billing opens its balance rows)."""
    application = _lock_pending(application)
    if User.objects.filter(email__iexact=application.email).exists():
        raise PartnerError(
            _("A user with e-mail %(email)s already exists.") % {"email": application.email}
        )
    if Company.objects.filter(name__iexact=application.company_name).exists():
        raise PartnerError(
            _("A company named “%(name)s” already exists.") % {"name": application.company_name}
        )
    company = Company.objects.create(
        name=application.company_name,
        company_type=CompanyType.RESELLER,
        tier=tier or default_tier(),
        business_owner=application.business_owner,
        customer_manager=application.business_owner,
        address=application.address,
    )
    user = User.objects.create_user(
        email=application.email,
        password=None,
        name=application.contact_name,
        phone=application.phone,
        position=application.position,
        company=company,
        company_role=CompanyRole.ADMIN,
    )
    application.files.update(company=company)
    company_created(company=company)
    application.status = ApplicationStatus.APPROVED
    application.company = company
    application.reviewed_by = reviewer
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "company", "reviewed_by", "reviewed_at"])
    activation_mail_enqueue(user=user, template="partners/mail/registration_approved")
    return company


@transaction.atomic
def registration_reject(
    *, application: RegistrationApplication, reviewer: User, reason: str
) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise PartnerError(
            {"reason": [_("Give the reason for the rejection; it is sent to the applicant.")]}
        )
    application = _lock_pending(application)
    application.status = ApplicationStatus.REJECTED
    application.rejection_reason = reason[:500]
    application.reviewed_by = reviewer
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    mail_enqueue(
        to=application.email,
        template="partners/mail/registration_rejected",
        context={
            "contact_name": application.contact_name,
            "company_name": application.company_name,
            "reason": application.rejection_reason,
        },
    )
