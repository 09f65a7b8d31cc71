"""Database down or restarted: requests answer 503 problem+json, connections recover by
themselves when it returns, and an import cut off by the outage leaves nothing half-written.
The PostgreSQL server is one the test creates (initdb) on its own port and data folder; the
machine's shared server is never touched."""

import socket
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from recommender import create_app
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.problems import CONTENT_TYPE
from recommender.storage import db
from recommender.storage.db import CONNECT_TIMEOUT
from recommender.storage.models import IndexOutbox, Resource
from tests.conftest import app_config
from tests.fault_servers import PrivatePostgres, wait_for

ASK = {"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": 3}], "limit": 3}


@pytest.fixture(scope="module")
def postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def database(postgres, request):
    """A fresh database on the private server for one test; its URL."""
    name = "rec_" + request.node.name[5:40].lower()
    engine = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return postgres.url(name)


def unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == CONTENT_TYPE
    body = response.get_json()
    assert body["status"] == 503 and body["title"] == "Database unavailable"
    assert response.headers["Retry-After"]


def counts(app) -> tuple[int, int]:
    with app.app_context():
        session = db.session()
        return (session.scalar(select(func.count()).select_from(Resource)),
                session.scalar(select(func.count()).select_from(IndexOutbox)))


@pytest.mark.services
def test_requests_get_503_while_the_database_is_down_and_recover_when_it_returns(
        postgres, database, tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:20], database_url=database)
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    client = app.test_client()
    assert client.post("/api/v1/recommendations", json=ASK).status_code == 200
    assert client.get("/api/v1/resources").status_code == 200  # the pool holds connections

    postgres.stop()  # immediate: every pooled connection is cut, as in a crash
    try:
        unavailable(client.post("/api/v1/recommendations", json=ASK))
        unavailable(client.get("/api/v1/resources"))
        unavailable(client.get(f"/api/v1/resources/{shipped_resources[0].id}"))
        unavailable(client.post("/api/v1/resources", json={"id": "x"}))
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.mimetype == CONTENT_TYPE
        assert [e["check"] for e in ready.get_json()["errors"]] == ["database"]
        assert client.get("/healthz").status_code == 200  # alive: do not restart the process
    finally:
        postgres.start()

    # the same app, no restart: stale connections are replaced (pool_pre_ping)
    assert client.post("/api/v1/recommendations", json=ASK).status_code == 200
    assert client.get("/api/v1/resources").get_json()["total"] == 20
    assert client.get("/readyz").status_code == 200

    # restarted between two requests: every pooled connection is stale, none reaches a view
    postgres.stop()
    postgres.start()
    assert client.post("/api/v1/recommendations", json=ASK).status_code == 200
    assert client.get("/api/v1/resources").status_code == 200


@pytest.mark.services
def test_an_import_cut_off_by_the_outage_leaves_nothing_half_written(
        postgres, database, tmp_path, framework, shipped_resources, make_app):
    """A batch of 240 records through the API: its resource rows are written (not yet
    committed) when the server goes away, so the transaction dies half-way. Another session
    holds a lock on the outbox table so that the import is caught exactly there."""
    app = make_app(tmp_path, framework, shipped_resources[:10], database_url=database)
    assert counts(app) == (10, 10)
    records = [{k: list(v) if isinstance(v, tuple) else v for k, v in vars(r).items()
                if k != "inferred"} for r in shipped_resources[10:250]]
    locker_engine = create_engine(database)
    locker = locker_engine.connect()
    locker.execute(text("LOCK TABLE index_outbox IN EXCLUSIVE MODE"))  # reads still pass
    answers = []
    request = threading.Thread(target=lambda: answers.append(
        app.test_client().post("/api/v1/resources", json=records)))
    request.start()

    # a transaction sees one snapshot of pg_stat_activity: ask from outside any
    watcher = create_engine(database, isolation_level="AUTOCOMMIT")

    def import_waits_on_the_outbox() -> bool:
        with watcher.connect() as conn:
            waiting = conn.execute(text(
                "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalars().all()
        return any("index_outbox" in query for query in waiting)

    # the resource rows are flushed before the outbox rows: they are on the server, uncommitted
    wait_for(import_waits_on_the_outbox, 60, "the import to reach the outbox")
    postgres.stop()
    request.join(60)
    locker.invalidate()
    locker_engine.dispose()
    watcher.dispose()
    postgres.start()
    unavailable(answers[0])
    assert counts(app) == (10, 10)  # not one of the 240 resources, not one outbox row
    # and the same import succeeds once the database is back, the app not restarted
    response = app.test_client().post("/api/v1/resources", json=records)
    assert response.status_code == 201 and len(response.get_json()["new"]) == 240
    assert counts(app) == (250, 250)


def test_a_database_that_accepts_but_never_answers_fails_requests_in_seconds(tmp_path):
    """A server that takes the connection and then says nothing (hung, or a half-open
    network path): requests answer 503 after the connect timeout instead of hanging."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # accepted by the kernel, never read
        port = silent.getsockname()[1]
        app = create_app(app_config(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:"
                                    f"{port}/x"))
        try:
            began = time.monotonic()
            unavailable(app.test_client().get("/api/v1/resources"))
            took = time.monotonic() - began
        finally:
            app.extensions["db"].kw["bind"].dispose()
    assert CONNECT_TIMEOUT - 1 <= took < 3 * CONNECT_TIMEOUT, took
