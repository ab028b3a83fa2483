"""Contracts: versioned templates of the e-order (spec 5.4) and the agreed, frozen contract (spec 11).

- ``ContractTemplate``: the fixed clauses with ``{{ merge_field }}`` placeholders, edited by staff.
  A version that a contract used is never edited again; staff publish a new version instead
  (``services.template_publish_new_version``).
- ``Contract``: number, template version, the full merge-data snapshot, the PDF rendered once
  at agreement and its SHA-256. Immutable.
"""

import hashlib
import json
import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from backoffice.core.constraints import not_negative, unique_where
from backoffice.core.links import acting_user, optional_user, required_link
from backoffice.core.money import MONEY_DIGITS, MONEY_PLACES, currency_field
from backoffice.core.storage import private_file
from partners.fields import company_fk

from .constants import MERGE_FIELDS, PAYMENT_TERMS_FIELDS

CLAUSE_TITLE_MAX = 100
CLAUSE_TEXT_MAX = 3000
CLAUSES_MAX = 40
PAYMENT_TERMS_MAX = 2000
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"^[a-z_]+$")


def merge_field_errors(text: str, allowed: dict[str, str]) -> list[str]:
    """What is wrong with the placeholders of ``text``: only ``{{ known_name }}`` is allowed."""
    errors = []
    if "{%" in text or "%}" in text or "{#" in text or "#}" in text:
        errors.append(
            _("Template tags and comments are not allowed: use only {{ name }} merge fields.")
        )
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1).strip()
        if not _NAME.match(name) or name not in allowed:
            errors.append(_("Unknown merge field: {{ %(name)s }}.") % {"name": name})
    remainder = _PLACEHOLDER.sub("", text)
    if "{{" in remainder or "}}" in remainder:
        errors.append(_("Unbalanced braces: write merge fields as {{ name }}."))
    return errors


class ContractTemplate(models.Model):
    """合同模板: one version of the e-order's fixed clauses."""

    name = models.CharField(_("template name"), max_length=100, default="电子订单")
    version = models.PositiveIntegerField(_("version"), validators=[MinValueValidator(1)])
    clauses = models.JSONField(
        _("clauses"),
        default=list,
        help_text=_("A list of clauses, each with a title and a text."),
    )
    payment_terms_online = models.TextField(
        _("payment terms: online payment"), max_length=PAYMENT_TERMS_MAX
    )
    payment_terms_offline = models.TextField(
        _("payment terms: offline payment"), max_length=PAYMENT_TERMS_MAX
    )
    payment_terms_credit = models.TextField(
        _("payment terms: credit line"), max_length=PAYMENT_TERMS_MAX
    )
    is_active = models.BooleanField(
        _("active"),
        default=False,
        help_text=_("New contracts use the active version. Exactly one version is active."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = optional_user(_("created by"), on_delete=models.SET_NULL, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="contracts_template_name_version_unique"
            ),
            unique_where("contracts_template_one_active", ["is_active"], is_active=True),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="contracts_template_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        clause_errors = self.clause_errors(self.clauses)
        if clause_errors:
            errors["clauses"] = clause_errors
        for method in ("online", "offline", "credit"):
            field = f"payment_terms_{method}"
            problems = merge_field_errors(getattr(self, field) or "", PAYMENT_TERMS_FIELDS)
            if problems:
                errors[field] = problems
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def clause_errors(clauses) -> list[str]:
        if not isinstance(clauses, list) or not clauses:
            return [_("Enter at least one clause.")]
        if len(clauses) > CLAUSES_MAX:
            return [_("At most %(max)d clauses.") % {"max": CLAUSES_MAX}]
        errors = []
        for index, clause in enumerate(clauses, start=1):
            if (
                not isinstance(clause, dict)
                or set(clause) != {"title", "text"}
                or not all(isinstance(clause[k], str) for k in ("title", "text"))
            ):
                errors.append(_("Clause %(n)d must have a title and a text.") % {"n": index})
                continue
            if not clause["text"].strip():
                errors.append(_("Clause %(n)d has no text.") % {"n": index})
            if len(clause["title"]) > CLAUSE_TITLE_MAX or len(clause["text"]) > CLAUSE_TEXT_MAX:
                errors.append(_("Clause %(n)d is too long.") % {"n": index})
            for problem in merge_field_errors(clause["title"] + clause["text"], MERGE_FIELDS):
                errors.append(_("Clause %(n)d: %(problem)s") % {"n": index, "problem": problem})
        return errors

    @property
    def is_used(self) -> bool:
        """A version that an agreed contract points at is frozen."""
        return self.pk is not None and self.contracts.exists()

    def payment_terms_for(self, method: str) -> str:
        return getattr(self, f"payment_terms_{method}")


def snapshot_digest(snapshot: dict) -> str:
    """SHA-256 of the snapshot in canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Contract(models.Model):
    """电子合同: the e-order a partner agreed to. Never changed after it is created."""

    number = models.CharField(_("contract number"), max_length=32, unique=True)
    template = required_link(ContractTemplate, _("template version"), related_name="contracts")
    company = company_fk("contracts")
    agreed_by = acting_user(_("agreed by"), related_name="agreed_contracts")
    agreed_at = models.DateTimeField(_("agreed at"))
    currency = currency_field()
    total = models.DecimalField(
        _("total amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES
    )
    snapshot = models.JSONField(_("merge data snapshot"))
    # Stored with the snapshot in the order's transaction (``snapshot_digest``); the PDF
    # task checks it before rendering.
    snapshot_sha256 = models.CharField(_("snapshot SHA-256"), max_length=64, blank=True)
    # Written once after the order's commit, from the snapshot (contracts.services).
    pdf = private_file(_("PDF"), "contracts/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # Filled by the orders issue: the order this contract belongs to.
    order_number = models.CharField(_("order number"), max_length=32, blank=True, db_index=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-agreed_at", "-pk"]
        constraints = [
            not_negative("contracts_contract_total_not_negative", "total"),
        ]
        indexes = [
            models.Index(fields=["company", "-agreed_at"], name="contracts_company_idx"),
            models.Index(fields=["-agreed_at", "-id"], name="contracts_agreed_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def pdf_filename(self) -> str:
        return f"contract-{self.number}.pdf"
