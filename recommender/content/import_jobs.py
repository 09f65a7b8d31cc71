"""Catalogue imports run by the worker as jobs, for feeds too large to import while a web
request or a terminal waits on one transaction.

A job is an ``ImportJob`` row keyed by its Celery task id. It holds the source's text (read by
whoever made the job: the CLI fetched the files or URLs, the API and the curator page took the
upload), so the worker never fetches anything and a re-run reads exactly the same input. The
worker reads and validates the records through ``recommender.content.imports`` (the one
import path), committing the counts (read, admitted, held, rejected) on a session of their own
as it goes, then writes everything in one transaction: a failed or interrupted job changes
nothing. The task is acknowledged late and rejected when its worker is lost, so a job whose
worker died is delivered again and starts from scratch.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, update
from sqlalchemy.orm import Session, object_session, sessionmaker, undefer

from catalogue.errors import DataError
from recommender.content.import_job_views import job_view
from recommender.content.import_sources import count_records, load_profile_named
from recommender.content.imports import StrictRefusal, read_batch, write_batch
from recommender.logs import current_request_id
from recommender.storage import db
from recommender.storage.models import ImportJob, utcnow
from recommender.storage.queue import BrokerUnavailable, celery, notify_index_changes

IMPORT_CATALOGUE = "workers.tasks.import_catalogue"
QUEUE = "celery"  # the default queue: an import is database work, it never waits on a build
FINISHED = ("done", "failed", "not-queued")
REASONS_KEPT = 100  # rejected and held reasons kept in a job's result (the first ones)
MAX_ATTEMPTS = 3  # starts of one job; a job whose worker is lost every time is failed
PROGRESS_SECONDS = 0.2  # counts are committed at most this often while records are read
log = logging.getLogger(__name__)








def create_job(session: Session, *, source_name: str, payload_text: str | dict[str, str],
               format: str | None = None, profile: str | None = None,
               options: dict | None = None, locations: list[str] | None = None,
               total: int | None = None) -> ImportJob:
    """Record a queued import job holding its input: the source's text, or a map of texts by
    location (``Prepared.payload``). ``options``: free_access, strict, dry_run, and
    profile_text (a profile file's YAML, so that the worker needs no access to the file);
    ``locations``: several sources read as one import (default: ``source_name``)."""
    options = {key: value for key, value in (options or {}).items() if value is not None}
    if isinstance(payload_text, dict):
        options["documents"] = True
        payload_text = json.dumps(payload_text)
    locations = list(locations or [source_name])
    if locations != [source_name[:500]]:  # several, or one too long to be the source's name
        options["locations"] = locations
    job = ImportJob(id=uuid.uuid4().hex, status="queued", source=source_name[:500],
                    format=format, profile=profile, options=options, payload=payload_text,
                    total=total, read=0, admitted=0, held=0, rejected=0, created_at=utcnow())
    session.add(job)
    session.commit()
    return job


def enqueue(job: ImportJob) -> str:
    """Send the job to the worker (by task name: the web side never imports ``workers``);
    BrokerUnavailable, with the job recorded as not-queued, when the broker does not answer."""
    request_id = current_request_id()
    try:
        celery().send_task(IMPORT_CATALOGUE, args=[job.id], task_id=job.id, queue=QUEUE,
                           headers={"request_id": request_id} if request_id else None,
                           ignore_result=True)
    except Exception as exc:  # kombu and the result backends raise many kinds
        session = object_session(job) or db.session()
        job.status, job.detail = "not-queued", "the broker could not be reached"
        job.finished_at = utcnow()
        session.commit()
        raise BrokerUnavailable(f"the broker could not be reached: {exc}") from exc
    return job.id


def run_job(sessions: sessionmaker | Session, job_id: str) -> dict:
    """Run one import job to done or failed, all or nothing; returns its view.

    ``sessions`` makes the sessions (the import's own, and one for the progress commits, so
    the counts are visible while the import's transaction is open); a Session is used for the
    import itself. A finished job is left as it is (a second delivery of its task); a job
    left running by a worker that died starts again from scratch (it committed nothing).
    Any failure (a source that cannot be read, a strict refusal, a database that refuses a
    record) is recorded as failed, with nothing of the import written, and returned.
    """
    if isinstance(sessions, Session):
        main, factory = sessions, sessionmaker(bind=sessions.get_bind(),
                                               expire_on_commit=False)
    else:
        main, factory = sessions(), sessions
    side = factory()
    try:
        return _run(main, side, job_id)
    finally:
        side.close()
        if main is not sessions:
            main.close()


def _run(main: Session, side: Session, job_id: str) -> dict:
    job = side.get(ImportJob, job_id, options=[undefer(ImportJob.payload)])
    if job is None:
        raise LookupError(f"no import job {job_id!r}")
    if job.status in FINISHED:
        return job_view(job)
    if job.status == "written":  # committed; the worker stopped before recording the rest
        _finish(side, job, "done", detail="imported; the worker stopped before it recorded "
                "the summary")
        return job_view(job)
    attempts = int((job.options or {}).get("attempts", 0))
    if attempts >= MAX_ATTEMPTS:  # a feed that kills its worker must not loop for ever
        _finish(side, job, "failed", detail=f"its worker was lost {attempts} times (out of "
                "memory?); nothing was imported")
        return job_view(job)
    now = utcnow()
    job.options = {**(job.options or {}), "attempts": attempts + 1}
    job.status, job.started_at, job.heartbeat_at, job.finished_at = "running", now, now, None
    job.read = job.admitted = job.held = job.rejected = 0
    job.result, job.detail = None, "reading"
    side.commit()
    options = job.options or {}
    fetch = _fetcher(job)
    locations = options.get("locations") or [job.source]
    progress = _Progress(side, job, main)
    written = _mark_written(main, job.id)
    try:
        with _profile(job) as profile:
            if job.total is None:
                job.total = sum(count_records(location, fetch, format=job.format,
                                              profile=load_profile_named(profile))
                                for location in locations)
                side.commit()
            batch = read_batch(locations, format=job.format, profile=profile,
                               free_access=bool(options.get("free_access")), fetch=fetch,
                               progress=progress.read)
        progress.read(batch.counts(), force=True)
        progress.start_writing(len(batch.resources))
        result = write_batch(main, batch, dry_run=bool(options.get("dry_run")),
                             strict=bool(options.get("strict")), job_id=job.id,
                             progress=progress.wrote)
    except (DataError, StrictRefusal) as exc:
        main.rollback()
        _failed(side, job, f"{exc}; nothing was imported" if isinstance(exc, DataError)
                else str(exc))
        return job_view(job)
    except Exception as exc:
        main.rollback()
        log.exception("import job %s failed", job.id)
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        _failed(side, job, f"{type(exc).__name__}: {reason}; nothing was imported")
        return job_view(job)
    finally:
        event.remove(main, "before_commit", written)
    dry_run = bool(options.get("dry_run"))
    index_task = notify_index_changes() if result.changed and not dry_run else None
    outcome = {**result.as_dict(), "summary": result.summary(), "dry_run": dry_run,
               "rejected_reasons": [str(e) for e in batch.errors[:REASONS_KEPT]],
               "held_reasons": [str(item.error) for item in batch.held[:REASONS_KEPT]]}
    job.index_task = index_task
    _finish(side, job, "done", result=outcome)
    log.info("import job %s: %s", job.id, result.summary())
    return job_view(job)








class _Progress:
    """Counts committed on the side session while the import runs."""

    def __init__(self, side: Session, job: ImportJob, main: Session):
        self.side, self.job, self.main = side, job, main
        self.last = 0.0
        self.to_write = self.written = 0

    def read(self, counts: dict[str, int], force: bool = False) -> None:
        if not self._due(force):
            return
        job = self.job
        job.read, job.admitted = counts["read"], counts["admitted"]
        job.held, job.rejected = counts["held"], counts["rejected"]
        self._commit()

    def start_writing(self, count: int) -> None:
        self.to_write = count
        self.job.detail = f"writing {count:,} admitted records"
        self._commit()

    def wrote(self, count: int) -> None:
        self.written += count
        if self._due(False) and not self._holds_sqlite_lock():
            self.job.detail = f"writing: {self.written:,} of {self.to_write:,} admitted records"
            self._commit()

    def _holds_sqlite_lock(self) -> bool:
        """True once the import's own connection writes to SQLite: it holds the one write
        lock until it commits, so a commit here would wait on it (and time out)."""
        if self.main.get_bind().dialect.name != "sqlite":
            return False
        raw = self.main.connection().connection.dbapi_connection
        return bool(getattr(raw, "in_transaction", False))

    def _due(self, force: bool) -> bool:
        return force or time.monotonic() - self.last >= PROGRESS_SECONDS

    def _commit(self) -> None:
        self.job.heartbeat_at = utcnow()
        self.side.commit()
        self.last = time.monotonic()


def _mark_written(main: Session, job_id: str):
    """Mark the job written inside the import's own transaction: a job found running was
    interrupted before its import committed (so it can start again from scratch), and one
    found written was interrupted after (so it must not import twice)."""

    def mark(session: Session) -> None:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            status="written", heartbeat_at=utcnow()))

    event.listen(main, "before_commit", mark)
    return mark


def _fetcher(job: ImportJob) -> Callable[[str], str]:
    payload = job.payload
    if not (job.options or {}).get("documents"):
        return lambda _location: payload
    documents = json.loads(payload)

    def fetch(location: str) -> str:
        if location not in documents:
            raise DataError("was not read when the import job was made", source=location)
        return documents[location]

    return fetch


@contextmanager
def _profile(job: ImportJob) -> Iterator[str | None]:
    """The profile to read with: a shipped one by name, or the job's copy of a profile file
    written to a temporary file (read_batch takes a name or a path)."""
    text = (job.options or {}).get("profile_text")
    if not job.profile or text is None:
        yield job.profile
        return
    with tempfile.TemporaryDirectory(prefix="import-profile-") as folder:
        name = Path(job.profile).name
        path = Path(folder) / (name if name.lower().endswith((".yaml", ".yml"))
                               else f"{name}.yaml")
        path.write_text(text, encoding="utf-8")
        yield str(path)




def _failed(side: Session, job: ImportJob, detail: str) -> None:
    side.rollback()
    side.refresh(job)
    if job.status in ("written", "done"):  # another delivery of this task finished it
        return
    _finish(side, job, "failed", detail=detail[:2000])


def _finish(side: Session, job: ImportJob, status: str, **fields) -> None:
    job.status = status
    job.finished_at = job.heartbeat_at = utcnow()
    job.detail = None
    for name, value in fields.items():
        setattr(job, name, value)
    side.commit()


