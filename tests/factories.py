import factory

from partners.models import User

TEST_PASSWORD = "S3cure-test-pass!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    password = factory.django.Password(TEST_PASSWORD)


def sales_staff(user: User | None = None, **kwargs) -> User:
    """An active staff member of the 销售 role (``user`` joins it; else a new one is made):
    the ones the registration page offers as business owner
    (``partners.selectors.business_owner_choices``)."""
    from partners.services import staff_roles_sync
    from partners.staff_roles import StaffRole

    user = user or UserFactory(is_staff=True, **kwargs)
    user.groups.add(staff_roles_sync()[StaffRole.SALES])
    return user
