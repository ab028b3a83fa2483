"""Read queries of the partners domain. Portal callers always pass the signed-in user's company."""

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from backoffice.core.selectors import search_any

from .models import (
    ApiKey,
    ApplicationStatus,
    Benefit,
    Company,
    CompanyRole,
    EndCustomer,
    QualificationFile,
    RegistrationApplication,
    Tier,
    TierBenefit,
    User,
)
from .staff_roles import ROLE_GROUP_NAMES, StaffRole
from .tokens import API_KEY_PREFIX, api_key_hash


def user_counts() -> dict[str, int]:
    """Staff and partner user counts in one aggregate query."""
    return User.objects.aggregate(
        staff=Count("pk", filter=Q(is_staff=True, is_active=True)),
        partner_users=Count("pk", filter=Q(is_staff=False, is_active=True)),
        disabled=Count("pk", filter=Q(is_active=False)),
    )


def pending_applications() -> QuerySet[RegistrationApplication]:
    """待审核: registration applications waiting for review."""
    return RegistrationApplication.objects.filter(status=ApplicationStatus.PENDING)


def business_owner_choices() -> QuerySet[User]:
    """The Blue Cloud staff a registrant may pick as 业务负责人: active members of the 销售
    role, nobody else (the public registration page lists them by display name only)."""
    return User.objects.filter(
        is_staff=True,
        is_active=True,
        deleted_at__isnull=True,
        groups__name=ROLE_GROUP_NAMES[StaffRole.SALES],
    ).order_by("name", "pk")


def company_users(*, company: Company, search: str = "") -> QuerySet[User]:
    qs = User.objects.filter(company=company, deleted_at__isnull=True).order_by(
        "-date_joined", "-pk"
    )
    return search_any(qs, search, "name", "email", "phone")


def sub_resellers(*, distributor: Company, search: str = "") -> QuerySet[Company]:
    qs = Company.objects.filter(parent=distributor).order_by("-created_at", "-pk")
    return search_any(qs, search, "name")


def end_customers(*, company: Company, search: str = "") -> QuerySet[EndCustomer]:
    qs = EndCustomer.objects.filter(company=company).order_by("-created_at", "-pk")
    return search_any(qs, search, "name", "company_name", "email", "phone")


def visible_company_ids(*, user: User) -> list[int]:
    """The user's company, plus its sub-resellers for a distributor (read-only visibility, decision 6)."""
    if not user.is_authenticated or not user.company_id:
        return []
    ids = [user.company_id]
    if user.company.is_distributor:
        ids += list(Company.objects.filter(parent_id=user.company_id).values_list("pk", flat=True))
    return ids


def company_files(*, company: Company) -> QuerySet[QualificationFile]:
    return QualificationFile.objects.filter(company=company).order_by("pk")


def benefit_table() -> tuple[list[Tier], list[dict]]:
    """Tiers and rows for the 会员权益 table: each row has category, name and one value per tier."""
    tiers = list(Tier.objects.order_by("rank"))
    benefits = Benefit.objects.order_by("position", "pk").prefetch_related(
        Prefetch("cells", queryset=TierBenefit.objects.only("benefit_id", "tier_id", "value"))
    )
    rows = []
    for benefit in benefits:
        by_tier = {cell.tier_id: cell.value for cell in benefit.cells.all()}
        rows.append(
            {
                "category": benefit.category,
                "name": benefit.name,
                "values": [by_tier.get(t.pk, "") for t in tiers],
            }
        )
    return tiers, rows


def company_notice_users(
    *, company_id: int, include_co_admins: bool = False, also=None
) -> list[User]:
    """Who a partner mail or 消息中心 notice about ``company_id`` goes to, chosen by role
    (never by sort order).

    * The company's 管理员 (active, not deleted): the contact of record, even before the
      first sign-in.
    * With ``include_co_admins`` (mails every manager acts on: bills, orders), also the
      协同管理员 who can sign in (active, activated, not deleted).
    * A company without an active 管理员 gets the mail at its signed-in co-admins, so a
      money mail never goes to nobody.
    * ``also``: the user who submitted the thing decided (a repayment, an invoice
      request), if still an active user of the company; once, however chosen.

    管理员 first, then co-admins by e-mail, then ``also``. Mails answering one user's action
    (verification codes, password resets) go to that user and do not use this.
    """
    rows = _notice_candidates(company_ids=[company_id])
    users = _notice_pick(rows, include_co_admins=include_co_admins)
    if (
        also is not None
        and also.company_id == company_id
        and also.is_active
        and also.deleted_at is None
        and all(user.pk != also.pk for user in users)
    ):
        users.append(also)
    return users


