"""Broker down: recommendations keep being served from the loaded index, catalogue writes
commit with their index work kept in the outbox, and the work is delivered when the broker
returns. A private redis-server on its own port is stopped and restarted; the machine's shared
Redis is never touched. A real Celery worker (with beat) runs against it."""

import dataclasses

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from recommender import create_app
from recommender.access.keys import create_key
from recommender.cli import main
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_holder, index_store
from recommender.problems import CONTENT_TYPE
from recommender.storage import db, migrate
from recommender.storage.models import IndexBuild, IndexOutbox, Resource
from recommender.storage.queue import BrokerUnavailable, enqueue_build
from recommender.storage.worker_process import start_worker, stop
from tests.fault_servers import PrivateRedis, wait_for

ASK = {"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": 3},
                                     {"capability": "6.3.2", "severity": 2}], "limit": 5}


def record(resource) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(resource).items() if k != "inferred"}


def outbox(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(IndexOutbox))


def indexed_ids(app) -> set[int]:
    with app.app_context():
        version = index_holder().get()
        return set(version.vectors.ids().tolist()) if version else set()


def resource_id(app, slug: str) -> int:
    with app.app_context():
        return db.session().scalar(select(Resource.id).where(Resource.slug == slug))


@pytest.mark.services
def test_broker_outage_serves_recommendations_keeps_writes_and_delivers_them_later(
        tmp_path, framework, shipped_resources, encoder):
    broker = PrivateRedis(tmp_path / "redis")
    broker.start()
    env = {"VAR_DIR": str(tmp_path / "var"), "REDIS_URL": broker.url(),
           "OUTBOX_CHECK_SECONDS": "2", "RATE_LIMIT_ENABLED": "true",
           "RATE_LIMIT": "10000/minute"}
    app = create_app(from_environment(env))  # production config: keys required, real limits
    worker = None
    log = (tmp_path / "worker.log").open("wb")
    try:
        with app.app_context():
            migrate.upgrade(db.engine())
            load_framework(db.session(), framework)
            upsert_resources(db.session(), shipped_resources[:30])
            build_index(db.session(), index_store(), encoder)
            key = create_key(db.session(), "curator", ["catalogue:write"]).key
        writer = {"Authorization": f"Bearer {key}"}
        client = app.test_client()
        worker = start_worker(env, log_file=log, beat=True)

        # broker up: a write is queued and the worker applies it
        first = shipped_resources[30]
        response = client.post("/api/v1/resources", json=record(first), headers=writer)
        assert response.status_code == 201 and response.get_json()["index_task"]
        wait_for(lambda: resource_id(app, first.id) in indexed_ids(app), 180,
                 "the worker to index the first write")

        broker.stop()
        # reads are served from the loaded index; readiness stays 200 but says what is down
        for _ in range(3):
            answer = client.post("/api/v1/recommendations", json=ASK)
            assert answer.status_code == 200, answer.get_json()
            assert answer.get_json()["baseline"] or answer.get_json()["specialist"]
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert ready.get_json()["status"] == "degraded"
        assert ready.get_json()["checks"]["broker"]["status"] == "failing"
        metrics = client.get("/metrics").get_data(as_text=True)
        assert "recommender_broker_up 0.0" in metrics

        # writes commit and their index work stays in the outbox (nothing waits on the broker)
        second, gone = shipped_resources[31], shipped_resources[0]
        gone_id = resource_id(app, gone.id)
        created = client.post("/api/v1/resources", json=record(second), headers=writer)
        deleted = client.delete(f"/api/v1/resources/{gone.id}", headers=writer)
        assert created.status_code == 201 and created.get_json()["index_task"] is None
        assert deleted.status_code == 204
        assert outbox(app) == 2
        assert client.get(f"/api/v1/resources/{second.id}").status_code == 200
        with app.app_context():
            statuses = db.session().scalars(select(IndexBuild.status)).all()
        assert statuses.count("not-queued") == 2  # visible at /api/v1/index/builds/<id>
        assert resource_id(app, second.id) not in indexed_ids(app)
        ready = client.get("/readyz").get_json()
        assert ready["checks"]["index"]["pending_changes"] == 2

        # the broker returns empty (nothing was persisted in it): the outbox delivers
        broker.start()
        wait_for(lambda: outbox(app) == 0, 180, "the outbox to drain after the broker returned")
        ids = wait_for(lambda: (resource_id(app, second.id) in indexed_ids(app)) and
                       indexed_ids(app), 60, "the web process to load the updated index")
        assert gone_id not in ids
        assert len(ids) == 31  # 30 + first + second - gone
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
        assert client.post("/api/v1/recommendations", json=ASK).status_code == 200
    finally:
        if worker is not None:
            stop(worker)
        log.close()
        broker.stop()
        app.extensions["db"].kw["bind"].dispose()


@pytest.mark.services
def test_work_that_needs_the_broker_fails_fast_as_a_503_problem_and_is_recorded(
        tmp_path, framework, make_app):
    """No HTTP endpoint needs the broker (writes fall back to the outbox), but an index build
    cannot be done without it: queueing one with the broker down fails (it does not hang: the
    connection retries are bounded), is recorded as not-queued, and the app answers it as 503
    problem+json, not a 500."""
    broker = PrivateRedis(tmp_path / "redis")
    broker.start()
    url = broker.url()
    broker.stop()
    settings = from_environment({"VAR_DIR": str(tmp_path), "REDIS_URL": url})["CELERY"]
    app = make_app(tmp_path / "app", framework, [], REDIS_URL=url, CELERY=settings)
    with app.test_request_context("/api/v1/index/builds", method="POST"):
        with pytest.raises(BrokerUnavailable) as raised:
            enqueue_build()
        response = app.make_response(app.handle_user_exception(raised.value))
        build = db.session().scalars(select(IndexBuild)).one()
    assert (build.status, build.detail) == ("not-queued", "the broker could not be reached")
    assert response.status_code == 503 and response.mimetype == CONTENT_TYPE
    assert response.get_json()["title"] == "Broker unavailable"
    assert response.headers["Retry-After"]

    # the command line says the same, without a traceback
    env = {"VAR_DIR": str(tmp_path / "app"), "REDIS_URL": url, "DATABASE_URL": "",
           "INDEX_DIR": ""}
    result = CliRunner().invoke(main, ["index"], env=env)
    assert result.exit_code == 1, result.output
    assert "the broker could not be reached" in result.output
    assert "nothing was built" in result.output and "Traceback" not in result.output
