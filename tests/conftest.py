"""Shared fixtures: real model, real FAISS, real databases; nothing of ours is faked."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from indexes.embedding import DEFAULT_MODEL, get_encoder, set_encoder_threads
from indexes.vectors import set_search_threads
from recommender import create_app, logs
from recommender.content.framework import load_framework as store_framework
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db, migrate

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# property tests (tests/test_properties_*.py): "bounded" keeps all of them under a minute in
# `make test`; HYPOTHESIS_PROFILE=thorough searches far longer
settings.register_profile("bounded", max_examples=60, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))


def pytest_configure(config):
    """Under pytest-xdist (`make test` runs one process per core), each process computes on
    its share of the cores: two processes of two threads each on two cores wait for each
    other (encoding the shipped catalogue twice at once: 25 s on one thread each, 33 s on
    two). Only this process: the servers and workers a test starts keep their defaults."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        threads = max(1, (os.cpu_count() or 1) // workers)
        set_encoder_threads(threads)
        set_search_threads(threads)


@pytest.fixture(scope="session")
def encoder():
    """The packaged embedding model, loaded once: importing torch is the slow part."""
    return get_encoder(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def framework():
    return load_framework()


@pytest.fixture(scope="session")
def shipped_resources(framework):
    """Every resource of the shipped catalogue, validated."""
    batch = read_resources(shipped_files(), framework)
    assert not batch.errors, [str(e) for e in batch.errors]
    return batch.resources


def app_config(folder: Path, database_url: str | None = None, **extra) -> dict:
    """Config for an app whose database, broker files and indexes live in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "TESTING": True,
        "VAR_DIR": str(folder),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'recommender.storage.db'}",
        "INDEX_DIR": str(folder / "indexes"),
        "CELERY": {"task_always_eager": True, "broker_url": "memory://",
                   "result_backend": "cache+memory://", "include": ["workers.tasks"]},
        **extra,
    }


def api_document() -> dict:
    """The OpenAPI document of an app with the default settings, for parametrizing tests at
    collection time (building it needs no database)."""
    from recommender.contract.openapi.document import build

    with tempfile.TemporaryDirectory(prefix="openapi-") as folder:
        return build(create_app(app_config(Path(folder))))


def prepared_app(folder: Path, framework, resources, database_url: str | None = None, **extra):
    """An app with its schema migrated and the framework and resources loaded."""
    app = create_app(app_config(folder, database_url, **extra))
    with app.app_context():
        migrate.upgrade(db.engine())
        if framework is not None:
            store_framework(db.session(), framework)
        upsert_resources(db.session(), list(resources))
    return app


@pytest.fixture(scope="session")
def served_app(tmp_path_factory, framework, shipped_resources, encoder):
    """An app over the whole shipped catalogue with a built index; for read-only tests."""
    app = prepared_app(tmp_path_factory.mktemp("served"), framework, shipped_resources)
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    return app


@pytest.fixture
def client(served_app):
    return served_app.test_client()


@pytest.fixture
def make_app():
    """Builds prepared apps and disposes their engines after the test, so no connection
    outlives its database."""
    apps = []

    def make(*args, **kwargs):
        app = prepared_app(*args, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db"].kw["bind"].dispose()


@pytest.fixture
def empty_app(tmp_path, framework, make_app):
    """A migrated app with the framework loaded but no resources and no index."""
    return make_app(tmp_path, framework, [])


@pytest.fixture
def postgres_url():
    """A throwaway PostgreSQL database on the local server, dropped afterwards."""
    name = f"rec_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.services,
                                                                      pytest.mark.postgres])])
def database_url(request, tmp_path):
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def log_format():
    """Install the service's log handler (as gunicorn's entry point does) and take it away
    afterwards, so no other test sees it."""
    root = logging.getLogger()
    level = root.level
    yield logs.configure
    logs.unconfigure()
    root.setLevel(level)
