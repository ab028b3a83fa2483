"""Companies and their users: invitations, roles, sub-resellers, status and terms."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue, route_url

from ..hooks import company_created
from ..models import (
    ApplicationStatus,
    Company,
    CompanyRole,
    CompanyType,
    RegistrationApplication,
    Tier,
    User,
)
from ..tokens import Purpose, token_make
from .base import PartnerError, company_name_taken, default_tier


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
    if company_name_taken(name):
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
    if company_name_taken(name):
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
