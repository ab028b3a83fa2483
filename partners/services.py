"""State-changing functions of the partners domain."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue, route_url

from .hooks import company_created
from .models import (
    ApplicationStatus,
    Company,
    CompanyRole,
    CompanyType,
    EndCustomer,
    QualificationFile,
    RegistrationApplication,
    Tier,
    User,
)
from .selectors import business_owner_choices, company_mail_recipients
from .staff_roles import LEGACY_GROUP_NAMES, ROLE_GROUP_NAMES, StaffRole, role_allows_perm
from .tokens import Purpose, token_make
from .uploads import CheckedFile, check_uploads


@transaction.atomic
def staff_roles_sync() -> dict[str, Group]:
    """Create or update one auth group per staff role from the matrix. Idempotent.

    Reads ``partners.staff_roles``: a legacy group name is renamed, a permission the
    matrix no longer grants is removed. Permissions of models not migrated yet are
    simply absent; the post-migrate hook runs this again once they exist.
    """
    perms_by_key = {
        (p.content_type.app_label, p.codename): p.pk
        for p in Permission.objects.select_related("content_type")
    }
    groups: dict[str, Group] = {}
    for role in StaffRole:
        name = ROLE_GROUP_NAMES[role]
        legacy = LEGACY_GROUP_NAMES.get(role)
        if legacy and not Group.objects.filter(name=name).exists():
            Group.objects.filter(name=legacy).update(name=name)
        group, _ = Group.objects.get_or_create(name=name)
        wanted = {
            pk
            for (app_label, codename), pk in perms_by_key.items()
            if role_allows_perm(role, f"{app_label}.{codename}")
        }
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
        groups[role] = group
    return groups


@transaction.atomic
def staff_user_upsert(
    *,
    email: str,
    name: str,
    role: StaffRole | None,
    password: str | None = None,
    superuser: bool = False,
) -> tuple[User, bool]:
    """Create a staff user (or leave an existing one alone) and put it in its role group.

    Returns ``(user, created)``. An existing user's password is never reset.
    """
    email = User.objects.normalize_email(email)
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        factory = User.objects.create_superuser if superuser else User.objects.create_user
        user = factory(email=email, password=password, name=name, is_staff=True)
    if role is not None:
        group = staff_roles_sync()[role]
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
    return user, created


# --------------------------------------------------------------------------
# Registration and review
# --------------------------------------------------------------------------


class PartnerError(ValidationError):
    """A domain rule refused the change; the message is shown to the user as is."""


def _company_name_taken(name: str) -> bool:
    return (
        Company.objects.filter(name__iexact=name).exists()
        or RegistrationApplication.objects.filter(
            company_name__iexact=name, status=ApplicationStatus.PENDING
        ).exists()
    )


def default_tier() -> Tier:
    tier = Tier.objects.filter(is_default=True).first() or Tier.objects.order_by("rank").first()
    if tier is None:
        raise PartnerError(_("No membership tier is configured yet."), code="no_tier")
    return tier


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
        original_name=item.name,
        extension=item.extension,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
    )
    item.upload.seek(0)
    record.file.save(item.name, item.upload, save=False)
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


# --------------------------------------------------------------------------
# Activation, password reset
# --------------------------------------------------------------------------


def activation_mail_enqueue(*, user: User, template: str = "partners/mail/activation") -> None:
    token = token_make(user, Purpose.ACTIVATION)
    mail_enqueue(
        to=user.email,
        template=template,
        context={
            "name": user.name or user.email,
            "company_name": user.company.name if user.company_id else "",
            "link": route_url("portal:activate", token),
            "valid_days": max(1, settings.ACTIVATION_LINK_MAX_AGE // 86400),
        },
    )


def activation_resend(*, email: str) -> None:
    """Send a fresh activation link if the account exists and is not activated. Silent otherwise."""
    user = User.objects.filter(
        email__iexact=User.objects.normalize_email(email),
        activated_at__isnull=True,
        deleted_at__isnull=True,
    ).first()
    if user is not None and user.is_partner:
        activation_mail_enqueue(user=user)


@transaction.atomic
def user_activate(
    *, user: User, password: str, name: str | None = None, phone: str | None = None
) -> User:
    """Set the first password from the activation link. Django's password validators apply."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_activated:
        raise PartnerError(
            _("This account is already activated. Log in instead."), code="already_activated"
        )
    if name is not None:
        user.name = name.strip()
    if phone is not None:
        user.phone = phone.strip()
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.activated_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["password", "activated_at", "name", "phone"])
    return user


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to an activated, enabled account. Silent otherwise (no account probing)."""
    user = User.objects.filter(
        email__iexact=User.objects.normalize_email(email),
        is_active=True,
        activated_at__isnull=False,
        deleted_at__isnull=True,
    ).first()
    if user is None:
        return
    token = token_make(user, Purpose.PASSWORD_RESET)
    mail_enqueue(
        to=user.email,
        template="partners/mail/password_reset",
        context={
            "name": user.name or user.email,
            "link": route_url("portal:password_reset_confirm", token),
            "valid_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        },
    )


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


# --------------------------------------------------------------------------
# Companies and their users
# --------------------------------------------------------------------------


def can_manage_company_users(actor: User, company: Company) -> bool:
    """The company's 管理员, or the 管理员 of its parent distributor."""
    return (
        actor.is_company_admin
        and company.pk is not None
        and actor.company_id in (company.pk, company.parent_id)
    )


