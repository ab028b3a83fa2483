"""Factories for the catalog domain (categories, solutions, SKUs, reviews, banners, news).

``SolutionFactory`` builds an unpublished solution by default; use
``SolutionFactory(published=True)`` for a published one with a sub-category and an
active SKU, or ``PublishedSolutionFactory``.
"""

from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import (
    Banner,
    BannerPosition,
    Category,
    NewsItem,
    Region,
    Review,
    Sku,
    SkuKind,
    Solution,
)


class CategoryFactory(factory.django.DjangoModelFactory):
    """A top-level category; pass ``parent=`` (or use SubCategoryFactory) for a sub-category."""

    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"分类{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None
    position = 0
    is_active = True


class SubCategoryFactory(CategoryFactory):
    parent = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"子分类{n}")
    slug = factory.Sequence(lambda n: f"sub-category-{n}")


class SolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Solution
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Solution {n}")
    slug = factory.Sequence(lambda n: f"solution-{n}")
    summary = factory.Sequence(lambda n: f"Summary of solution {n}")
    provider = "Blue Cloud"
    is_published = False

    class Params:
        published = factory.Trait(
            is_published=True,
            published_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        """``categories=[...]`` sets them; a published solution gets a sub-category by default."""
        if not create:
            return
        if extracted is not None:
            self.categories.set(extracted)
        elif self.is_published:
            self.categories.add(SubCategoryFactory())

    @factory.post_generation
    def with_sku(self, create, extracted, **kwargs):
        """Published solutions get one active SKU unless ``with_sku=False``."""
        if not create:
            return
        if extracted or (extracted is None and self.is_published):
            SkuFactory(solution=self)


class PublishedSolutionFactory(SolutionFactory):
    published = True


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku
        django_get_or_create = ("code",)

    solution = factory.SubFactory(SolutionFactory)
    code = factory.Sequence(lambda n: f"B-BLU-TST-PRO-N-PLAN-{n:04d}")
    plan_name = factory.Sequence(lambda n: f"Plan {n}")
    region = Region.MAINLAND_CHINA
    currency = "CNY"
    unit_price = Decimal("100.00")
    tax_rate = Decimal("6.00")
    kind = SkuKind.PRODUCT
    parameters = factory.LazyFunction(list)
    is_active = True
    position = 0


class ReviewFactory(factory.django.DjangoModelFactory):
    """Inserts the row directly (the service checks completed orders; tests of it call it)."""

    class Meta:
        model = Review

    solution = factory.SubFactory(PublishedSolutionFactory)
    company = factory.SubFactory("tests.partners.factories.CompanyFactory")
    author = None
    order_number = factory.Sequence(lambda n: f"ORD{n:010d}")
    rating = 5
    text = "很好用"
    is_hidden = False


class BannerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Banner

    title = factory.Sequence(lambda n: f"Banner {n}")
    image = factory.django.ImageField(color="blue", width=1200, height=300)
    link_url = "/solutions/"
    position = BannerPosition.HOME_CAROUSEL
    order = factory.Sequence(lambda n: n)
    is_active = True


class NewsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NewsItem

    title = factory.Sequence(lambda n: f"新闻 {n}")
    slug = factory.Sequence(lambda n: f"news-{n}")
    summary = "摘要"
    body_html = "<p>正文</p>"
    is_published = True


def storefront_categories(
    *, managed: str = "managed", backup: str = "backup", migration: str = "migration"
) -> dict[str, Category]:
    """Two top categories with one child each, made in this order: 商务服务 (``business``)
    › 托管服务, and 备份与迁移 (position 50) › 迁移工具. Keyed by role; the children's and
    the second top category's slugs may be given."""
    business = CategoryFactory(name="商务服务", name_en="Business services", slug="business")
    child = CategoryFactory(name="托管服务", slug=managed, parent=business)
    second = CategoryFactory(name="备份与迁移", slug=backup, position=50)
    tools = CategoryFactory(name="迁移工具", slug=migration, parent=second)
    return {"business": business, "managed": child, "backup": second, "migration": tools}


def solution_with_skus(*, skus: list[dict], **fields) -> Solution:
    """A published solution (``fields`` as for ``SolutionFactory``) with exactly ``skus``,
    each a dict of ``SkuFactory`` fields, positioned in list order."""
    solution = SolutionFactory(published=True, with_sku=False, **fields)
    for position, sku in enumerate(skus):
        SkuFactory(solution=solution, position=position, **sku)
    return solution
