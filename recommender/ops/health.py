"""Liveness and readiness: ``/healthz`` (the process answers) and ``/readyz`` (it can serve).

Readiness fails (503) only on what recommendations need: the database, a loaded index, and a
worker done warming up (its model, index version and snapshot loaded before its first request).
A broker that does not answer, or an index build that failed, leaves the process serving
from the index it holds (catalogue changes wait in the outbox), so they make it ``degraded``:
200, with the failing check named, and taking the replica out of a load balancer would only
turn a partial outage into a full one (docs/reliability.md).
"""

from __future__ import annotations

import redis
from flask import Blueprint, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from recommender.indexing.build import pending_changes
from recommender.indexing.serving import index_holder
from recommender.problems import Problem
from recommender.storage import db
from recommender.storage.models import IndexBuild

bp = Blueprint("health", __name__)
BROKER_TIMEOUT = 1.0  # seconds; a probe must answer well inside the orchestrator's timeout
CRITICAL = ("database", "index", "warm_up")  # without these no request can be served well


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready when the database answers and an index version is loaded; degraded (still 200)
    when the broker does not answer or the last index build failed."""
    database = _database()
    checks = {"database": database, "index": _index(database["status"] == "ok")}
    if current_app.extensions.get("warming"):
        checks["warm_up"] = {"status": "failing", "detail": "loading the embedding model, "
                             "index version and catalogue snapshot before taking requests"}
    if current_app.config.get("REDIS_URL"):
        checks["broker"] = _broker()
    failing = [name for name, check in checks.items() if check["status"] != "ok"]
    if any(name in CRITICAL for name in failing):
        raise Problem(503, "Not ready", f"failing: {', '.join(failing)}", kind="not-ready",
                      errors=[{"check": name, "detail": checks[name]["detail"]}
                              for name in failing],
                      headers={"Retry-After": "10"})
    degraded = failing or checks["index"].get("last_build", {}).get("status") == "failed"
    return {"status": "degraded" if degraded else "ready", "checks": checks}


def redis_client() -> redis.Redis:
    """A client for the broker with short timeouts and no retries, shared by the app's probes
    and metrics (it keeps a small connection pool)."""
    client = current_app.extensions.get("broker_redis")
    if client is None:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"],
                                      socket_timeout=BROKER_TIMEOUT,
                                      socket_connect_timeout=BROKER_TIMEOUT,
                                      retry=Retry(NoBackoff(), 0))
        current_app.extensions["broker_redis"] = client
    return client


def _database() -> dict:
    session = db.session()
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        session.rollback()
        return {"status": "failing", "detail": _first_line(exc)}
    return {"status": "ok"}


def _index(database_answers: bool = True) -> dict:
    holder = index_holder()
    version = holder.get()
    if version is None:
        detail = "no index version is loaded"
        if holder.last_error:
            detail += f"; the last load failed: {holder.last_error}"
        return {"status": "failing", "detail": detail}
    check = {"status": "ok", "version": version.name}
    if holder.last_error:  # a newer version failed to load; this one keeps serving
        check["last_error"] = holder.last_error
    if database_answers:
        check.update(_builds())
    return check


def _builds() -> dict:
    """The last finished index build (a failed one keeps the served version, and says why)
    and the catalogue changes waiting in the outbox; nothing when no build was recorded."""
    session = db.session()
    try:
        last = session.scalars(select(IndexBuild).where(IndexBuild.finished_at.is_not(None))
                               .order_by(IndexBuild.finished_at.desc()).limit(1)).first()
        pending = pending_changes(session)
    except SQLAlchemyError:
        session.rollback()
        return {}
    out = {}
    if last is not None:
        out["last_build"] = {"id": last.id, "kind": last.kind, "status": last.status,
                             "finished_at": last.finished_at.isoformat()}
        if last.status == "failed":
            out["last_build"]["detail"] = _first_line(Exception(last.detail or "failed"))
    if pending:
        out["pending_changes"] = pending
    return out


def _broker() -> dict:
    try:
        redis_client().ping()
    except (redis.RedisError, OSError) as exc:
        return {"status": "failing", "detail": f"the broker did not answer: {_first_line(exc)}"}
    return {"status": "ok"}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
