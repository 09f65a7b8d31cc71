"""What keeps the index cheap at scale: a served version's vectors are memory-mapped (shared
between processes, not copied into each), read in place, and become a private copy only when
changed; the build's BM25 scores and neighbour lists are computed in whole-array passes with
the same results as the plain per-term, full-sort definitions."""

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from indexes import lexical
from indexes.lexical import K1, B, Bm25
from indexes.neighbours import NeighbourLists
from indexes.store import RESOURCES_FILE, IndexStore
from indexes.vectors import VectorIndex


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def published(tmp_path, kind: str = "flat", n: int = 300) -> tuple[IndexStore, np.ndarray]:
    store = IndexStore(tmp_path)
    vectors = unit_vectors(n)
    ids = np.arange(1, n + 1) * 10  # not storage positions
    statements = unit_vectors(2, seed=1)
    store.publish(VectorIndex.build(ids, vectors, kind=kind), ["1.1", "1.2"], statements,
                  {"model": "test"}, dense=NeighbourLists.from_scores(ids, vectors @ statements.T),
                  lexical=NeighbourLists.empty(2), lexical_stats={})
    return store, vectors


def mapped_files() -> str:
    return Path("/proc/self/maps").read_text()


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_a_loaded_version_maps_its_vectors_file_instead_of_copying_it(tmp_path, kind):
    store, vectors = published(tmp_path, kind)
    version = store.load()
    path = str(store.versions / version.name / RESOURCES_FILE)
    assert version.vectors.mapped and path in mapped_files()
    found, present = version.vectors_of(np.array([30, 11, 3000]))
    np.testing.assert_array_equal(present, [True, False, True])
    np.testing.assert_allclose(found[0], vectors[2], atol=1e-6)
    np.testing.assert_allclose(found[2], vectors[299], atol=1e-6)
    assert not found[1].any()
    _, ids = version.vectors.search(vectors[5], 1)
    assert ids[0, 0] == 60

    del version, store  # the store keeps the last version it loaded, for its deltas
    assert path not in mapped_files()  # unmapped with the version
    unmapped = IndexStore(tmp_path, mmap=False).load()
    assert not unmapped.vectors.mapped and path not in mapped_files()
    np.testing.assert_allclose(unmapped.vectors_of(np.array([30]))[0][0], vectors[2], atol=1e-6)


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_changing_a_mapped_index_copies_it_and_leaves_the_file_alone(tmp_path, kind):
    store, vectors = published(tmp_path, kind)
    version = store.load()
    file = store.versions / version.name / RESOURCES_FILE
    before = file.read_bytes()
    assert version.vectors.remove(np.array([7, 8])) == 0  # none held: nothing copied
    assert version.vectors.mapped
    version.vectors.add(np.array([5000]), unit_vectors(1, seed=9))
    assert not version.vectors.mapped
    assert version.vectors.remove(np.array([10])) == 1
    assert version.vectors.count == 300
    _, ids = version.vectors.search(unit_vectors(1, seed=9), 1)
    assert ids[0, 0] == 5000
    assert file.read_bytes() == before
    fresh = IndexStore(tmp_path).load()  # what another process loads from the file
    assert fresh.vectors.count == 300 and 10 in fresh.vectors.ids()


def test_take_reads_rows_in_storage_order_mapped_or_not(tmp_path):
    store, vectors = published(tmp_path)
    rows = np.array([299, 0, 17, 17])
    for mmap in (True, False):
        taken = IndexStore(tmp_path, mmap=mmap).load().vectors.take(rows)
        assert taken.dtype == np.float32 and taken.flags["ALIGNED"]
        np.testing.assert_allclose(taken, vectors[rows], atol=1e-6)


