"""Export jobs (我的导出): a large export is recorded, built by a task, downloaded later.

The kernel keeps the record and its life cycle (``queued → running → done | failed``); the
front door that offers the export supplies the builder, which applies the requester's
scope and filters again. A task is safe to run twice: a running or finished job is left
alone.
"""

import logging
import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from .models import ExportJob, ExportJobStatus
from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

#: The builder writes the workbook to the handle and reports progress as rows written;
#: it returns the number of data rows.
Builder = Callable[[ExportJob, IO[bytes], Callable[[int], None]], int]
PROGRESS_EVERY = 500
# The states every file job shares (ExportJobStatus, and the statements' own exports).
RUNNING, DONE, FAILED = ExportJobStatus.RUNNING, ExportJobStatus.DONE, ExportJobStatus.FAILED


def export_job_request(*, actor, task: str, **fields) -> ExportJob:
    """Record an export for ``actor`` and queue ``task(job_id)`` after commit."""
    with transaction.atomic():
        job = ExportJob.objects.create(requested_by=actor, **fields)
        enqueue_on_commit(task, job.pk)
    return job


def _progress(job_id: int) -> Callable[[int], None]:
    def report(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.RUNNING).update(done_rows=rows)

    return report


def file_job_run(model, job_id: int, *, build: Callable[[Any, IO[bytes]], list[str]]):
    """Build the file of a queued job row of ``model`` (an export: ``status`` pending →
    running → done | failed, ``file``, ``filename``, ``error``, ``finished_at``).

    Safe to run twice: a running or finished job is left alone (a failed one runs again).
    ``build(job, handle)`` writes the file, sets its result fields on ``job`` and returns
    their names. A failure is recorded on the row (and logged), never raised.
    """
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (RUNNING, DONE):
            return job
        job.status = RUNNING
        job.error = ""
        job.save(update_fields=["status", "error"])
    try:
        with tempfile.TemporaryFile() as handle:
            fields = build(job, handle)
            handle.seek(0)
            job.file.save(job.filename, File(handle), save=False)
    except Exception as exc:
        logger.exception("%s %s failed", model._meta.label, job_id)
        job.status = FAILED
        job.error = str(exc)[:500]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status = DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "file", "finished_at", *fields])
    return job


def export_job_run(*, job_id: int, build: Builder) -> ExportJob | None:
    """Build a queued export job with ``build`` (see ``file_job_run``)."""

    def write(job: ExportJob, handle) -> list[str]:
        job.total_rows = job.done_rows = build(job, handle, _progress(job.pk))
        return ["total_rows", "done_rows"]

    return file_job_run(ExportJob, job_id, build=write)
