"""State-changing functions of the catalog domain.

Solutions, SKUs (购买计划), publishing, reviews (评价) and the counters the storefront
ranks by. Every write goes through here: the console, the Excel import and the demo
data call these functions, so the rules (sanitised rich text, publish prerequisites,
purchase-parameter shape, one review per completed order) hold everywhere.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Exists, F, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Company, User

from .models import Category, NewsItem, Review, Sku, Solution
from .richtext import sanitize_html

RICH_TEXT_FIELDS: tuple[str, ...] = ("details_html", "cases_html", "support_html", "agreement_html")

REVIEW_TEXT_MAX_LENGTH = 500
PARAMETER_MAX_LENGTH_LIMIT = 500
PARAMETER_DEFAULT_MAX_LENGTH = 100
PARAMETER_FIELDS = frozenset({"key", "label", "required", "max_length"})
PARAMETER_KEY_RE = re.compile(r"^[\w-]{1,40}$")
PARAMETER_LABEL_MAX_LENGTH = 50


class CatalogError(ValidationError):
    """A catalog rule refused the change; the message is shown to the user as is."""


def _set_history_user(instance: Any, actor: User | None) -> None:
    """simple-history records ``actor`` when the service runs outside a request."""
    if actor is not None:
        instance._history_user = actor


# --- Solutions -------------------------------------------------------------


def solution_publish_problems(*, has_active_sku: bool, has_sub_category: bool) -> list[str]:
    """The reasons a solution may not be published (empty when it may)."""
    problems = []
    if not has_active_sku:
        problems.append(_("it has no SKU on sale"))
    if not has_sub_category:
        problems.append(_("it is in no sub-category"))
    return problems


def _check_sub_categories(categories: Iterable[Category]) -> list[Category]:
    categories = list(categories)
    top_level = [c.name for c in categories if c.parent_id is None]
    if top_level:
        raise CatalogError(
            {
                "categories": _(
                    "Solutions belong to sub-categories, not to top categories: %(names)s."
                )
                % {"names": "、".join(top_level)}
            }
        )
    return categories


@transaction.atomic
def solution_save(
    *,
    solution: Solution,
    categories: Iterable[Category] | None = None,
    actor: User | None = None,
) -> Solution:
    """Create or update a solution: sanitise the rich-text tabs, validate, save.

    ``categories`` (sub-categories only) replaces the current set when given. A
    solution that becomes published here must meet the same rules as
    :func:`solution_publish`. The search text is rebuilt afterwards.
    """
    for field in RICH_TEXT_FIELDS:
        setattr(solution, field, sanitize_html(getattr(solution, field) or ""))
    if categories is not None:
        categories = _check_sub_categories(categories)

    was_published = (
        solution.pk is not None
        and Solution.objects.filter(pk=solution.pk, is_published=True).exists()
    )
    if solution.is_published and not was_published:
        if categories is not None:
            has_sub_category = bool(categories)
        else:
            has_sub_category = (
                solution.pk is not None
                and solution.categories.filter(parent__isnull=False).exists()
            )
        has_active_sku = solution.pk is not None and solution.skus.filter(is_active=True).exists()
        problems = solution_publish_problems(
            has_active_sku=has_active_sku, has_sub_category=has_sub_category
        )
        if problems:
            raise CatalogError(
                {
                    "is_published": _("It cannot be published yet: %(reasons)s.")
                    % {"reasons": "; ".join(problems)}
                }
            )
        solution.published_at = solution.published_at or timezone.now()

    solution.full_clean()
    _set_history_user(solution, actor)
    solution.save()
    if categories is not None:
        solution.categories.set(categories)
    solution_search_document_refresh(solution_ids=[solution.pk])
    return solution


def solution_search_document_refresh(*, solution_ids: Iterable[int]) -> int:
    """Rebuild ``search_document`` (lower-cased name, summary, provider, SKU codes and plans).

    Set-based: one query for the solutions, one for all their SKUs, one bulk update.
    Returns the number of solutions whose text changed.
    """
    ids = {int(pk) for pk in solution_ids if pk is not None}
    if not ids:
        return 0
    sku_terms: dict[int, list[str]] = defaultdict(list)
    for solution_id, code, plan_name in (
        Sku.objects.filter(solution_id__in=ids)
        .order_by("solution_id", "position", "pk")
        .values_list("solution_id", "code", "plan_name")
    ):
        sku_terms[solution_id].extend((code, plan_name))

    changed = []
    for solution in Solution.objects.filter(pk__in=ids).only(
        "pk", "name", "summary", "provider", "search_document"
    ):
        parts = [solution.name, solution.summary, solution.provider, *sku_terms[solution.pk]]
        document = " ".join(part.strip() for part in parts if part and part.strip()).lower()
        if document != solution.search_document:
            solution.search_document = document
            changed.append(solution)
    if changed:
        Solution.objects.bulk_update(changed, ["search_document"])
    return len(changed)


@transaction.atomic
def solution_publish(
    *, solutions: Iterable[Solution], actor: User | None
) -> tuple[list[Solution], list[tuple[Solution, list[str]]]]:
    """Publish (发布) solutions that have an active SKU and a sub-category.

    Returns ``(done, refused)``; ``refused`` pairs each solution with its reasons.
    Already published solutions count as done and are left untouched.
    """
    ids = [s.pk for s in solutions]
    locked = list(
        Solution.objects.select_for_update()
        .filter(pk__in=ids)
        .annotate(
            has_active_sku=Exists(Sku.objects.filter(solution=OuterRef("pk"), is_active=True)),
            has_sub_category=Exists(
                Solution.categories.through.objects.filter(
                    solution_id=OuterRef("pk"), category__parent__isnull=False
                )
            ),
        )
        .order_by("pk")
    )
    done: list[Solution] = []
    refused: list[tuple[Solution, list[str]]] = []
    now = timezone.now()
    for solution in locked:
        if solution.is_published:
            done.append(solution)
            continue
        problems = solution_publish_problems(
            has_active_sku=solution.has_active_sku, has_sub_category=solution.has_sub_category
        )
        if problems:
            refused.append((solution, problems))
            continue
        solution.is_published = True
        solution.published_at = solution.published_at or now
        _set_history_user(solution, actor)
        solution.save(update_fields=["is_published", "published_at", "updated_at"])
        done.append(solution)
    return done, refused


@transaction.atomic
def solution_unpublish(
    *, solutions: Iterable[Solution], actor: User | None
) -> tuple[list[Solution], list[tuple[Solution, list[str]]]]:
    """Take solutions off the storefront (取消发布). Never refused; same return shape."""
    ids = [s.pk for s in solutions]
    done: list[Solution] = []
    for solution in Solution.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if solution.is_published:
            solution.is_published = False
            _set_history_user(solution, actor)
            solution.save(update_fields=["is_published", "updated_at"])
        done.append(solution)
    return done, []


@transaction.atomic
def solutions_paid_count_add(*, solution_ids: Iterable[int], delta: int) -> int:
    """Adjust the paid-order counter (hot ranking) of ``solution_ids`` (each once, however
    often it is named) by ``delta`` in one UPDATE; a counter never goes below zero.

    Billing, which owns orders, calls it when an order is paid (+1) or a paid order is
    cancelled (-1). The rows are locked in primary-key order inside that one statement, so
    two concurrent calls over overlapping solutions cannot deadlock. Returns the row count.
    """
    ids = sorted(set(solution_ids))
    if not ids:
        return 0
    in_order = Solution.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return Solution.objects.filter(pk__in=in_order.values("pk")).update(
        paid_order_count=Greatest(F("paid_order_count") + delta, Value(0))
    )


# --- SKUs --------------------------------------------------------------------


def sku_parameters_validate(parameters: Any) -> list[dict]:
    """Check and normalise purchase-parameter definitions (添加参数).

    The shape is a list of ``{"key", "label", "required", "max_length"}`` objects:
    non-empty unique keys (letters, digits, ``_`` or ``-``), a non-empty label, a
    boolean ``required`` (default false) and ``max_length`` from 1 to 500 (default
    100). Raises ``ValidationError`` listing every problem.
    """
    if parameters in (None, ""):
        return []
    if not isinstance(parameters, list):
        raise ValidationError(_("Purchase parameters must be a list of objects."))
    errors: list[str] = []
    normalised: list[dict] = []
    seen: set[str] = set()
    for number, item in enumerate(parameters, 1):
        if not isinstance(item, dict):
            errors.append(_("Parameter %(n)d must be an object.") % {"n": number})
            continue
        unknown = sorted(set(item) - PARAMETER_FIELDS)
        if unknown:
            errors.append(
                _("Parameter %(n)d has unknown fields: %(fields)s.")
                % {"n": number, "fields": ", ".join(unknown)}
            )
        key = item.get("key")
        if not isinstance(key, str) or not PARAMETER_KEY_RE.match(key.strip()):
            errors.append(
                _("Parameter %(n)d needs a key of 1–40 letters, digits, underscores or hyphens.")
                % {"n": number}
            )
            key = None
        else:
            key = key.strip()
            if key in seen:
                errors.append(_("Parameter key “%(key)s” is used more than once.") % {"key": key})
            seen.add(key)
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            errors.append(_("Parameter %(n)d needs a label.") % {"n": number})
        elif len(label.strip()) > PARAMETER_LABEL_MAX_LENGTH:
            errors.append(
                _("The label of parameter %(n)d is longer than %(max)d characters.")
                % {"n": number, "max": PARAMETER_LABEL_MAX_LENGTH}
            )
        required = item.get("required", False)
        if not isinstance(required, bool):
            errors.append(_("“required” of parameter %(n)d must be true or false.") % {"n": number})
        max_length = item.get("max_length", PARAMETER_DEFAULT_MAX_LENGTH)
        if (
            isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or not 1 <= max_length <= PARAMETER_MAX_LENGTH_LIMIT
        ):
            errors.append(
                _("“max_length” of parameter %(n)d must be a whole number from 1 to %(max)d.")
                % {"n": number, "max": PARAMETER_MAX_LENGTH_LIMIT}
            )
        if key and isinstance(label, str):
            normalised.append(
                {
                    "key": key,
                    "label": label.strip(),
                    "required": required,
                    "max_length": max_length,
                }
            )
    if errors:
        raise ValidationError(errors)
    return normalised


@transaction.atomic
def sku_save(*, sku: Sku, actor: User | None = None) -> Sku:
    """Create or update a SKU; validates its purchase parameters, refreshes search text."""
    try:
        sku.parameters = sku_parameters_validate(sku.parameters)
    except ValidationError as exc:
        raise CatalogError({"parameters": exc.messages}) from exc
    previous_solution_id = (
        Sku.objects.filter(pk=sku.pk).values_list("solution_id", flat=True).first()
        if sku.pk
        else None
    )
    sku.full_clean()
    _set_history_user(sku, actor)
    sku.save()
    solution_search_document_refresh(solution_ids=[sku.solution_id, previous_solution_id])
    return sku


# --- News ----------------------------------------------------------------------


@transaction.atomic
def news_item_save(*, news_item: NewsItem, actor: User | None = None) -> NewsItem:
    """Create or update a news item (新闻动态) with its body sanitised."""
    news_item.body_html = sanitize_html(news_item.body_html or "")
    news_item.full_clean()
    _set_history_user(news_item, actor)
    news_item.save()
    return news_item


# --- Reviews -------------------------------------------------------------------


def no_completed_orders(company: Company, solution: Solution, order_number: str) -> bool:
    """The default eligibility check: the catalog knows no orders, so it admits none.
    Billing, which owns orders, passes its own (``billing.services.order_review_submit``)."""
    return False


def _solution_rating_refresh(*, solution_id: int) -> None:
    """Recompute rating_avg / rating_count from visible reviews (caller holds the row lock)."""
    stats = Review.objects.filter(solution_id=solution_id, is_hidden=False).aggregate(
        avg=Avg("rating"), count=Count("pk")
    )
    average = Decimal(str(stats["avg"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    Solution.objects.filter(pk=solution_id).update(rating_avg=average, rating_count=stats["count"])


@transaction.atomic
def review_submit(
    *,
    solution: Solution,
    company: Company,
    author: User | None,
    order_number: str,
    rating: int,
    text: str,
    completed_order_check: Callable[[Company, Solution, str], bool] = no_completed_orders,
) -> Review:
    """Record a review (评价): 1–5 stars and up to 500 characters, once per completed order."""
    text = (text or "").strip()
    order_number = (order_number or "").strip()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise CatalogError({"rating": _("Choose a rating from 1 to 5 stars.")})
    if len(text) > REVIEW_TEXT_MAX_LENGTH:
        raise CatalogError(
            {
                "text": _("A review may have at most %(max)d characters.")
                % {"max": REVIEW_TEXT_MAX_LENGTH}
            }
        )
    if author is not None and author.company_id != company.pk:
        raise CatalogError(_("Only a user of the ordering company can review this order."))
    if not order_number or not completed_order_check(company, solution, order_number):
        raise CatalogError(_("Only a completed order of this solution can be reviewed."))

    Solution.objects.select_for_update().filter(pk=solution.pk).first()
    review = Review(
        solution=solution,
        company=company,
        author=author,
        order_number=order_number,
        rating=rating,
        text=text,
    )
    review.full_clean(validate_constraints=False)
    _set_history_user(review, author)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as exc:
        raise CatalogError(_("This order has already been reviewed.")) from exc
    _solution_rating_refresh(solution_id=solution.pk)
    return review


@transaction.atomic
def review_set_hidden(*, review: Review, hidden: bool, actor: User | None) -> Review:
    """Hide a review from the storefront (or show it again) and recompute the rating."""
    Solution.objects.select_for_update().filter(pk=review.solution_id).first()
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if locked.is_hidden != hidden:
        locked.is_hidden = hidden
        _set_history_user(locked, actor)
        locked.save(update_fields=["is_hidden"])
        _solution_rating_refresh(solution_id=locked.solution_id)
    review.is_hidden = locked.is_hidden
    return locked


def reviews_set_hidden(*, reviews: Iterable[Review], hidden: bool, actor: User | None) -> int:
    """Bulk form of :func:`review_set_hidden`; returns how many reviews changed."""
    changed = 0
    with transaction.atomic():
        for review in reviews:
            before = review.is_hidden
            if review_set_hidden(review=review, hidden=hidden, actor=actor).is_hidden != before:
                changed += 1
    return changed
