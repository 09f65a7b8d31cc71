"""Changing the embedding model or the index type builds a fresh version; mismatches are
refused with a clear message."""

import json
import os
import subprocess
import sys

import pytest

from indexes.embedding import Encoder, packaged_model_path
from recommender.content.store import delete_resource
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.serving import index_store
from recommender.storage import db


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A real second model: the packaged one plus a 384->64 projection, saved locally."""
    import torch
    from sentence_transformers import SentenceTransformer, models

    base = SentenceTransformer(str(packaged_model_path()), device="cpu")
    torch.manual_seed(0)
    dense = models.Dense(in_features=384, out_features=64,
                         activation_function=torch.nn.Identity())
    folder = tmp_path_factory.mktemp("model-64")
    SentenceTransformer(modules=[*base, dense], device="cpu").save(str(folder))
    return Encoder(str(folder))


def test_hnsw_type_builds_a_fresh_version_and_applies_deletions(
        tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:30])
    with app.app_context():
        session = db.session()
        flat = build_index(session, index_store(), encoder)
        hnsw = build_index(session, index_store(), encoder, index_type="hnsw")
        assert hnsw.status == "built" and hnsw.version != flat.version
        loaded = index_store().load()
        assert loaded.vectors.kind == "hnsw" and loaded.manifest["index_type"] == "hnsw"
        delete_resource(session, shipped_resources[0].id)
        outcome = apply_changes(session, index_store(), encoder, index_type="hnsw")
        assert (outcome.status, outcome.count) == ("updated", 29)
        assert index_store().load().vectors.kind == "hnsw"
        # asking for flat again is a change of basis: a full build, not an update
        assert apply_changes(session, index_store(), encoder).status == "built"


def test_another_model_builds_a_fresh_version_and_free_text_is_refused(
        tmp_path, framework, shipped_resources, encoder, small_model, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:30])
    client = app.test_client()
    with app.app_context():
        session = db.session()
        first = build_index(session, index_store(), encoder)
        assert build_index(session, index_store(), small_model).status == "built"
        manifest = index_store().manifest()
        assert manifest["dimension"] == 64 and manifest["model"] == small_model.name
        assert manifest["version"] != first.version
        # incremental updates with the old model must not mix 384- and 64-d vectors
        assert apply_changes(session, index_store(), encoder).status == "built"
        assert index_store().manifest()["dimension"] == 384
        build_index(session, index_store(), small_model)

    ask = {"archetype": "user", "gaps": [{"capability": "6.0.1"}]}
    assert client.post("/api/v1/recommendations", json=ask).status_code == 200
    refused = client.post("/api/v1/recommendations", json={**ask, "free_text": "robots"})
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert small_model.name in refused.get_json()["detail"]
    assert "rebuild the index" in refused.get_json()["detail"]


THREADS_SCRIPT = """
import json, os, sys
import faiss, torch
from threadpoolctl import threadpool_info
def threads():
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads(),
            "blas": min(blas)}
before = threads()
if sys.argv[1] == "web":
    import recommender.wsgi
else:  # what the Celery worker and the CLI do
    from recommender import create_app
    create_app()
print(json.dumps({"before": before, "after": threads()}))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell 1 from all")
@pytest.mark.parametrize("process", ["web", "worker"])
def test_only_web_processes_limit_search_and_encoding_threads(process, tmp_path):
    """A web process gives each request SEARCH_THREADS threads; the indexing worker keeps
    every core for its builds (encoding, HNSW graphs, scoring products)."""
    env = {**os.environ, "SEARCH_THREADS": "1", "VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "INDEX_DIR": str(tmp_path / "i")}
    done = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, process], env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert min(seen["before"].values()) >= 2
    if process == "web":
        assert seen["after"] == {"torch": 1, "faiss": 1, "blas": 1}
    else:
        assert seen["after"] == seen["before"]
