"""Factories for partner companies, their users, end customers and files.

- ``CompanyFactory``: a reseller at the seeded default tier (注册级, code "registered").
  Pass ``balances=True`` to create its billing balance rows (rebate wallet, credit account).
- ``DistributorFactory``: a distributor; sub-resellers are ``CompanyFactory(parent=distributor)``.
- ``PartnerUserFactory``: an activated, enabled company user, 协同管理员 by default.
- ``admin_of(company)``: the company's 管理员, created if it has none yet.
- ``registration_of(owner, ...)``: a registration application, through the service.
"""

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners import services
from partners.models import (
    Company,
    CompanyRole,
    CompanyStatus,
    CompanyType,
    EndCustomer,
    QualificationFile,
    RegistrationApplication,
    Tier,
    User,
)
from tests.factories import UserFactory
from tests.files import pdf_bytes


def registered_tier() -> Tier:
    return Tier.objects.get(code="registered")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试公司{n:04d}")
    company_type = CompanyType.RESELLER
    tier = factory.LazyFunction(registered_tier)
    status = CompanyStatus.ENABLED
    address = factory.Sequence(lambda n: f"上海市宝山区纪蕴路{n}号")

    @factory.post_generation
    def balances(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            from billing.services import balance_rows_create

            balance_rows_create(company=obj)


class DistributorFactory(CompanyFactory):
    name = factory.Sequence(lambda n: f"测试分销商{n:04d}")
    company_type = CompanyType.DISTRIBUTOR


class PartnerUserFactory(UserFactory):
    company = factory.SubFactory(CompanyFactory)
    company_role = CompanyRole.CO_ADMIN
    activated_at = factory.LazyFunction(timezone.now)
    email = factory.Sequence(lambda n: f"partner{n}@example.com")


def admin_of(company: Company, **kwargs) -> User:
    """The company's 管理员; created (activated, enabled) when the company has none."""
    existing = company.users.filter(company_role=CompanyRole.ADMIN).first()
    if existing is not None:
        return existing
    return PartnerUserFactory(company=company, company_role=CompanyRole.ADMIN, **kwargs)


class EndCustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EndCustomer

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"客户{n:04d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    company_name = factory.Sequence(lambda n: f"客户公司{n:04d}")
    phone = factory.Sequence(lambda n: f"1390000{n:04d}")
    address = "上海市浦东新区"


class QualificationFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationFile

    company = factory.SubFactory(CompanyFactory)
    file = factory.django.FileField(data=b"%PDF-1.4\n%test\n", filename="licence.pdf")
    original_name = factory.Sequence(lambda n: f"营业执照{n}.pdf")
    extension = "pdf"
    content_type = "application/pdf"
    size = 15
    sha256 = "0" * 64


def registration_of(
    owner: User,
    *,
    company_name: str,
    email: str,
    contact_name: str,
    address: str = "上海",
    phone: str = "13800001111",
    files: list[SimpleUploadedFile] | None = None,
) -> RegistrationApplication:
    """An application made through ``registration_submit``, with one licence PDF unless
    ``files`` are given."""
    return services.registration_submit(
        company_name=company_name,
        business_owner=owner,
        contact_name=contact_name,
        email=email,
        phone=phone,
        address=address,
        files=files or [SimpleUploadedFile("licence.pdf", pdf_bytes())],
    )
