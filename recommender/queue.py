"""The Celery app the Flask app configures, and enqueueing by task name.

The web side never imports ``workers``: tasks are sent by name, so the dependency direction
stays recommender <- workers (ARCHITECTURE.md).
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, current_app

BUILD_INDEX = "workers.tasks.build_index"


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
    """Queue an index build; returns the AsyncResult."""
    return celery().send_task(BUILD_INDEX, kwargs={"force": force}, queue="indexing")
