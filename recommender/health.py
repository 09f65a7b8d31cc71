"""Liveness and readiness: ``/healthz`` (the process answers) and ``/readyz`` (it can serve)."""

from __future__ import annotations

import redis
from flask import Blueprint, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from recommender import db
from recommender.problems import Problem
from recommender.services import index_holder

bp = Blueprint("health", __name__)
BROKER_TIMEOUT = 1.0  # seconds; a probe must answer well inside the orchestrator's timeout


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready when the database answers, an index version is loaded and the broker answers."""
    checks = {"database": _database(), "index": _index()}
    if current_app.config.get("REDIS_URL"):
        checks["broker"] = _broker()
    failing = [name for name, check in checks.items() if check["status"] != "ok"]
    if failing:
        raise Problem(503, "Not ready", f"failing: {', '.join(failing)}", kind="not-ready",
                      errors=[{"check": name, "detail": checks[name]["detail"]}
                              for name in failing],
                      headers={"Retry-After": "10"})
    return {"status": "ready", "checks": checks}


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


def _index() -> dict:
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
    return check


def _broker() -> dict:
    try:
        redis_client().ping()
    except (redis.RedisError, OSError) as exc:
        return {"status": "failing", "detail": f"the broker did not answer: {_first_line(exc)}"}
    return {"status": "ok"}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
