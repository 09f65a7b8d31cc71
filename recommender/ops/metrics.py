"""Prometheus metrics at ``GET /metrics``.

Counted in the process as requests are served: requests and their latency per endpoint
(the Flask URL rule), method and status, and recommendations served. Read when scraped: the
index version being served and its age, the broker's queue lengths, and index builds (the
worker records every build in ``index_builds``, so build outcomes and durations come from
there and the worker needs no metrics endpoint of its own).

gunicorn runs several worker processes, and a scrape reaches only one of them. Set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder writable by the workers (docker-compose.yml
does, and ``recommender.ops.gunicorn_conf`` empties it at start and drops the files of exited
workers): every process then writes its counts there and each scrape sums all of them.
Without it each process reports only its own requests.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime

import redis
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from recommender.indexing.build import pending_changes
from recommender.indexing.serving import index_holder
from recommender.ops.health import redis_client
from recommender.storage import db
from recommender.storage.models import IndexBuild

RECOMMENDATIONS_ENDPOINT = "api.recommendations"
log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series: they double the output and nothing reads them


class Metrics:
    """The request metrics of one app, in a registry of its own (one per app, not global,
    so that every app a test builds starts from zero)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recommender_http_requests", "HTTP requests by endpoint, method and status",
            ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram(
            "recommender_http_request_duration_seconds", "Time to answer an HTTP request",
            ["endpoint", "method", "status"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.recommendations = Counter(
            "recommender_recommendations", "Recommendation lists served (status 200)",
            registry=self.registry)
        # each (rule, method, status)'s two series, looked up once: ``labels`` checks and
        # locks on every call (the rules and statuses an app answers with are few)
        self.series: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def of(self, labels: tuple[str, str, str]) -> tuple[Counter, Histogram]:
        found = self.series.get(labels)
        if found is None:
            found = self.series[labels] = (self.requests.labels(*labels),
                                           self.latency.labels(*labels))
        return found


def init_app(app: Flask) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:  # gunicorn_conf creates it at start; a process started otherwise may not
        os.makedirs(folder, exist_ok=True)
    app.extensions["metrics"] = Metrics()
    app.before_request(_start_timer)
    app.after_request(_count)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])


def metrics_view() -> Response:
    """The metrics in Prometheus text format."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(current_app.extensions["metrics"].registry)
    registry.register(StateCollector(current_app._get_current_object()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    g.metrics_began = time.perf_counter()


def _count(response: Response) -> Response:
    metrics: Metrics = current_app.extensions["metrics"]
    req = request._get_current_object()  # one context lookup, not one per attribute
    rule = req.url_rule.rule if req.url_rule is not None else "<unmatched>"
    status = response.status_code
    requests, latency = metrics.of((rule, req.method, str(status)))
    requests.inc()
    began = g.get("metrics_began")
    if began is not None:
        latency.observe(time.perf_counter() - began)
    if req.endpoint == RECOMMENDATIONS_ENDPOINT and status == 200:
        metrics.recommendations.inc()
    return response


class StateCollector(Collector):
    """What is read when scraped: the index, the queues and the builds the worker recorded."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        with self.app.app_context():
            yield from self._index()
            yield from self._queues()
            yield from self._builds()

    def _index(self):
        holder = index_holder()
        version = holder.get()
        yield GaugeMetricFamily("recommender_index_load_failing",
                                "1 when the newest published index version failed to load (a "
                                "previous one, if any, keeps serving)",
                                value=1 if holder.last_error else 0)
        if version is None:
            return
        info = InfoMetricFamily("recommender_index", "The index version being served",
                                labels=["version", "model"])
        info.add_metric([version.name, str(version.manifest.get("model", ""))], {})
        yield info
        yield GaugeMetricFamily("recommender_index_resources", "Resources in the served index",
                                value=version.vectors.count)
        created = _parse_time(version.manifest.get("created"))
        if created is not None:
            yield GaugeMetricFamily("recommender_index_age_seconds",
                                    "Seconds since the served index version was built",
                                    value=(datetime.now(UTC) - created).total_seconds())

    def _queues(self):
        if not self.app.config.get("REDIS_URL"):
            return
        names = _queue_names(self.app.config["CELERY"])
        up = GaugeMetricFamily("recommender_broker_up", "1 when the broker answered this scrape")
        try:
            client = redis_client()
            lengths = {name: client.llen(name) for name in names}
        except (redis.RedisError, OSError) as exc:
            log.warning("queue lengths not read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        gauge = GaugeMetricFamily("recommender_queue_length", "Tasks waiting in a broker queue",
                                  labels=["queue"])
        for name, length in sorted(lengths.items()):
            gauge.add_metric([name], length)
        yield gauge

    def _builds(self):
        session = db.session()
        try:
            pending = pending_changes(session)
            counts = session.execute(select(IndexBuild.kind, IndexBuild.status, func.count())
                                     .group_by(IndexBuild.kind, IndexBuild.status)).all()
            last = {}
            for kind in sorted({kind for kind, _, _ in counts}):
                last[kind] = session.scalars(
                    select(IndexBuild).where(IndexBuild.kind == kind,
                                             IndexBuild.finished_at.is_not(None))
                    .order_by(IndexBuild.finished_at.desc()).limit(1)).first()
        except SQLAlchemyError as exc:
            session.rollback()
            log.warning("index builds not read: %s", exc)
            return
        yield GaugeMetricFamily("recommender_index_pending_changes",
                                "Catalogue changes committed but not yet in the index (outbox)",
                                value=pending)
        builds = GaugeMetricFamily("recommender_index_builds",
                                   "Index builds recorded, by kind and status (failed: failures)",
                                   labels=["kind", "status"])
        for kind, status, count in counts:
            builds.add_metric([kind, status], count)
        yield builds
        duration = GaugeMetricFamily("recommender_index_last_build_duration_seconds",
                                     "Seconds from queueing to the end of the last finished build",
                                     labels=["kind", "status"])
        finished = GaugeMetricFamily("recommender_index_last_build_finished_timestamp_seconds",
                                     "When the last build of each kind finished (Unix time)",
                                     labels=["kind", "status"])
        for kind, build in last.items():
            if build is None:
                continue
            end, start = _utc(build.finished_at), _utc(build.requested_at)
            duration.add_metric([kind, build.status], (end - start).total_seconds())
            finished.add_metric([kind, build.status], end.timestamp())
        yield duration
        yield finished


def _queue_names(celery_settings: dict) -> list[str]:
    """Celery's default queue and every queue tasks are routed to."""
    names = {celery_settings.get("task_default_queue", "celery")}
    for route in (celery_settings.get("task_routes") or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


def _parse_time(value: str | None) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
