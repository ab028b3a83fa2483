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