def plain_bm25(bm25: Bm25, counts: list[Counter], lengths: np.ndarray) -> np.ndarray:
    """The definition, one term of one query at a time."""
    avgdl = bm25.total_length / bm25.docs
    out = np.zeros((len(counts), len(bm25.queries)))
    for j, query in enumerate(bm25.queries):
        for term in set(query):
            if term not in bm25.df:
                continue
            idf = math.log(1 + (bm25.docs - bm25.df[term] + 0.5) / (bm25.df[term] + 0.5))
            for d, c in enumerate(counts):
                tf = c.get(term, 0)
                out[d, j] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[d] / avgdl))
    return out


def test_bm25_scores_match_the_definition(monkeypatch):
    monkeypatch.setattr(lexical, "SCORE_BLOCK", 50)  # documents scored in three blocks
    rng = np.random.default_rng(4)
    words = [f"w{i}" for i in range(40)]
    queries = [list(rng.choice(words, 5)) for _ in range(6)] + [["absent"], []]
    docs = [list(rng.choice(words, rng.integers(3, 30))) for _ in range(120)]
    bm25 = Bm25(queries)
    counts = [bm25.observe(d) for d in docs]
    lengths = np.array([len(d) for d in docs], dtype=np.float32)
    scores = bm25.score(counts, lengths)
    np.testing.assert_allclose(scores, plain_bm25(bm25, counts, lengths), rtol=1e-5, atol=1e-6)
    assert scores[:, -2:].max() == 0 and scores[:, :6].max() > 0


def plain_lists(ids: np.ndarray, scores: np.ndarray, depth: int, floor: float):
    """Each statement's resources sorted by score, ties by id, the best ``depth`` kept."""
    out = []
    for j in range(scores.shape[1]):
        pairs = sorted((-s, i) for i, s in zip(ids.tolist(), scores[:, j].tolist(),
                                                strict=True) if s > floor)
        out.append([i for _, i in pairs[:depth]])
    return out


@pytest.mark.parametrize("floor", [-np.inf, 0.5])
def test_neighbour_lists_keep_the_best_with_ties_broken_by_id(floor):
    rng = np.random.default_rng(5)
    ids = rng.permutation(np.arange(100, 2100))
    scores = np.round(rng.random((2000, 40)), 2).astype(np.float32)  # many ties at the cut
    lists = NeighbourLists.from_scores(ids, scores, depth=25, floor=floor)
    expected = plain_lists(ids, scores, 25, floor)
    for j in range(40):
        assert [i for i in lists.ids[j].tolist() if i >= 0] == expected[j]


@pytest.mark.parametrize("floor", [-np.inf, 0.5])
def test_merging_a_few_resources_gives_the_lists_a_full_recomputation_gives(floor):
    """An incremental merge sorts only the lists it changes; every list must still be what
    sorting all the resources gives (the lists are not full, so nothing they dropped is
    lost: 300 resources, 400 deep), ties included."""
    rng = np.random.default_rng(8)
    ids = rng.permutation(np.arange(1, 301))
    scores = np.round(rng.random((300, 40)), 2).astype(np.float32)
    lists = NeighbourLists.from_scores(ids, scores, depth=400, floor=floor)
    changed = np.array([7, 500, 501])  # one changed, two new
    changed_scores = np.round(rng.random((3, 40)), 2).astype(np.float32)
    changed_scores[1] = 0.0  # a new one that enters no list above the floor of 0.5
    dropped = np.array([11, 12])
    merged = lists.merge(changed, changed_scores, drop=dropped, floor=floor)
    stay = ~np.isin(ids, np.concatenate([changed, dropped]))
    all_ids = np.concatenate([ids[stay], changed])
    all_scores = np.concatenate([scores[stay], changed_scores])
    expected = plain_lists(all_ids, all_scores, 400, floor)
    for j in range(40):
        assert [i for i in merged.ids[j].tolist() if i >= 0] == expected[j]
    # a full list that a new resource does not enter is left as it was
    top = NeighbourLists.from_scores(ids, scores, depth=5, floor=floor)
    low = np.full((1, 40), -1.0, dtype=np.float32)
    np.testing.assert_array_equal(top.merge(np.array([900]), low, floor=floor).ids, top.ids)
