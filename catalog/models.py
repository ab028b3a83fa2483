"""Catalog: categories, solutions and their SKUs (purchase plans), storefront content and leads.

Rich-text tabs are sanitised on save by the services (``catalog.richtext``), so
templates may render them with ``|safe``. Solutions carry a denormalised
``search_document`` (name, summary, provider, SKU codes) that the search selector
matches with trigram indexes on PostgreSQL and a LIKE fallback on SQLite.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import in_range, not_negative
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import acting_user, optional_link, optional_user, required_link
from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES, Currency, currency_field
from backoffice.core.storage import dated_upload_name, file_extension, private_file
from partners.fields import company_fk


class Region(models.TextChoices):
    MAINLAND_CHINA = "cn", _("Mainland China")
    HONG_KONG = "hk", _("Hong Kong (China)")


class SkuKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service / deployment")


class Category(models.Model):
    """Two levels: top categories (商务服务, 云与应用, ...) and their sub-categories."""

    name = models.CharField(_("category name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    parent = optional_link(
        "self",
        _("parent category"),
        related_name="children",
        limit_choices_to={"parent__isnull": True},
    )
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("solution category")
        verbose_name_plural = _("solution categories")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="catalog_category_unique_name"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="catalog_category_not_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["parent", "position"], name="catalog_cat_parent_idx")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


def solution_fk(related_name: str, *, on_delete=models.PROTECT) -> models.ForeignKey:
    """The solution a row (image, resource, SKU, review) belongs to."""
    return required_link(
        "catalog.Solution", _("solution"), related_name=related_name, on_delete=on_delete
    )


def public_upload_to(folder: str):
    def upload_to(instance, filename: str) -> str:
        return dated_upload_name(f"catalog/{folder}", file_extension(filename, "png"))

    upload_to.__name__ = f"upload_to_{folder}"
    upload_to.__qualname__ = upload_to.__name__
    return upload_to


upload_logo = public_upload_to("logos")
upload_image = public_upload_to("images")
upload_banner = public_upload_to("banners")
upload_resource = public_upload_to("resources")

# Migrations refer to these callables by their ``__qualname__`` (upload_to_<folder>).
upload_to_logos = upload_logo
upload_to_images = upload_image
upload_to_banners = upload_banner
upload_to_resources = upload_resource


class Solution(models.Model):
    name = models.CharField(_("solution name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=False)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    provider = models.CharField(_("provider / brand"), max_length=100, blank=True)
    brand = optional_link(
        "catalog.Brand",
        _("brand"),
        related_name="solutions",
        on_delete=models.SET_NULL,
        help_text=_("Lists the solution in the brand zone under this brand."),
    )
    logo = models.ImageField(_("logo"), upload_to=upload_logo, blank=True, max_length=200)
    categories = models.ManyToManyField(
        Category,
        related_name="solutions",
        blank=True,
        limit_choices_to={"parent__isnull": False},
        verbose_name=_("sub-categories"),
    )
    details_html = models.TextField(_("solution details"), blank=True)
    cases_html = models.TextField(_("success cases"), blank=True)
    support_html = models.TextField(_("technical support"), blank=True)
    agreement_html = models.TextField(_("user agreement"), blank=True)
    trial_enabled = models.BooleanField(_("trial available"), default=False)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = optional_time(_("published at"))
    related = models.ManyToManyField(
        "self", symmetrical=False, blank=True, verbose_name=_("related solutions")
    )
    pinned_rank = models.PositiveSmallIntegerField(
        _("hot pin"),
        null=True,
        blank=True,
        help_text=_("Pinned hot solutions come first, lowest number first."),
    )
    paid_order_count = models.PositiveIntegerField(_("paid orders"), default=0, editable=False)
    rating_count = models.PositiveIntegerField(_("reviews"), default=0, editable=False)
    rating_avg = models.DecimalField(
        _("rating"), max_digits=3, decimal_places=2, default=Decimal("0"), editable=False
    )
    search_document = models.TextField(_("search text"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["search_document", "paid_order_count", "rating_count", "rating_avg"]
    )

    class Meta:
        verbose_name = _("solution")
        verbose_name_plural = _("solutions")
        ordering = ["name", "pk"]
        constraints = [
            in_range("catalog_solution_rating_range", "rating_avg", 0, 5),
        ]
        indexes = [
            models.Index(fields=["is_published", "name"], name="catalog_sol_pub_name_idx"),
            models.Index(fields=["is_published", "pinned_rank"], name="catalog_sol_pub_pin_idx"),
            models.Index(
                fields=["is_published", "-paid_order_count", "-rating_avg"],
                name="catalog_sol_pub_hot_idx",
            ),
            models.Index(fields=["-updated_at"], name="catalog_sol_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class SolutionImage(models.Model):
    solution = solution_fk("images", on_delete=models.CASCADE)
    image = models.ImageField(_("image"), upload_to=upload_image, max_length=200)
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("solution image")
        verbose_name_plural = _("solution images")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class ResourceKind(models.TextChoices):
    FILE = "file", _("File")
    LINK = "link", _("Link")


class SolutionResource(models.Model):
    """资源 tab: downloadable files (datasheets, whitepapers) and links (videos, docs)."""

    solution = solution_fk("resources", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ResourceKind.choices, default=ResourceKind.LINK
    )
    file = models.FileField(_("file"), upload_to=upload_resource, blank=True, max_length=200)
    url = models.URLField(_("link"), blank=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="file") & ~models.Q(file=""))
                | (models.Q(kind="link") & ~models.Q(url="")),
                name="catalog_resource_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Sku(models.Model):
    """A purchase plan (购买计划) of a solution: price per region and currency.

    ``parameters`` defines what the buyer must fill in at checkout (添加参数), as a
    list of ``{"key", "label", "required", "max_length"}`` objects.
    """

    solution = solution_fk("skus")
    code = models.CharField(_("SKU"), max_length=40, unique=True)
    plan_name = models.CharField(_("plan"), max_length=100)
    region = models.CharField(
        _("region"), max_length=10, choices=Region.choices, default=Region.MAINLAND_CHINA
    )
    currency = currency_field(default=Currency.CNY)
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        validators=[MinValueValidator(0)],
    )
    tax_rate = models.DecimalField(
        _("tax rate %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("6.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=SkuKind.choices, default=SkuKind.PRODUCT
    )
    parameters = models.JSONField(_("purchase parameters"), default=list, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["solution_id", "position", "pk"]
        constraints = [
            not_negative("catalog_sku_price_not_negative", "unit_price"),
            in_range("catalog_sku_tax_rate_range", "tax_rate", 0, 100),
        ]
        indexes = [
            models.Index(fields=["solution", "is_active", "region"], name="catalog_sku_sol_idx")
        ]

    def __str__(self) -> str:
        return f"{self.plan_name} ({self.code})"


class BannerPosition(models.TextChoices):
    HOME_CAROUSEL = "home_carousel", _("Home carousel")
    HOME_AD = "home_ad", _("Home ad slot")
    SOLUTION_AD = "solution_ad", _("Solution page ad slot")


class Banner(models.Model):
    title = models.CharField(_("title"), max_length=100)
    image = models.ImageField(_("image"), upload_to=upload_banner, max_length=200)
    link_url = models.CharField(
        _("link"),
        max_length=300,
        blank=True,
        help_text=_("A path such as /solutions/x/ or a full URL."),
    )
    position = models.CharField(
        _("slot"),
        max_length=20,
        choices=BannerPosition.choices,
        default=BannerPosition.HOME_CAROUSEL,
    )
    order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    ends_at = optional_time(_("ends"))
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("banner")
        verbose_name_plural = _("banners")
        ordering = ["position", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="catalog_banner_period_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["position", "is_active", "order"], name="catalog_banner_pos_idx")
        ]

    def __str__(self) -> str:
        return self.title


class NewsItem(models.Model):
    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body_html = models.TextField(_("body"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["is_published", "-published_at"], name="catalog_news_pub_idx")
        ]

    def __str__(self) -> str:
        return self.title


class IndustryGroup(models.Model):
    """行业解决方案: a curated group of solutions for an industry."""

    name = models.CharField(_("group name"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    solutions = models.ManyToManyField(
        Solution, related_name="industry_groups", blank=True, verbose_name=_("solutions")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("industry solution group")
        verbose_name_plural = _("industry solution groups")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    """评价: 1–5 stars and text, once per completed order, by the ordering company."""

    solution = solution_fk("reviews", on_delete=models.CASCADE)
    company = company_fk("reviews", on_delete=models.CASCADE)
    author = acting_user(_("author"), on_delete=models.SET_NULL, null=True)
    order_number = models.CharField(_("order number"), max_length=30)
    rating = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(_("review"), max_length=500, blank=True)
    is_hidden = models.BooleanField(_("hidden by staff"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = NEWEST_FIRST
        constraints = [
            models.UniqueConstraint(
                fields=["solution", "order_number"], name="catalog_review_once_per_order"
            ),
            in_range("catalog_review_rating_range", "rating", 1, 5),
        ]
        indexes = [
            models.Index(
                fields=["solution", "is_hidden", "-created_at"], name="catalog_review_sol_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.solution} · {self.rating}★"


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class Lead(models.Model):
    """Fields shared by consultation tickets and trial requests (staff queues)."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    company_name = models.CharField(_("company name"), max_length=100)
    solution = optional_link(Solution, _("solution"), on_delete=models.SET_NULL)
    user = optional_user(_("user"), on_delete=models.SET_NULL)
    status = status_field(LeadStatus.NEW, max_length=20)
    assignee = optional_user(
        _("assignee"), on_delete=models.SET_NULL, limit_choices_to={"is_staff": True}
    )
    internal_notes = models.TextField(_("internal notes"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        ordering = NEWEST_FIRST


class ServiceType(models.TextChoices):
    PRESALES = "presales", _("Pre-sales consultation")
    PURCHASE = "purchase", _("Purchase and pricing")
    TECHNICAL = "technical", _("Technical support")
    OTHER = "other", _("Other")


class SupportCategory(models.TextChoices):
    PRODUCT = "product", _("Product")
    ORDER = "order", _("Order and payment")
    ACCOUNT = "account", _("Account")
    OTHER = "other", _("Other")


class ConsultationTicket(Lead):
    """在线创建工单 (spec 4.8)."""

    service_type = models.CharField(_("service type"), max_length=20, choices=ServiceType.choices)
    support_category = models.CharField(
        _("support category"), max_length=20, choices=SupportCategory.choices
    )
    subject = models.CharField(_("service subject"), max_length=100)
    details = models.TextField(_("service details"), max_length=300)
    attachment = private_file(_("attachment"), "tickets/%Y/%m/", blank=True)

    history = HistoricalRecords()

    class Meta(Lead.Meta):
        verbose_name = _("consultation ticket")
        verbose_name_plural = _("consultation tickets")
        indexes = [models.Index(fields=["status", "-created_at"], name="catalog_ticket_status_idx")]

    def __str__(self) -> str:
        return self.subject


class TrialRequest(Lead):
    """申请试用 (spec 4.9)."""

    remarks = models.TextField(_("remarks"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta(Lead.Meta):
        verbose_name = _("trial request")
        verbose_name_plural = _("trial requests")
        indexes = [models.Index(fields=["status", "-created_at"], name="catalog_trial_status_idx")]

    def __str__(self) -> str:
        return f"{self.company_name} · {self.solution}"


# Storefront content models live in their own module (brands, help centre, manuals).
from .models_content import (  # noqa: E402, F401
    Brand,
    HelpArticle,
    HelpCategory,
    SolutionManual,
)
