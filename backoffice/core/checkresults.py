"""The last result of each periodic consistency check, kept for monitoring (``/metrics``)."""

from django.db import transaction
from django.utils import timezone

from .models import CheckResult


def record_check_result(*, name: str, problems: int) -> CheckResult:
    """Store ``name``'s outcome now (``problems`` = 0: the check held), replacing the last."""
    with transaction.atomic():
        result, _created = CheckResult.objects.update_or_create(
            name=name, defaults={"problems": problems, "ran_at": timezone.now()}
        )
    return result


def check_results() -> dict[str, CheckResult]:
    """Every check's last result by name (one query)."""
    return {result.name: result for result in CheckResult.objects.all()}
