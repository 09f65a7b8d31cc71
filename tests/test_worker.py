"""A real Celery worker process builds the index from tasks sent over Redis."""

import json

import pytest
import redis
from sqlalchemy import select

from recommender import create_app, db, migrate
from recommender.catalogue_store import upsert_resources
from recommender.config import from_environment
from recommender.framework_store import load_framework
from recommender.models import IndexBuild, Resource
from recommender.queue import enqueue_build
from recommender.worker_process import running_worker

pytestmark = pytest.mark.services
TEST_REDIS = "redis://127.0.0.1:6379/13"  # a database number only these tests use


def test_worker_over_redis_builds_an_index_of_every_resource(tmp_path, framework,
                                                             shipped_resources):
    redis.Redis.from_url(TEST_REDIS).flushdb()  # no stale tasks from an aborted run
    env = {"VAR_DIR": str(tmp_path), "REDIS_URL": TEST_REDIS}
    app = create_app(from_environment(env))
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
        upsert_resources(db.session(), shipped_resources)
        ids = set(db.session().scalars(select(Resource.id)))

        with (tmp_path / "worker.log").open("wb") as log, running_worker(env, log_file=log):
            result = enqueue_build().get(timeout=300)
        assert result["status"] == "built"
        assert result["count"] == len(shipped_resources)

        version_dir = tmp_path / "indexes" / "versions" / result["version"]
        manifest = json.loads((version_dir / "manifest.json").read_text())
        assert (tmp_path / "indexes" / "current").read_text() == result["version"]
        assert manifest["count"] == len(ids)
        assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
        assert {"resources.faiss", "capabilities.npy"} <= {p.name for p in version_dir.iterdir()}

        from indexes.store import IndexStore
        loaded = IndexStore(tmp_path / "indexes").load()
        _, found = loaded.vectors.search(loaded.capability_vectors[:1], len(ids) + 5)
        assert set(found[0][found[0] >= 0].tolist()) == ids
        build = db.session().scalars(select(IndexBuild)).one()
        assert build.status == "built" and build.version == result["version"]
        db.engine().dispose()
