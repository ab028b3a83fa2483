"""django-q2 entry points of the statements. Each takes ids or a period and is safe to run twice."""

from .services import generate_statements, previous_period, statement_export_build


def generate_previous_month(period: str | None = None) -> dict:
    """The monthly schedule (1st, 02:00 Asia/Shanghai): the previous month's statements."""
    return generate_statements(period=period or previous_period())


def export_statements(export_id: int) -> int:
    """Build a queued Excel export; returns its line-row count."""
    export = statement_export_build(export_id=export_id)
    return export.row_count if export is not None else 0
