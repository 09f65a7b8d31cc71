"""Celery tasks: thin wrappers over recommender.indexing.build and
recommender.content.import_jobs that record progress in the database.

Every task is idempotent and safe to retry: a full build that finds nothing changed does
nothing, an update applies whatever the outbox holds when it runs, and an import job either
finished (and is left alone) or committed nothing (and starts again).
"""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app
from sqlalchemy.orm import Session

from indexes.store import IndexBusyError, IndexLoadError
from recommender.content.import_jobs import run_job
from recommender.indexing.build import apply_changes, pending_changes, repair_drift
from recommender.indexing.build import build_index as full_build
from recommender.indexing.compaction import compact, due
from recommender.indexing.serving import encoder, index_store
from recommender.problems import BrokerUnavailable
from recommender.storage import db
from recommender.storage.models import IndexBuild, utcnow
from recommender.storage.queue import enqueue_compaction

log = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=False, name="workers.tasks.build_index",
             acks_late=True, reject_on_worker_lost=True)
def build_index(self, force: bool = False) -> dict:
    """Embed the whole catalogue and publish a new index version unless nothing changed."""
    session = db.session()
    task_id = self.request.id or "inline"
    _start(session, task_id, "full")

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})
        record = session.get(IndexBuild, task_id)
        record.done, record.total = done, total
        session.commit()

    return _run(session, task_id, lambda: full_build(session, index_store(), encoder(),
                                                     force=force, progress=progress,
                                                     index_type=_index_type()))


@shared_task(bind=True, ignore_result=False, name="workers.tasks.update_index",
             acks_late=True, reject_on_worker_lost=True, max_retries=30)
def update_index(self) -> dict:
    """Apply pending catalogue changes to the index without re-encoding everything."""
    session = db.session()
    task_id = self.request.id or "inline"
    _start(session, task_id, "incremental")
    try:
        outcome = _run(session, task_id, lambda: apply_changes(
            session, index_store(), encoder(), index_type=_index_type()))
    except IndexBusyError as exc:  # a full build is running; it or this retry will catch up
        raise self.retry(exc=exc, countdown=2) from exc
    _compact_when_due()
    return outcome


@shared_task(bind=True, name="workers.tasks.flush_outbox", acks_late=True)
def flush_outbox(self) -> dict:
    """Scheduled (Celery beat): apply catalogue changes whose update was never queued (the
    broker was down when they committed, so only the outbox holds them). Cheap when the
    outbox is empty: one count, no build recorded."""
    session = db.session()
    waiting = pending_changes(session)
    if not waiting:
        return {"pending": 0}
    task_id = self.request.id or "inline"
    _start(session, task_id, "incremental")
    try:
        outcome = _run(session, task_id, lambda: apply_changes(
            session, index_store(), encoder(), index_type=_index_type()))
    except IndexBusyError:  # a build is running; it or the next tick applies them
        _finish(session, task_id, "skipped", detail="a build is running")
        return {"pending": waiting, "skipped": "a build is running"}
    _compact_when_due()
    return outcome


@shared_task(bind=True, ignore_result=False, name="workers.tasks.compact_index",
             acks_late=True, reject_on_worker_lost=True, max_retries=30)
def compact_index(self) -> dict:
    """Fold the deltas over the current index version into a new full version (nothing is
    encoded again); queued by an update whose deltas have grown, and checked by beat."""
    session = db.session()
    task_id = self.request.id or "inline"
    _start(session, task_id, "compaction")
    try:
        return _run(session, task_id, lambda: compact(index_store()))
    except IndexBusyError as exc:  # a build is running: it or this retry will do it
        raise self.retry(exc=exc, countdown=2) from exc


def _compact_when_due() -> None:
    """Queue a compaction when the deltas over the current version have grown; the beat's
    index check queues it too, should this send fail."""
    config = current_app.config
    try:
        version = index_store().load()
    except (IndexLoadError, OSError):
        return
    if due(version, config["INDEX_COMPACT_DELTAS"], config["INDEX_COMPACT_SHARE"]):
        try:
            enqueue_compaction()
        except BrokerUnavailable as exc:
            log.warning("index compaction not queued: %s", exc)


@shared_task(bind=True, name="workers.tasks.import_catalogue", acks_late=True,
             reject_on_worker_lost=True)
def import_catalogue(self, job_id: str) -> dict:
    """Run one catalogue import job (recommender.content.import_jobs): all or nothing, with its
    counts committed as it goes. Delivered again when its worker dies, it starts from scratch."""
    view = run_job(current_app.extensions["db"], job_id)
    return {"id": view["id"], "status": view["status"], "counts": view["counts"]}


@shared_task(name="workers.tasks.check_index", ignore_result=False)
def check_index() -> dict:
    """Scheduled (Celery beat): make the index hold exactly the database's resources."""
    try:
        checked = repair_drift(db.session(), index_store(), encoder(), _index_type())
    except IndexBusyError:
        return {"skipped": "a build is running"}
    _compact_when_due()
    return checked


def _index_type() -> str:
    return current_app.config["INDEX_TYPE"]


def _start(session: Session, task_id: str, kind: str) -> None:
    record = session.get(IndexBuild, task_id)
    if record is None:  # sent by something that did not record it (celery call, beat)
        record = IndexBuild(id=task_id)
        session.add(record)
    record.status, record.kind = "running", kind
    session.commit()


def _run(session: Session, task_id: str, work) -> dict:
    try:
        outcome = work()
    except Exception as exc:
        session.rollback()
        _finish(session, task_id, "failed", detail=str(exc)[:2000])
        log.exception("index task %s failed", task_id)
        raise
    _finish(session, task_id, outcome.status, version=outcome.version, count=outcome.count)
    log.info("index task %s: %s %s (%d changed)", task_id, outcome.status, outcome.version,
             outcome.changed)
    return {"status": outcome.status, "version": outcome.version, "count": outcome.count,
            "changed": outcome.changed}


def _finish(session: Session, task_id: str, status: str, **fields) -> None:
    record = session.get(IndexBuild, task_id)
    record.status = status
    record.finished_at = utcnow()
    for key, value in fields.items():
        setattr(record, key, value)
    session.commit()
