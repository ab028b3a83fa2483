"""Console-managed storefront content: brands (品牌专区), the help centre (帮助中心) and the
product manuals (产品手册) of a solution.

Defined apart from ``catalog.models`` (which imports them at its end) to keep both
modules short. Rich text (``intro_html``, ``body_html``) is sanitised by the services
(``catalog.services_content``) before it is saved, so templates render it with ``|safe``.
Manuals are private files: they have no URL and are served by a view that checks the
manual is published and its solution visible.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.links import required_link
from backoffice.core.storage import dated_upload_name, file_extension, private_file


def upload_to_brand_logos(instance, filename: str) -> str:
    return dated_upload_name("catalog/logos", file_extension(filename, "png"))


def upload_to_manuals(instance, filename: str) -> str:
    return dated_upload_name("manuals", file_extension(filename, "pdf"))


class Brand(models.Model):
    """A vendor of the catalogue (品牌专区): logo, introduction and its solutions."""

    name = models.CharField(_("brand name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    logo = models.ImageField(_("logo"), upload_to=upload_to_brand_logos, blank=True, max_length=200)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    intro_html = models.TextField(_("introduction"), blank=True)
    website = models.URLField(_("website"), blank=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("shown in the brand zone"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["position", "name", "pk"]
        indexes = [
            models.Index(fields=["is_active", "position", "name"], name="catalog_brand_active_idx")
        ]

    def __str__(self) -> str:
        return self.name


class HelpCategory(models.Model):
    """A section of the help centre (帮助中心), e.g. 账户与注册, 订单与支付."""

    name = models.CharField(_("category name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["is_active", "position"], name="catalog_helpcat_idx")]

    def __str__(self) -> str:
        return self.name


class HelpArticle(models.Model):
    """A question and its answer (常见问题) in a help category."""

    category = required_link(HelpCategory, _("help category"), related_name="articles")
    title = models.CharField(_("title"), max_length=150)
    body_html = models.TextField(_("body"), blank=True)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["category_id", "position", "pk"]
        indexes = [
            models.Index(
                fields=["is_published", "category", "position"], name="catalog_helpart_cat_idx"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SolutionManual(models.Model):
    """产品手册: a downloadable document of a solution (a private file, see the module doc)."""

    solution = required_link(
        "catalog.Solution", _("solution"), related_name="manuals", on_delete=models.CASCADE
    )
    title = models.CharField(_("title"), max_length=100)
    file = private_file(_("file"), upload_to_manuals)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product manual")
        verbose_name_plural = _("product manuals")
        ordering = ["position", "pk"]
        indexes = [
            models.Index(
                fields=["solution", "is_published", "position"], name="catalog_manual_sol_idx"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def filename(self) -> str:
        """The download's name: the title with the stored file's extension."""
        return f"{self.title}.{file_extension(self.file.name, 'pdf')}"