def companies_notice_users(
    *, company_ids, include_co_admins: bool = False
) -> dict[int, list[User]]:
    """``company_notice_users`` (without ``also``) for many companies in one query: a
    run that tells every company at once (the month's statements) asks once."""
    by_company: dict[int, list[User]] = {company_id: [] for company_id in company_ids}
    for user in _notice_candidates(company_ids=list(by_company)):
        by_company[user.company_id].append(user)
    return {
        company_id: _notice_pick(rows, include_co_admins=include_co_admins)
        for company_id, rows in by_company.items()
    }


def _notice_candidates(*, company_ids: list[int]) -> list[User]:
    """The active 管理员 and signed-in 协同管理员 of ``company_ids``, by e-mail."""
    return list(
        User.objects.filter(company_id__in=company_ids, is_active=True, deleted_at__isnull=True)
        .filter(
            Q(company_role=CompanyRole.ADMIN)
            | Q(company_role=CompanyRole.CO_ADMIN, activated_at__isnull=False)
        )
        .order_by("email")
    )


def _notice_pick(rows: list[User], *, include_co_admins: bool) -> list[User]:
    admins = [user for user in rows if user.company_role == CompanyRole.ADMIN]
    co_admins = [user for user in rows if user.company_role == CompanyRole.CO_ADMIN]
    return admins + co_admins if include_co_admins or not admins else admins


def company_mail_recipients(*, company_id: int, include_co_admins: bool = False) -> list[str]:
    """The e-mail addresses of ``company_notice_users``."""
    return [
        user.email
        for user in company_notice_users(company_id=company_id, include_co_admins=include_co_admins)
    ]


def new_partners(days: int = 30, limit: int = 5, now=None, company_ids=None) -> dict:
    """Companies created in the last ``days`` days: the count and the latest ``limit``.

    ``company_ids`` (a queryset of pks, or None for all) restricts them (a 销售's own)."""
    from django.db.models import Count, F, Window

    from partners.models import Company

    since = (now or timezone.now()) - timedelta(days=days)
    companies = Company.objects.filter(created_at__gte=since)
    if company_ids is not None:
        companies = companies.filter(pk__in=company_ids)
    rows = list(
        companies.annotate(total=Window(Count("pk")))
        .order_by("-created_at", "-pk")
        .values("pk", "name", "created_at", total=F("total"))[:limit]
    )
    return {"count": rows[0]["total"] if rows else 0, "latest": rows}


def company_api_keys(*, company: Company) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(company=company).select_related("created_by")


def api_key_by_secret(raw: str) -> ApiKey | None:
    """The key whose secret is ``raw`` (active or not), with its company and creator."""
    if not raw or not raw.startswith(API_KEY_PREFIX) or len(raw) > 128:
        return None
    return (
        ApiKey.objects.select_related("company", "created_by", "created_by__company")
        .filter(hash=api_key_hash(raw))
        .first()
    )


def can_allocate(user) -> bool:
    """May ``user`` hand out and reclaim its distributor's credit and coupon quota
    (分配 / 回收)? The distributor's 管理员, or a 协同管理员 its 管理员 granted
    ``User.can_allocate`` (partners.services.grants)."""
    company = getattr(user, "company", None)
    return bool(
        getattr(user, "is_authenticated", False)
        and company is not None
        and company.is_distributor
        and company.is_enabled
        and user.is_active
        and (
            user.company_role == CompanyRole.ADMIN
            or (user.company_role == CompanyRole.CO_ADMIN and user.can_allocate)
        )
    )
