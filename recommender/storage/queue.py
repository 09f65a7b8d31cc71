"""The Celery app the Flask app configures, and enqueueing by task name.

The web side never imports ``workers``: tasks are sent by name, so the dependency direction
stays recommender <- workers (ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
import uuid

from celery import Celery, Task
from flask import Flask, current_app

from recommender.logs import current_request_id
from recommender.problems import BrokerUnavailable
from recommender.storage import db
from recommender.storage.models import IndexBuild

BUILD_INDEX = "workers.tasks.build_index"
UPDATE_INDEX = "workers.tasks.update_index"
COMPACT_INDEX = "workers.tasks.compact_index"
log = logging.getLogger(__name__)


def celery_init_app(app: Flask) -> Celery:
    """Flask's Celery pattern: every task runs inside an app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def celery() -> Celery:
    return current_app.extensions["celery"]


def enqueue_build(force: bool = False):
    """Queue a full index build; returns the AsyncResult."""
    return _send(BUILD_INDEX, "full", kwargs={"force": force})


def enqueue_update(*, wait_for_result: bool = True):
    """Queue an incremental index update; returns the AsyncResult.

    ``wait_for_result=False`` when nobody will wait for it: with a Redis result backend,
    Celery otherwise subscribes to the result before sending, which retries for about 20 s
    when Redis is down (progress stays visible in ``index_builds`` either way)."""
    return _send(UPDATE_INDEX, "incremental",
                 **({} if wait_for_result else {"ignore_result": True}))


def enqueue_compaction():
    """Queue the folding of the index's deltas into a new full version."""
    return _send(COMPACT_INDEX, "compaction", ignore_result=True)


def _send(name: str, kind: str, **options):
    """Record the build as queued (so its status is visible at once), then send the task."""
    task_id = str(uuid.uuid4())
    session = db.session()
    session.add(IndexBuild(id=task_id, kind=kind, status="queued"))
    session.commit()
    request_id = current_request_id()  # the worker puts it on the task's log lines
    headers = {"request_id": request_id} if request_id else None
    try:
        return celery().send_task(name, task_id=task_id, queue="indexing", headers=headers,
                                  **options)
    except Exception as exc:  # kombu and the result backends raise many kinds
        build = session.get(IndexBuild, task_id)
        build.status, build.detail = "not-queued", "the broker could not be reached"
        session.commit()
        raise BrokerUnavailable(f"the broker could not be reached: {exc}") from exc


def notify_index_changes() -> str | None:
    """Ask the worker to apply committed catalogue changes; returns the task id, or None when
    the broker cannot be reached (the changes wait in the outbox for the next update)."""
    try:
        return enqueue_update(wait_for_result=False).id
    except Exception as exc:  # kombu raises many kinds; the outbox keeps the work either way
        log.warning("index update not queued, it stays in the outbox: %s", exc)
        return None
