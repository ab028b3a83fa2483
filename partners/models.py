from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import filled_when, in_range, set_when, unique_where
from backoffice.core.fields import NEWEST_FIRST, optional_time, status_field
from backoffice.core.links import acting_user, optional_link, optional_user, required_link
from backoffice.core.storage import dated_upload_name, private_file

from .fields import company_fk

phone_validator = RegexValidator(
    regex=r"^\+?[0-9][0-9\- ]{5,19}$",
    message=_("Enter a valid phone number: digits, spaces or hyphens, optionally starting with +."),
)

RATE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def rate_field(verbose_name, help_text, **kwargs) -> models.DecimalField:
    """A rate between 0 and 1 with four places (0.0100 = 1%)."""
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=4,
        validators=RATE_VALIDATORS,
        help_text=help_text,
        **kwargs,
    )


class Tier(models.Model):
    """Membership tier (会员等级): 注册级 / 银牌级 / 金牌级. Rates are staff-editable data."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("Higher is better.")
    )
    is_default = models.BooleanField(
        _("default for new companies"),
        default=False,
        help_text=_("Approved registrations start here."),
    )
    rebate_rate = rate_field(
        _("rebate rate"),
        _("Half-yearly rebate as a fraction of paid order amounts, e.g. 0.0100 = 1%."),
        default=Decimal("0"),
    )
    revenue_share_rate = rate_field(
        _("revenue-share rate"),
        _("Default share of sales paid to companies of this tier, e.g. 0.0500 = 5%."),
        default=Decimal("0"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        constraints = [
            unique_where("partners_tier_one_default", ["is_default"], is_default=True),
            in_range("partners_tier_rebate_rate_range", "rebate_rate", 0, 1),
            in_range("partners_tier_share_rate_range", "revenue_share_rate", 0, 1),
        ]

    def __str__(self) -> str:
        return self.name


class Benefit(models.Model):
    """A row of the 会员权益 table; its per-tier cells are ``TierBenefit`` rows."""

    category = models.CharField(_("category"), max_length=100)
    name = models.CharField(_("benefit"), max_length=200)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="partners_benefit_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TierBenefit(models.Model):
    """One cell: what a tier gets of a benefit. Empty value = not included (shown as —)."""

    INCLUDED = "✓"

    benefit = required_link(Benefit, _("benefit"), related_name="cells", on_delete=models.CASCADE)
    tier = required_link(Tier, _("tier"), related_name="benefit_cells", on_delete=models.CASCADE)
    value = models.CharField(
        _("value"),
        max_length=200,
        blank=True,
        help_text=_("✓ for included, text for a quota, empty for not included."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tier benefit")
        verbose_name_plural = _("tier benefits")
        constraints = [
            models.UniqueConstraint(fields=["benefit", "tier"], name="partners_tierbenefit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tier} · {self.benefit}: {self.value or '—'}"


class CompanyType(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributor")
    RESELLER = "reseller", _("Reseller")


class CompanyStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


class Company(models.Model):
    """A partner company: a distributor (分销商) or a reseller (经销商), optionally under a distributor."""

    name = models.CharField(_("company name"), max_length=100)
    company_type = models.CharField(
        _("type"), max_length=20, choices=CompanyType.choices, default=CompanyType.RESELLER
    )
    parent = optional_link(
        "self",
        _("parent distributor"),
        related_name="sub_resellers",
        limit_choices_to={"company_type": CompanyType.DISTRIBUTOR},
    )
    tier = required_link(Tier, _("tier"), related_name="companies")
    business_owner = optional_user(
        _("business owner"), related_name="owned_companies", limit_choices_to={"is_staff": True}
    )
    customer_manager = optional_user(
        _("customer manager"),
        related_name="managed_companies",
        on_delete=models.SET_NULL,
        limit_choices_to={"is_staff": True},
    )
    status = status_field(CompanyStatus.ENABLED, max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)
    revenue_share_rate = rate_field(
        _("revenue-share rate"), _("Leave empty to use the tier's rate."), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = NEWEST_FIRST
        constraints = [
            models.UniqueConstraint(Lower("name"), name="partners_company_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True)
                | models.Q(company_type=CompanyType.RESELLER),
                name="partners_company_only_resellers_have_parent",
            ),
            in_range(
                "partners_company_share_rate_range", "revenue_share_rate", 0, 1, nullable=True
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="partners_co_status_idx"),
            models.Index(fields=["company_type", "-created_at"], name="partners_co_type_idx"),
            models.Index(fields=["tier", "-created_at"], name="partners_co_tier_idx"),
            models.Index(fields=["parent", "-created_at"], name="partners_co_parent_idx"),
            models.Index(fields=["-created_at", "-id"], name="partners_co_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_enabled(self) -> bool:
        return self.status == CompanyStatus.ENABLED

    @property
    def is_distributor(self) -> bool:
        return self.company_type == CompanyType.DISTRIBUTOR

    @property
    def effective_revenue_share_rate(self) -> Decimal:
        return (
            self.revenue_share_rate
            if self.revenue_share_rate is not None
            else self.tier.revenue_share_rate
        )


class CompanyRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CO_ADMIN = "co_admin", _("Co-administrator")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """E-mail is the login and is case-insensitive: store it lower-cased."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=self.normalize_email(username))

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: Blue Cloud staff (``is_staff``) or a partner company's user.

    The partners issue adds a nullable ``company`` foreign key and a company role;
    both are plain column additions, so the user table never has to be rebuilt.
    """

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    is_staff = models.BooleanField(
        _("Blue Cloud staff"),
        default=False,
        help_text=_("Staff can sign in to the staff console."),
    )
    is_active = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("Disabled users cannot sign in."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    company = optional_link(Company, _("company"), related_name="users")
    company_role = models.CharField(
        _("role"), max_length=20, choices=CompanyRole.choices, blank=True
    )
    position = models.CharField(_("position"), max_length=50, blank=True)
    # Two-tier distribution: a distributor's 协同管理员 allocates and reclaims its
    # sub-resellers' credit (and coupons) only when its 管理员 grants it.
    can_allocate = models.BooleanField(
        _("may allocate to sub-resellers"),
        default=False,
        help_text=_("A co-administrator may allocate and reclaim sub-resellers' credit."),
    )
    activated_at = optional_time(
        _("activated"), help_text=_("Set when the user has set a password from the e-mail link.")
    )
    deleted_at = optional_time(_("deleted"), editable=False)
    # The language of the user's mails, set when they switch the portal's language;
    # blank: the site default (zh-hans).
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="partners_user_email_ci_unique"),
            # Exactly one 管理员 per company: at most one here, at least one by the services.
            unique_where("partners_user_one_admin_per_company", ["company"], company_role="admin"),
            models.CheckConstraint(
                condition=models.Q(company__isnull=True, company_role="")
                | models.Q(company__isnull=False, company_role__in=["admin", "co_admin"]),
                name="partners_user_company_role_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(company__isnull=True),
                name="partners_user_staff_has_no_company",
            ),
        ]
        indexes = [
            models.Index(fields=["is_staff", "is_active"], name="partners_user_staff_idx"),
            models.Index(fields=["-date_joined"], name="partners_user_joined_idx"),
            models.Index(fields=["company", "-date_joined"], name="partners_user_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    @property
    def is_partner(self) -> bool:
        return self.company_id is not None

    @property
    def is_company_admin(self) -> bool:
        return self.company_role == CompanyRole.ADMIN

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


def qualification_upload_to(instance: "QualificationFile", filename: str) -> str:
    # The stored name is random; the sanitised original name is kept in a column.
    return dated_upload_name("qualifications", (instance.extension or "bin").lower())


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RegistrationApplication(models.Model):
    """A reseller's application (云睐经销商申请表), reviewed by staff."""

    status = status_field(ApplicationStatus.PENDING, max_length=20)
    company_name = models.CharField(_("company name"), max_length=100)
    business_owner = acting_user(
        _("business owner"),
        related_name="owned_applications",
        limit_choices_to={"is_staff": True, "is_active": True},
    )
    contact_name = models.CharField(_("contact name"), max_length=50)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=20, validators=[phone_validator])
    position = models.CharField(_("position"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200)
    agreed_at = models.DateTimeField(_("agreement accepted"))
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, editable=False)
    reviewed_by = optional_user(_("reviewed by"), related_name="reviewed_applications")
    reviewed_at = optional_time(_("reviewed"))
    rejection_reason = models.TextField(_("rejection reason"), max_length=500, blank=True)
    company = optional_link(Company, _("company"), related_name="application", one_to_one=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registration application")
        verbose_name_plural = _("registration applications")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # One open application per e-mail and per company name.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(status="pending"),
                name="partners_app_pending_email_unique",
            ),
            models.UniqueConstraint(
                Lower("company_name"),
                condition=models.Q(status="pending"),
                name="partners_app_pending_name_unique",
            ),
            filled_when("partners_app_rejection_has_reason", "rejected", "rejection_reason"),
            set_when("partners_app_approved_has_company", "approved", "company"),
        ]
        indexes = [models.Index(fields=["status", "-submitted_at"], name="partners_app_status_idx")]

    def __str__(self) -> str:
        return f"{self.company_name} <{self.email}>"


