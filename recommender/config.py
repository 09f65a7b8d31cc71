"""Configuration: environment variables with embedded defaults, read once per app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from catalogue.licences import parse_allowlist
from indexes.embedding import BACKENDS, DEFAULT_MODEL
from indexes.vectors import INDEX_KINDS

# Environment variable -> (config key, default, description). The README's table lists these.
ENVIRONMENT = {
    "DATABASE_URL": "SQLAlchemy URL; default a SQLite file under VAR_DIR",
    "REDIS_URL": "Redis URL for the Celery broker and results; unset: an embedded SQLite broker",
    "INDEX_DIR": "Folder of index versions; default VAR_DIR/indexes",
    "EMBEDDING_MODEL": f"sentence-transformers model; default {DEFAULT_MODEL} (packaged, offline)",
    "EMBEDDING_BACKEND": "torch (default), onnx (ONNX Runtime on a local export of the model, "
                         "made once under VAR_DIR/models) or onnx-int8 (that export with int8 "
                         "weights: fastest, vectors slightly different)",
    "VAR_DIR": "Folder for the embedded database, broker and indexes; default ./var",
    "INDEX_KEEP": "How many index versions to keep on disk; default 3",
    "INDEX_TYPE": "flat (exact, default) or hnsw (approximate, for very large catalogues)",
    "INDEX_STORE": "Where hosts get index versions: files (default: INDEX_DIR alone, shared "
                   "by every process of the deployment) or database (also copied into the "
                   "database after each build, and pulled from there into each web host's "
                   "own INDEX_DIR; docs/architecture.md, 'Deploying across hosts')",
    "INDEX_POLL_SECONDS": "With INDEX_STORE=database: how often each web process looks for a "
                          "new version in the database; default 2",
    "INDEX_COMPACT_DELTAS": "Incremental deltas over an index version after which a task "
                            "folds them into a new full version; default 64",
    "INDEX_COMPACT_SHARE": "Share of an index version's resources changed by its deltas after "
                           "which they are folded in; default 0.02",
    "RECOMMENDATION_MAX_LIMIT": "Largest 'limit' a recommendation request may ask for; default 50",
    "INDEX_CHECK_SECONDS": "How often Celery beat checks that the index holds exactly the "
                           "database's resources; default 900",
    "OUTBOX_CHECK_SECONDS": "How often Celery beat applies catalogue changes whose index update "
                            "could not be queued (the broker was down); default 30",
    "BROKER_VISIBILITY_SECONDS": "With Redis: seconds after which a task taken by a worker "
                                 "that died is delivered again; default 600",
    "LICENCE_ALLOWLIST": "Comma-separated licence ids admitted to the catalogue; default all "
                         "known open licences plus the free-access marker",
    "COVERAGE_MIN_LEARNERS": "Fewest learners a coverage demand figure may count before it is "
                             "suppressed (shown without a number); default 5",
    "LOG_FORMAT": "json (one object per line) or text; default text when stderr is a "
                  "terminal, else json",
    "LOG_LEVEL": "Level of the web processes' logs (Celery takes --loglevel); default INFO",
    "OPEN_READ": "Read scopes open without an API key: comma-separated recommend, "
                 "catalogue:read, coverage:read, framework, or none; default "
                 "recommend,catalogue:read,framework",
    "RATE_LIMIT": "Requests allowed per API key (or per client address without one); "
                  "default 600/minute;20/second",
    "RATE_LIMIT_ENABLED": "true or false; default true (false in the test config)",
    "MAX_REQUEST_BYTES": "Largest request body accepted (413 above it); default 2097152 (2 MB)",
    "BATCH_MAX": "Most recommendation requests in one batch; default 50",
    "IMPORT_JOB_THRESHOLD": "An import of more records than this (recommender import, the "
                            "curator page) runs on the worker as a job; default 500",
    "IMPORT_MAX_BYTES": "Largest catalogue file POST /api/v1/imports and the curator page "
                        "accept (413 above it); default 52428800 (50 MB)",
    "SEARCH_THREADS": "Threads a web process gives one request (vector search, ranking "
                      "arithmetic, query encoding); default 1: gunicorn's workers give the "
                      "parallelism, and extra threads per request wait on each other when the "
                      "machine is busy",
    "SECRET_KEY": "Signs the web pages' session cookies and CSRF tokens (read by "
                  "recommender/web/session_key.py); set the same value on every replica; unset: "
                  "a random key kept in VAR_DIR/secret_key",
    "SESSION_COOKIE_SECURE": "true to send the pages' session cookie over HTTPS only; default "
                             "false",
    "CORS_ORIGINS": "Comma-separated browser origins allowed to call the API (* for any); "
                    "default none: no CORS headers",
}
INDEX_STORES = ("files", "database")  # the first is the default
OPEN_READ_SCOPES = ("recommend", "catalogue:read", "coverage:read", "framework")
DEFAULT_OPEN_READ = "recommend,catalogue:read,framework"


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style postgres:// URLs and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def from_environment(env: os._Environ | dict | None = None) -> dict:
    """Build the app's config mapping from environment variables."""
    env = os.environ if env is None else env
    var_dir = Path(env.get("VAR_DIR") or "var").resolve()
    redis_url = env.get("REDIS_URL") or None
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'recommender.storage.db'}"
    return {
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": normalise_database_url(database_url),
        "REDIS_URL": redis_url,
        "INDEX_DIR": str(Path(env.get("INDEX_DIR") or var_dir / "indexes").resolve()),
        "INDEX_KEEP": int(env.get("INDEX_KEEP") or 3),
        "INDEX_TYPE": _choice(env, "INDEX_TYPE", INDEX_KINDS),
        "INDEX_STORE": _index_store(env),
        "INDEX_POLL_SECONDS": _seconds(env, "INDEX_POLL_SECONDS", 2.0),
        "INDEX_COMPACT_DELTAS": _positive(env, "INDEX_COMPACT_DELTAS", 64),
        "INDEX_COMPACT_SHARE": _share(env, "INDEX_COMPACT_SHARE", 0.02),
        "INDEX_CHECK_SECONDS": float(env.get("INDEX_CHECK_SECONDS") or 900),
        "EMBEDDING_MODEL": env.get("EMBEDDING_MODEL") or DEFAULT_MODEL,
        "EMBEDDING_BACKEND": _choice(env, "EMBEDDING_BACKEND", BACKENDS),
        "RECOMMENDATION_MAX_LIMIT": int(env.get("RECOMMENDATION_MAX_LIMIT") or 50),
        "LICENCE_ALLOWLIST": parse_allowlist(env.get("LICENCE_ALLOWLIST")),
        "COVERAGE_MIN_LEARNERS": _positive(env, "COVERAGE_MIN_LEARNERS", 5),
        # the first choice is the default: text on a terminal, json for a log collector
        "LOG_FORMAT": _choice(env, "LOG_FORMAT", ("text", "json") if _terminal()
                              else ("json", "text")),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").upper(),
        "OPEN_READ": _open_read(env.get("OPEN_READ") or DEFAULT_OPEN_READ),
        "RATE_LIMIT": env.get("RATE_LIMIT") or "600/minute;20/second",
        # None: on, except in an app built with TESTING (recommender.access.limits decides)
        "RATE_LIMIT_ENABLED": _flag(env, "RATE_LIMIT_ENABLED"),
        "MAX_REQUEST_BYTES": int(env.get("MAX_REQUEST_BYTES") or 2 * 1024 * 1024),
        "BATCH_MAX": int(env.get("BATCH_MAX") or 50),
        "IMPORT_JOB_THRESHOLD": _positive(env, "IMPORT_JOB_THRESHOLD", 500),
        "IMPORT_MAX_BYTES": _positive(env, "IMPORT_MAX_BYTES", 50 * 1024 * 1024),
        "SEARCH_THREADS": _positive(env, "SEARCH_THREADS", 1),
        "CORS_ORIGINS": frozenset(o.strip().rstrip("/") for o in
                                  (env.get("CORS_ORIGINS") or "").split(",") if o.strip()),
        "CELERY": celery_settings(redis_url, var_dir,
                                  float(env.get("INDEX_CHECK_SECONDS") or 900),
                                  float(env.get("BROKER_VISIBILITY_SECONDS") or 600),
                                  float(env.get("OUTBOX_CHECK_SECONDS") or 30)),
    }


