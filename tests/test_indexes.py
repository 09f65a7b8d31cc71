"""The FAISS vector index and the versioned index store."""

import json

import numpy as np
import pytest

from indexes.neighbours import NeighbourLists
from indexes.store import MANIFEST_FILE, RESOURCES_FILE, IndexLoadError, IndexStore
from indexes.vectors import VectorIndex


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_search_returns_resource_ids_by_cosine():
    vectors = unit_vectors(50)
    ids = np.arange(1000, 1050)
    index = VectorIndex.build(ids, vectors)
    scores, found = index.search(vectors[7], 3)
    assert found[0, 0] == 1007
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert scores[0, 0] >= scores[0, 1] >= scores[0, 2]


def test_remove_and_reconstruct_by_id():
    vectors = unit_vectors(10)
    index = VectorIndex.build(np.arange(10, 20), vectors)
    assert index.remove(np.array([13])) == 1
    _, found = index.search(vectors[3], 10)
    assert 13 not in found[0]
    np.testing.assert_allclose(index.reconstruct(14), vectors[4], atol=1e-6)


def test_wrong_dimension_is_refused():
    index = VectorIndex(16)
    with pytest.raises(ValueError, match="dimension 16"):
        index.add(np.array([1]), unit_vectors(1, dim=8))


def test_empty_index_search_finds_nothing():
    scores, found = VectorIndex(16).search(unit_vectors(2), 5)
    assert (found == -1).all()


def publish(store: IndexStore, n: int = 5, seed: int = 0) -> str:
    index = VectorIndex.build(np.arange(n), unit_vectors(n, seed=seed))
    statements = unit_vectors(2, seed=seed)
    ids = np.arange(n)
    return store.publish(index, ["1.1", "1.2"], statements,
                         {"model": "test", "catalogue_checksum": str(seed)},
                         dense=NeighbourLists.from_scores(ids, unit_vectors(n, seed=seed)
                                                          @ statements.T),
                         lexical=NeighbourLists.empty(2), lexical_stats={})


def test_publish_then_load_round_trip(tmp_path):
    store = IndexStore(tmp_path)
    name = publish(store, n=7)
    assert store.current_name() == name
    loaded = store.load()
    assert loaded.vectors.count == 7
    assert loaded.manifest["count"] == 7 and loaded.manifest["dimension"] == 16
    assert set(loaded.manifest["files"]) == {"resources.faiss", "capabilities.npy",
                                             "capabilities.json", "neighbours.npz",
                                             "lexical.json"}
    assert loaded.dense.ids.shape == (2, 200) and (loaded.dense.ids[:, :7] >= 0).all()
    assert loaded.capability_vector("1.2").shape == (16,)
    assert loaded.capability_vector("9.9") is None


def test_corrupt_version_is_refused_and_previous_still_loads(tmp_path):
    store = IndexStore(tmp_path)
    good = publish(store, seed=1)
    bad = publish(store, seed=2)
    path = store.versions / bad / RESOURCES_FILE
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IndexLoadError, match="checksum"):
        store.load()
    assert store.load(good).vectors.count == 5


def test_missing_manifest_is_refused(tmp_path):
    store = IndexStore(tmp_path)
    name = publish(store)
    (store.versions / name / MANIFEST_FILE).unlink()
    with pytest.raises(IndexLoadError, match="manifest"):
        store.load()


def test_prune_keeps_the_newest_versions(tmp_path):
    store = IndexStore(tmp_path, keep=2)
    names = [publish(store, seed=i) for i in range(4)]
    assert sorted(p.name for p in store.versions.iterdir()) == names[-2:]
    assert json.loads((store.versions / names[-1] / MANIFEST_FILE).read_text())["version"] \
        == names[-1]


def test_stamp_changes_on_publish(tmp_path):
    store = IndexStore(tmp_path)
    assert store.stamp() is None
    publish(store, seed=1)
    first = store.stamp()
    publish(store, seed=2)
    assert store.stamp() != first
