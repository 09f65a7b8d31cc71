"""Faults around the indexing worker: killed mid-build, drift between database and index."""

import signal

import pytest
import redis
from sqlalchemy import delete, select

from indexes.store import IndexStore
from recommender import create_app
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index, repair_drift
from recommender.indexing.serving import index_store
from recommender.storage import db, migrate
from recommender.storage.models import IndexBuild, IndexOutbox, Resource
from recommender.storage.queue import enqueue_build
from recommender.storage.worker_process import start_worker, stop
from tests.fault_servers import wait_for

TEST_REDIS = "redis://127.0.0.1:6379/14"  # a database number only this test uses


@pytest.mark.services
def test_worker_killed_mid_build_leaves_the_old_index_and_the_retry_completes(
        tmp_path, framework, shipped_resources, encoder):
    redis.Redis.from_url(TEST_REDIS).flushdb()
    env = {"VAR_DIR": str(tmp_path), "REDIS_URL": TEST_REDIS, "BROKER_VISIBILITY_SECONDS": "3"}
    app = create_app(from_environment(env))
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
        upsert_resources(db.session(), shipped_resources[:10])
        first = build_index(db.session(), index_store(), encoder)
        upsert_resources(db.session(), shipped_resources[10:])
        result = enqueue_build()

        log = (tmp_path / "worker.log").open("wb")
        worker = start_worker(env, log_file=log)

        def running():
            db.session().expire_all()
            build = db.session().get(IndexBuild, result.id)
            return build is not None and build.status == "running"

        # killed as soon as the worker records the build as running (progress is recorded per
        # batch of 1,024, so 300 resources report once, at the end); the checks below fail if
        # it had already published
        try:
            wait_for(running, 120, "the build to start")
        finally:  # never leave the worker behind, even when the wait fails
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        store = IndexStore(tmp_path / "indexes")
        assert store.current_name() == first.version
        assert store.load().vectors.count == 10

        worker = start_worker(env, log_file=log)
        try:
            outcome = result.get(timeout=300)
        finally:
            stop(worker)
            log.close()
        assert outcome["status"] == "built" and outcome["count"] == len(shipped_resources)
        assert store.current_name() == outcome["version"] != first.version
        db.session().expire_all()
        assert db.session().get(IndexBuild, result.id).status == "built"
        db.engine().dispose()


def test_drift_between_database_and_index_is_repaired(tmp_path, framework, shipped_resources,
                                                      encoder, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:15])
    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        assert repair_drift(session, index_store(), encoder) == {"missing": 0, "extra": 0}
        # changes that bypassed the outbox: one row deleted, one added, behind our back
        gone = session.scalar(select(Resource.id).order_by(Resource.id))
        session.execute(delete(Resource).where(Resource.id == gone))
        upsert_resources(session, shipped_resources[15:16])
        session.execute(delete(IndexOutbox))
        session.commit()
        report = repair_drift(session, index_store(), encoder)
        assert (report["missing"], report["extra"], report["status"]) == (1, 1, "updated")
        indexed = set(index_store().load().vectors.ids().tolist())
        assert indexed == set(session.scalars(select(Resource.id)))