def celery_settings(redis_url: str | None, var_dir: Path, check_seconds: float = 900,
                    visibility_seconds: float = 600, outbox_seconds: float = 30) -> dict:
    """Celery over Redis when REDIS_URL is set, else over embedded SQLite files."""
    if redis_url:
        broker, backend = redis_url, redis_url
    else:
        broker = f"sqla+sqlite:///{var_dir / 'broker.db'}"
        backend = f"db+sqlite:///{var_dir / 'results.db'}"
    return {
        "broker_url": broker,
        "result_backend": backend,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "include": ["workers.tasks"],
        # an exact name wins over the pattern: imports are database work on the default queue
        "task_routes": {"workers.tasks.import_catalogue": {"queue": "celery"},
                        "workers.tasks.*": {"queue": "indexing"}},
        "broker_connection_retry_on_startup": True,
        "worker_max_tasks_per_child": 200,
        "worker_prefetch_multiplier": 1,
        "task_acks_late": True,
        "result_expires": 3600,
        # a task whose worker died unacknowledged is delivered again after this long
        # only Redis redelivers by visibility timeout; the SQLAlchemy transport rejects it
        "broker_transport_options": _transport_options(visibility_seconds) if redis_url else {},
        # Redis results: give up reconnecting after three retries rather than twenty (a web
        # request that queues a task must not hang while Redis is down)
        "result_backend_transport_options": {"retry_policy": {"max_retries": 3}}
        if redis_url else {},
        "beat_schedule": {"check-index": {"task": "workers.tasks.check_index",
                                          "schedule": check_seconds},
                          # changes committed while the broker was down: the outbox kept them
                          "flush-outbox": {"task": "workers.tasks.flush_outbox",
                                           "schedule": outbox_seconds}},
        "beat_schedule_filename": str(var_dir / "celerybeat-schedule"),
    }