def _require_admin(actor: User, company: Company) -> None:
    if not (actor.company_id == company.pk and actor.is_company_admin):
        raise PartnerError(_("Only the company's administrator can do this."), code="not_admin")


def _email_available_for_invite(email: str) -> str:
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise PartnerError(
            {"email": [_("A user with this e-mail already exists.")]}, code="email_taken"
        )
    if RegistrationApplication.objects.filter(
        email__iexact=email, status=ApplicationStatus.PENDING
    ).exists():
        raise PartnerError(
            {"email": [_("This e-mail has a registration under review.")]}, code="email_pending"
        )
    return email


@transaction.atomic
def company_user_invite(*, company: Company, email: str, invited_by: User) -> User:
    """Invite a user by e-mail. The company's first user becomes its 管理员, later ones 协同管理员."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    if not can_manage_company_users(invited_by, company):
        raise PartnerError(_("Only the company's administrator can do this."), code="not_admin")
    email = _email_available_for_invite(email)
    has_admin = company.users.filter(company_role=CompanyRole.ADMIN).exists()
    user = User.objects.create_user(
        email=email,
        password=None,
        company=company,
        company_role=CompanyRole.CO_ADMIN if has_admin else CompanyRole.ADMIN,
    )
    token = token_make(user, Purpose.ACTIVATION)
    mail_enqueue(
        to=email,
        template="partners/mail/invitation",
        context={
            "company_name": company.name,
            "inviter": invited_by.get_full_name(),
            "link": route_url("portal:activate", token),
            "valid_days": max(1, settings.ACTIVATION_LINK_MAX_AGE // 86400),
        },
    )
    return user


@transaction.atomic
def company_user_update(*, actor: User, user: User, name: str, phone: str) -> User:
    if not can_manage_company_users(actor, user.company):
        raise PartnerError(_("Only the company's administrator can do this."), code="not_admin")
    user.name = name.strip()
    user.phone = phone.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["name", "phone"])
    return user


def _guard_not_self_or_admin(actor: User, user: User, action: str) -> None:
    if user.pk == actor.pk:
        raise PartnerError(_("You cannot %(action)s yourself.") % {"action": action}, code="self")
    if user.is_company_admin:
        raise PartnerError(
            _("%(email)s is the administrator; transfer the role first.") % {"email": user.email},
            code="admin",
        )


@transaction.atomic
def company_users_set_active(
    *, actor: User, company: Company, user_ids: list[int], active: bool
) -> int:
    """Enable or disable users of ``company``. A disabled user's sessions stop at the next request."""
    if not can_manage_company_users(actor, company):
        raise PartnerError(_("Only the company's administrator can do this."), code="not_admin")
    users = list(company.users.select_for_update().filter(pk__in=user_ids, deleted_at__isnull=True))
    changed = 0
    for user in users:
        if not active and user.company_id == actor.company_id:
            _guard_not_self_or_admin(actor, user, str(_("disable")))
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
            changed += 1
    return changed


@transaction.atomic
def company_user_delete(*, actor: User, user: User) -> None:
    """Soft delete: the row stays so past orders keep their salesperson; the user cannot log in."""
    if not can_manage_company_users(actor, user.company):
        raise PartnerError(_("Only the company's administrator can do this."), code="not_admin")
    user = User.objects.select_for_update().get(pk=user.pk)
    _guard_not_self_or_admin(actor, user, str(_("delete")))
    user.is_active = False
    user.deleted_at = timezone.now()
    user.save(update_fields=["is_active", "deleted_at"])


@transaction.atomic
def company_admin_transfer(*, actor: User, target: User) -> None:
    """Make ``target`` the 管理员 and the actor a 协同管理员. Serialised by the company row lock."""
    company = Company.objects.select_for_update().get(pk=actor.company_id)
    actor = User.objects.select_for_update().get(pk=actor.pk)
    target = User.objects.select_for_update().get(pk=target.pk)
    _require_admin(actor, company)
    if target.company_id != company.pk or target.pk == actor.pk:
        raise PartnerError(_("Choose another user of your company."), code="bad_target")
    if not (target.is_active and target.is_activated and target.deleted_at is None):
        raise PartnerError(
            _("The new administrator must be an enabled, activated user."), code="target_inactive"
        )
    actor.company_role = CompanyRole.CO_ADMIN
    actor.save(update_fields=["company_role"])
    target.company_role = CompanyRole.ADMIN
    target.save(update_fields=["company_role"])


