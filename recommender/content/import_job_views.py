"""How an import job is shown: its view for the API and the pages, whether it has stalled,
and its progress in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recommender.storage.models import ImportJob, utcnow

API_PATH = "/api/v1/imports/"
# a running job whose heartbeat is older than this has lost its worker (the longest silence
# of a live job is the final write of the biggest feed, well under it)
STALE_AFTER = timedelta(minutes=10)


def job_view(job: ImportJob) -> dict:
    """An import job as the API shows it."""
    status = "running" if job.status == "written" else job.status
    links = {"self": API_PATH + job.id}
    if job.index_task:
        links["index_build"] = f"/api/v1/index/builds/{job.index_task}"
    return {
        "id": job.id, "status": status, "stalled": stalled(job),
        "attempts": int((job.options or {}).get("attempts", 0)), "source": job.source,
        "format": job.format, "profile": job.profile,
        "options": {name: bool((job.options or {}).get(name))
                    for name in ("free_access", "strict", "dry_run")},
        "counts": {"total": job.total, "read": job.read or 0, "admitted": job.admitted or 0,
                   "held": job.held or 0, "rejected": job.rejected or 0},
        "detail": job.detail, "summary": (job.result or {}).get("summary"),
        "result": job.result if job.status == "done" else None,
        "index_task": job.index_task,
        "created_at": _time(job.created_at), "started_at": _time(job.started_at),
        "heartbeat_at": _time(job.heartbeat_at), "finished_at": _time(job.finished_at),
        "links": links,
    }


def stalled(job: ImportJob, now: datetime | None = None) -> bool:
    """A running job that has not reported for STALE_AFTER: its worker died. It runs again
    from scratch if the broker delivers its task again (Redis does, after
    BROKER_VISIBILITY_SECONDS); else import the source again."""
    if job.status not in ("running", "written") or job.heartbeat_at is None:
        return False
    beat = job.heartbeat_at if job.heartbeat_at.tzinfo else job.heartbeat_at.replace(tzinfo=UTC)
    return (now or utcnow()) - beat > STALE_AFTER


def progress_text(job: ImportJob) -> str:
    """A job's state in words, for the CLI and the curator page."""
    if job.status == "queued":
        return "Import queued: waiting for the worker."
    if job.status == "not-queued":
        return f"Import not queued: {job.detail}."
    if job.status == "failed":
        return f"Import failed: {job.detail}."
    if job.status == "done":
        return f"Import finished: {(job.result or {}).get('summary', '')}."
    of = f" of {job.total:,}" if job.total is not None else ""
    text = (f"Import running: {job.read or 0:,}{of} records read: {job.admitted or 0:,} "
            f"admitted, {job.held or 0:,} held, {job.rejected or 0:,} rejected")
    if job.detail and job.detail.startswith("writing"):
        text += f"; {job.detail}"
    if stalled(job):
        text += " (no progress for ten minutes: the worker may have stopped)"
    return text + "."


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
