"""Structured logs: one JSON object per line, each carrying the request id (and the task id
inside a Celery task).

The request id comes from the caller's ``X-Request-ID`` header when it is safe to log, or is
generated; it is echoed in the response, kept in ``flask.g.request_id``, sent with every task
the request enqueues (``recommender.storage.queue``) and put back on the task's log records in the
worker (``init_celery``). Handlers are installed by the process entry points only
(``recommender.wsgi`` and the Celery signal below), so the command line and the tests keep
Python's default logging.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request
from pythonjsonlogger import json as json_logger
from pythonjsonlogger.core import RESERVED_ATTRS

HEADER = "X-Request-ID"
# up to 64 characters that are safe in a log line and a header: no spaces, quotes or controls
_SAFE_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,64}")
# probes and scrapes arrive every few seconds; their access lines are debug noise
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                           default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
access_log = logging.getLogger("recommender.access")


def current_request_id() -> str | None:
    """The id of the request or task being handled in this context, if any."""
    return request_id_var.get()


def valid_request_id(value: str | None) -> bool:
    return bool(value) and _SAFE_ID.fullmatch(value) is not None


class ContextFilter(logging.Filter):
    """Puts the current request id (None outside a request) and, inside a task, the task id
    on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        task_id = task_id_var.get()
        if task_id:
            record.task_id = task_id
        return True


class JsonFormatter(json_logger.JsonFormatter):
    """python-json-logger's formatter with our field names: one JSON object per line with
    time (UTC, ISO 8601), level, logger, message, request_id (None on records that did not pass
    ``ContextFilter``, such as gunicorn's), then the record's ``extra`` keys (task_id in a task,
    an access line's method, path, status, duration_ms) and exception or stack when there is
    one."""

    def __init__(self):
        super().__init__(
            ["levelname", "name", "message", "request_id"],
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception",
                           "stack_info": "stack"},
            timestamp="time",
            # Celery repeats a task line's arguments as extra={"data": ...}: already in message
            reserved_attrs=[*RESERVED_ATTRS, "data"],
        )


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal; the ids in brackets when there are any."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [i for i in (getattr(record, "request_id", None), getattr(record, "task_id", None))
               if i]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (test runners swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(fmt: str = "json", level: str | int = "INFO") -> logging.Handler:
    """Send the root logger's records to stderr as JSON or text lines; idempotent."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def unconfigure() -> None:
    """Remove the handler ``configure`` installed (tests)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)


def init_app(app: Flask) -> None:
    """Give every request an id and write one access line per request."""
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)


def _start_request() -> None:
    given = request.headers.get(HEADER)
    g.request_id = given if valid_request_id(given) else uuid.uuid4().hex
    g.request_id_token = request_id_var.set(g.request_id)
    g.request_began = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    req = request._get_current_object()  # one context lookup, not one per attribute
    level = logging.DEBUG if req.path in _QUIET_PATHS else logging.INFO
    if not access_log.isEnabledFor(level):
        return response
    began = g.get("request_began")
    millis = round((time.perf_counter() - began) * 1000, 1) if began else None
    access_log.log(level, "%s %s %s %sms", req.method, req.path, response.status_code, millis,
                   extra={"method": req.method, "path": req.path,
                          "status": response.status_code, "duration_ms": millis})
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def init_celery(fmt: str, default_level: str = "INFO") -> None:
    """Worker and beat side: our log lines instead of Celery's, and the ids of the running
    task (with the request id sent by the web app as a task header) on its records."""
    from celery import signals  # local: only the worker and beat need Celery's signals

    def setup_logging(loglevel=None, **_kwargs) -> None:
        configure(fmt, loglevel or default_level)

    # a receiver of setup_logging stops Celery from installing its own handlers
    signals.setup_logging.connect(setup_logging, weak=False, dispatch_uid="recommender.logs")
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="recommender.logs")
    signals.task_postrun.connect(_task_ended, weak=False, dispatch_uid="recommender.logs")


_task_tokens: dict[str, tuple[contextvars.Token, contextvars.Token]] = {}


def task_request_id(task) -> str | None:
    """The request id a task was sent with: a message header over a broker, or in
    ``request.headers`` when the task runs eagerly."""
    value = getattr(task.request, "request_id", None) or \
        (getattr(task.request, "headers", None) or {}).get("request_id")
    return value if valid_request_id(value) else None


def _task_started(task_id=None, task=None, **_kwargs) -> None:
    _task_tokens[task_id] = (request_id_var.set(task_request_id(task)), task_id_var.set(task_id))


def _task_ended(task_id=None, **_kwargs) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens is None:
        return
    try:
        request_id_var.reset(tokens[0])
        task_id_var.reset(tokens[1])
    except ValueError:  # ended in another context than it started (not with our pools)
        request_id_var.set(None)
        task_id_var.set(None)