def _transport_options(visibility_seconds: float) -> dict:
    """Redis redelivery: kombu sweeps for abandoned tasks about every 100 s by default; a
    short visibility timeout needs a sweep at least as often to mean anything."""
    options = {"visibility_timeout": visibility_seconds}
    if visibility_seconds < 100:
        options.update(unacked_restore_interval=max(1, int(visibility_seconds // 3)),
                       unacked_restore_throttle=1)
    return options


def _terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def _choice(env, name: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or allowed[0]).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _index_store(env) -> str:
    if (env.get("INDEX_STORE") or "").strip().lower() == "s3":
        raise ValueError("INDEX_STORE=s3 is not offered: no S3-compatible server could be run "
                         "and tested here, so it is designed on paper only (docs/architecture.md, "
                         "'Deploying across hosts'); use database")
    return _choice(env, "INDEX_STORE", INDEX_STORES)


def _seconds(env, name: str, default: float) -> float:
    raw = (env.get(name) or str(default)).strip()
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a number of seconds above 0, not {raw!r}")
    return value


def _share(env, name: str, default: float) -> float:
    raw = (env.get(name) or str(default)).strip()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be a share above 0 and at most 1, not {raw!r}")
    return value


def _positive(env, name: str, default: int) -> int:
    raw = (env.get(name) or str(default)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _open_read(value: str) -> frozenset[str]:
    scopes = frozenset(s.strip().lower() for s in value.split(",") if s.strip()) - {"none"}
    unknown = scopes - set(OPEN_READ_SCOPES)
    if unknown:
        raise ValueError(f"OPEN_READ may name {', '.join(OPEN_READ_SCOPES)} or none, not "
                         f"{', '.join(sorted(unknown))}")
    return scopes


def _flag(env, name: str) -> bool | None:
    value = (env.get(name) or "").strip().lower()
    if not value:
        return None
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("1", "true", "yes", "on")
