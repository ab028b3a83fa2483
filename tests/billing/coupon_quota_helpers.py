"""A distributor with sub-resellers and a coupon quota, for the coupon-quota tests."""

from dataclasses import dataclass, field

from django.utils import timezone

from billing.models import CouponQuota
from billing.services.balances import balance_rows_create
from billing.services.coupon_quotas import coupon_quota_issue
from partners.models import Company, CompanyRole, CompanyType, Tier, User
from tests.billing.factories import CouponCampaignFactory
from tests.billing.helpers import make_partner_user
from tests.factories import UserFactory

_n = {"n": 0}


def make_distribution_company(
    *, parent: Company | None = None, distributor: bool = False
) -> Company:
    _n["n"] += 1
    company = Company.objects.create(
        name=f"{'Dist' if distributor else 'Sub'} {_n['n']}-{timezone.now().timestamp()}",
        company_type=CompanyType.DISTRIBUTOR if distributor else CompanyType.RESELLER,
        parent=parent,
        tier=Tier.objects.get(code="registered"),
    )
    balance_rows_create(company=company)
    return company


@dataclass
class Distribution:
    subs: int = 2
    quantity: int = 5
    campaign_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.staff = UserFactory(is_staff=True, is_superuser=True)
        self.distributor = make_distribution_company(distributor=True)
        self.admin = make_partner_user(self.distributor)
        self.co_admin = make_partner_user(self.distributor, role=CompanyRole.CO_ADMIN)
        self.resellers = [
            make_distribution_company(parent=self.distributor) for _ in range(self.subs)
        ]
        self.reseller_admins = [make_partner_user(r) for r in self.resellers]
        self.campaign = CouponCampaignFactory(
            face_value="100.00",
            threshold_amount="0",
            quantity=100,
            created_by=self.staff,
            **self.campaign_kwargs,
        )
        self.quota = coupon_quota_issue(
            campaign_id=self.campaign.pk,
            distributor_id=self.distributor.pk,
            quantity=self.quantity,
            actor=self.staff,
        )

    def refresh(self) -> CouponQuota:
        self.quota.refresh_from_db()
        return self.quota

    @property
    def reseller(self) -> Company:
        return self.resellers[0]

    def user(self, company: Company) -> User:
        return User.objects.get(company=company, company_role=CompanyRole.ADMIN)
