"""Changing the embedding model or the index type builds a fresh version; mismatches are
refused with a clear message."""

import pytest

from indexes.embedding import Encoder, packaged_model_path
from recommender import db
from recommender.catalogue_store import delete_resource
from recommender.indexing import apply_changes, build_index
from recommender.services import index_store


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

    ask = {"archetype": "user", "gaps": [{"capability": "6.1.1"}]}
    assert client.post("/api/v1/recommendations", json=ask).status_code == 200
    refused = client.post("/api/v1/recommendations", json={**ask, "free_text": "robots"})
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert small_model.name in refused.get_json()["detail"]
    assert "rebuild the index" in refused.get_json()["detail"]
