"""Celery tasks: thin wrappers that record their progress in the database."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from recommender import db
from recommender.indexing import build_index as build
from recommender.models import IndexBuild, utcnow
from recommender.services import encoder, index_store

log = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=False, name="workers.tasks.build_index")
def build_index(self, force: bool = False) -> dict:
    """Embed the catalogue and publish a new index version unless nothing changed."""
    session = db.session()
    task_id = self.request.id or "inline"
    record = session.get(IndexBuild, task_id) or IndexBuild(id=task_id)
    record.status = "running"
    session.merge(record)
    session.commit()
    try:
        outcome = build(session, index_store(), encoder(), force=force)
    except Exception as exc:
        session.rollback()
        _finish(session, task_id, "failed", detail=str(exc))
        log.exception("index build %s failed", task_id)
        raise
    _finish(session, task_id, outcome.status, version=outcome.version, count=outcome.count)
    current_app.logger.info("index build %s: %s %s", task_id, outcome.status, outcome.version)
    return {"status": outcome.status, "version": outcome.version, "count": outcome.count}


def _finish(session, task_id: str, status: str, **fields) -> None:
    record = session.get(IndexBuild, task_id)
    record.status = status
    record.finished_at = utcnow()
    for key, value in fields.items():
        setattr(record, key, value)
    session.commit()