@transaction.atomic
def sub_reseller_create(*, actor: User, name: str, address: str) -> Company:
    """A distributor's 管理员 adds a reseller company under it (no platform review)."""
    distributor = Company.objects.select_for_update().get(pk=actor.company_id)
    _require_admin(actor, distributor)
    if not distributor.is_distributor:
        raise PartnerError(_("Only distributors manage resellers."), code="not_distributor")
    name = name.strip()
    if _company_name_taken(name):
        raise PartnerError(
            {"name": [_("A company with this name already exists.")]}, code="name_taken"
        )
    company = Company(
        name=name,
        company_type=CompanyType.RESELLER,
        parent=distributor,
        tier=default_tier(),
        business_owner=distributor.business_owner,
        customer_manager=distributor.customer_manager,
        address=address.strip(),
    )
    company.full_clean()
    company.save()
    company_created(company=company)
    return company


@transaction.atomic
def sub_reseller_update(*, actor: User, company: Company, name: str, address: str) -> Company:
    company = Company.objects.select_for_update().get(pk=company.pk)
    if not (actor.is_company_admin and company.parent_id == actor.company_id):
        raise PartnerError(
            _("Only the parent distributor's administrator can do this."), code="not_parent"
        )
    name = name.strip()
    if Company.objects.filter(name__iexact=name).exclude(pk=company.pk).exists():
        raise PartnerError(
            {"name": [_("A company with this name already exists.")]}, code="name_taken"
        )
    company.name = name
    company.address = address.strip()
    company.full_clean()
    company.save(update_fields=["name", "address", "updated_at"])
    return company


@transaction.atomic
def sub_resellers_set_status(*, actor: User, company_ids: list[int], status: str) -> int:
    if not actor.is_company_admin:
        raise PartnerError(_("Only the company's administrator can do this."), code="not_admin")
    companies = Company.objects.select_for_update().filter(
        parent_id=actor.company_id, pk__in=company_ids
    )
    changed = 0
    for company in companies:
        if company.status != status:
            company.status = status
            company.save(update_fields=["status", "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def company_set_status(*, company: Company, status: str, actor: User) -> Company:
    """Staff enable or disable a company; its users' sessions stop at their next request."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.status != status:
        company.status = status
        company.save(update_fields=["status", "updated_at"])
    return company


@transaction.atomic
def company_terms_set(
    *, company_id: int, tier: Tier, revenue_share_rate, actor: User, reason: str = ""
) -> Company:
    """A company's tier and revenue-share rate (empty: the tier's). Finance's decision:
    the console routes other roles' changes through a four-eyes approval first
    (``billing.services.approvals.company_terms_request``)."""
    company = Company.objects.select_for_update().get(pk=company_id)
    company.tier = tier
    company.revenue_share_rate = revenue_share_rate
    company._history_user = actor
    company._change_reason = (reason or "")[:100]
    company.full_clean(validate_unique=False, validate_constraints=False)
    company.save(update_fields=["tier", "revenue_share_rate", "updated_at"])
    return company


COMPANY_CREATE_FIELDS = (
    "name",
    "company_type",
    "parent",
    "tier",
    "business_owner",
    "customer_manager",
    "address",
    "revenue_share_rate",
)


@transaction.atomic
def company_create(*, actor: User, **fields) -> Company:
    """Staff add a company in the console; it is announced (``company_created``: billing
    opens its balance rows, one per currency)."""
    unknown = set(fields) - set(COMPANY_CREATE_FIELDS)
    if unknown:
        raise TypeError(f"company_create() got unexpected fields: {sorted(unknown)}")
    name = (fields.pop("name", "") or "").strip()
    if _company_name_taken(name):
        raise PartnerError(
            {"name": [_("A company with this name already exists.")]}, code="name_taken"
        )
    if fields.get("tier") is None:
        fields["tier"] = default_tier()
    fields["address"] = (fields.get("address") or "").strip()
    company = Company(name=name, **fields)
    company._history_user = actor  # simple-history: who created it, also outside a request
    company.full_clean()
    company.save()
    company_created(company=company)
    return company


# --------------------------------------------------------------------------
# End customers (我的客户)
# --------------------------------------------------------------------------

END_CUSTOMER_FIELDS = ("name", "email", "company_name", "phone", "address")


@transaction.atomic
def end_customer_create(*, company: Company, actor: User, **fields) -> EndCustomer:
    customer = EndCustomer(
        company=company, created_by=actor, **{k: fields.get(k, "") for k in END_CUSTOMER_FIELDS}
    )
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def end_customer_update(*, customer: EndCustomer, **fields) -> EndCustomer:
    for key in END_CUSTOMER_FIELDS:
        if key in fields:
            setattr(customer, key, fields[key])
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def end_customer_delete(*, customer: EndCustomer) -> None:
    """Refused once an order uses the customer (orders keep a PROTECTed reference)."""
    try:
        with transaction.atomic():
            customer.delete()
    except ProtectedError as exc:
        raise PartnerError(
            _("“%(name)s” is used by orders and cannot be deleted.") % {"name": customer.name},
            code="in_use",
        ) from exc
