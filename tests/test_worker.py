"""A real Celery worker process over Redis builds the index, then keeps it current."""

import json

import pytest
import redis
from sqlalchemy import select

from indexes.store import IndexStore
from recommender import create_app
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.content.store import upsert_resources
from recommender.storage import db, migrate
from recommender.storage.models import IndexBuild, Resource
from recommender.storage.queue import enqueue_build
from recommender.storage.worker_process import running_worker
from tests.factories import GOOD
from tests.fault_servers import wait_for

pytestmark = pytest.mark.services
TEST_REDIS = "redis://127.0.0.1:6379/13"  # a database number only these tests use


def test_worker_over_redis_builds_then_applies_a_change(
        tmp_path, framework, shipped_resources):
    redis.Redis.from_url(TEST_REDIS).flushdb()  # no stale tasks from an aborted run
    env = {"VAR_DIR": str(tmp_path), "REDIS_URL": TEST_REDIS}
    # production settings but no keys and no rate limit: this test polls quickly
    app = create_app({**from_environment(env), "AUTH_REQUIRED": False,
                      "RATE_LIMIT_ENABLED": False})
    client = app.test_client()
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
        upsert_resources(db.session(), shipped_resources)
        ids = set(db.session().scalars(select(Resource.id)))

    with (tmp_path / "worker.log").open("wb") as log, running_worker(env, log_file=log):
        with app.app_context():
            task = enqueue_build()
            result = task.get(timeout=300)
        shown = client.get(f"/api/v1/index/builds/{task.id}").get_json()
        assert (shown["kind"], shown["status"], shown["version"]) == ("full", "built",
                                                                      result["version"])
        assert shown["done"] == shown["total"] == len(shipped_resources)
        assert client.get("/api/v1/index/builds/nope").status_code == 404
        status = client.get("/api/v1/index").get_json()
        assert status["serving"]["version"] == status["published"] == result["version"]
        assert result["status"] == "built"
        assert result["count"] == len(shipped_resources)

        version_dir = tmp_path / "indexes" / "versions" / result["version"]
        manifest = json.loads((version_dir / "manifest.json").read_text())
        assert (tmp_path / "indexes" / "current").read_text() == result["version"]
        assert manifest["count"] == len(ids)
        assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
        loaded = IndexStore(tmp_path / "indexes").load()
        _, found = loaded.vectors.search(loaded.capability_vectors[:1], len(ids) + 5)
        assert set(found[0][found[0] >= 0].tolist()) == ids

        ask = {"archetype": "user", "gaps": [{"capability": "6.4.2", "severity": 3}],
               "limit": 50}
        # no curated mapping: only the index (dense retrieval) can bring it in
        new = {**GOOD, "id": "test-robot-ward-round", "url": "https://example.org/robot",
               "title": "Surgical robots, autonomous robots and robotic process automation",
               "description": "Explains how robots steered directly by a clinician, such as "
                              "surgical systems, differ from autonomous robots and from "
                              "robotic process automation software in hospitals.",
               "capabilities": [], "level": "baseline", "archetypes": ["user"]}
        assert new["id"] not in [i["id"] for i in
                                 client.post("/api/v1/recommendations", json=ask)
                                 .get_json()["baseline"]]
        created = client.post("/api/v1/resources", json=new)
        assert created.status_code == 201 and created.get_json()["index_task"]
        # the worker records the update; then the web process serves the new version
        task_id = created.get_json()["index_task"]
        wait_for(lambda: _status(app, task_id) == "updated", 120,
                 "the index update to be recorded")
        body = wait_for(lambda: _recommended(client, ask, new["id"]), 60,
                        "the web process to serve the updated index")
        assert body["index_version"] != result["version"]

    with app.app_context():
        builds = db.session().scalars(select(IndexBuild).order_by(IndexBuild.requested_at)).all()
        assert [(b.kind, b.status) for b in builds] == [("full", "built"),
                                                        ("incremental", "updated")]
        assert builds[0].done == builds[0].total == len(shipped_resources)
        db.engine().dispose()


def _status(app, task_id: str) -> str | None:
    with app.app_context():
        build = db.session().get(IndexBuild, task_id)
        return build.status if build is not None else None


def _recommended(client, ask: dict, slug: str) -> dict | None:
    """The answer once it recommends ``slug``, else None."""
    body = client.post("/api/v1/recommendations", json=ask).get_json()
    return body if slug in [i["id"] for i in body["baseline"]] else None