class QualificationFile(models.Model):
    """A qualification document (营业执照, ...) checked by content, stored privately."""

    application = optional_link(
        RegistrationApplication,
        _("application"),
        related_name="files",
        on_delete=models.CASCADE,
    )
    company = optional_link(Company, _("company"), related_name="files", on_delete=models.CASCADE)
    file = private_file(_("file"), qualification_upload_to)
    original_name = models.CharField(_("file name"), max_length=120)
    extension = models.CharField(_("type"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification file")
        verbose_name_plural = _("qualification files")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) | models.Q(company__isnull=False),
                name="partners_file_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class EndCustomer(models.Model):
    """我的客户: an end customer of a partner company (not a login user)."""

    company = company_fk("end_customers", _("partner company"), on_delete=models.CASCADE)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    email = models.EmailField(_("e-mail"), max_length=254)
    company_name = models.CharField(_("company"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_by = optional_user(_("created by"), on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("end customer")
        verbose_name_plural = _("end customers")
        ordering = NEWEST_FIRST
        indexes = [
            models.Index(fields=["company", "-created_at"], name="partners_cust_company_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company_name})"


# API keys and webhooks: their own modules; Django finds their models through this one.
from partners.api_key_models import ApiKey, ApiScope  # noqa: E402, F401
from partners.webhook_models import (  # noqa: E402, F401
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
