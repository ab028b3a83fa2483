"""Export jobs (我的导出): a large export is recorded, built by a task, downloaded later.

The kernel keeps the record and its life cycle (``queued → running → done | failed``); the
front door that offers the export supplies the builder, which applies the requester's
scope and filters again. A task is safe to run twice: a running or finished job is left
alone.
"""

import logging
import tempfile
from collections.abc import Callable
from typing import IO

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


def export_job_run(*, job_id: int, build: Builder) -> ExportJob | None:
    """Build a queued export with ``build``. A finished or running export is left alone;
    a failure is recorded on the row (and logged), never raised."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ExportJobStatus.QUEUED:
            return job
        job.status = ExportJobStatus.RUNNING
        job.save(update_fields=["status"])
    try:
        with tempfile.TemporaryFile() as handle:
            rows = build(job, handle, _progress(job.pk))
            handle.seek(0)
            job.file.save(job.filename, File(handle), save=False)
    except Exception as exc:
        logger.exception("export job %s failed", job_id)
        job.status = ExportJobStatus.FAILED
        job.error = str(exc)[:500]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    job.status = ExportJobStatus.DONE
    job.total_rows = job.done_rows = rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "file", "total_rows", "done_rows", "finished_at"])
    return job
