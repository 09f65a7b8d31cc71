"""Incremental changes as append-only deltas over the last full index version: what a delta
serves equals a full version of the same resources; a web process and its catalogue snapshot
take a delta without a whole reload; a damaged, half-written or unwritable delta leaves the
previous state serving; compaction folds the deltas into a full version that ranks the same.

(Crash safety of full builds: tests/test_faults_disk.py and tests/test_worker_faults.py.)"""

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sqlalchemy import select

from indexes.deltas import Delta, changed_rows
from indexes.neighbours import NeighbourLists, nearest
from indexes.store import IndexLoadError, IndexStore
from indexes.vectors import VectorIndex
from recommender.config import from_environment
from recommender.content.store import delete_resource, upsert_resources
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.compaction import compact, due
from recommender.indexing.serving import index_holder, index_store, snapshot
from recommender.indexing.snapshot import load as load_snapshot
from recommender.ranking import recommend
from recommender.storage import db
from recommender.storage.models import IndexBuild, Resource
from tests.test_faults_disk import fill, small_disk  # noqa: F401 - a fixture
from workers.tasks import compact_index, update_index

DIM = 16


def unit_vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def full_version(store: IndexStore, ids: np.ndarray, vectors: np.ndarray, statements,
                 kind: str = "flat") -> str:
    similarity = vectors @ statements.T
    return store.publish(VectorIndex.build(ids, vectors, kind=kind), ["1.1", "1.2", "1.3"],
                         statements, {"model": "test", "catalogue_checksum": "0"},
                         dense=NeighbourLists.from_scores(ids, similarity, depth=20),
                         lexical=NeighbourLists.empty(3, depth=20), lexical_stats={},
                         nearest=nearest(ids, similarity))


def delta_for(version, upserted: np.ndarray, vectors: np.ndarray, removed: np.ndarray):
    upserted = np.asarray(upserted, dtype=np.int64)
    removed = np.asarray(removed, dtype=np.int64)
    similarity = vectors @ version.capability_vectors.T
    touched = np.union1d(upserted, removed)
    rows, dense = changed_rows(version.dense, version.dense.merge(upserted, similarity,
                                                                  drop=touched))
    empty = np.zeros(0, dtype=np.int64)
    return Delta(upserted, vectors, similarity.max(axis=1), removed, rows, dense, empty,
                 NeighbourLists(np.zeros((0, 20), np.int64), np.zeros((0, 20), np.float32)))


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_a_chain_of_deltas_serves_what_a_full_version_of_the_same_resources_serves(
        tmp_path, kind):
    statements = unit_vectors(3, seed=99)
    ids = np.arange(1, 61) * 10
    vectors = unit_vectors(60, seed=1)
    store = IndexStore(tmp_path)
    full_version(store, ids, vectors, statements, kind)
    truth = dict(zip(ids.tolist(), vectors, strict=True))
    changes = [  # (upserted ids, removed ids): new, changed, removed, re-added, changed twice
        (np.array([10, 20, 1000]), np.array([30, 40])),
        (np.array([20, 1010, 30]), np.array([1000, 50])),
        (np.array([1010]), np.array([10])),
    ]
    for step, (upserted, removed) in enumerate(changes):
        new = unit_vectors(len(upserted), seed=10 + step)
        name = store.publish_delta(store.load(), delta_for(store.load(), upserted, new, removed),
                                   {"catalogue_checksum": str(step + 1)})
        for rid in removed.tolist():
            truth.pop(rid, None)
        truth.update(zip(upserted.tolist(), new, strict=True))
        assert store.current_name() == name and name.count("+") == 1

    served = IndexStore(tmp_path).load()  # a fresh process: the full version, then 3 deltas
    assert len(served.chain) == 3 and served.manifest["catalogue_checksum"] == "3"
    expected_ids = np.array(sorted(truth))
    expected = np.stack([truth[i] for i in expected_ids])
    assert served.vectors.count == len(truth) == served.manifest["count"]
    assert sorted(served.vectors.ids().tolist()) == expected_ids.tolist()
    reference = VectorIndex.build(expected_ids, expected)
    queries = unit_vectors(8, seed=5)
    _, found = served.vectors.search(queries, 7)
    _, wanted = reference.search(queries, 7)
    np.testing.assert_array_equal(found, wanted)
    asked = np.array([10, 20, 30, 40, 1000, 1010, 60, 5])
    got, present = served.vectors_of(asked)
    np.testing.assert_array_equal(present, [i in truth for i in asked.tolist()])
    for rid, vector in zip(asked[present].tolist(), got[present], strict=True):
        np.testing.assert_allclose(vector, truth[rid], atol=1e-6)
    best = (expected @ statements.T).max(axis=1)
    np.testing.assert_allclose(served.nearest_similarity(expected_ids), best, atol=1e-6)
    assert (served.nearest_similarity(np.array([30 + 10**6, 40])) == -np.inf).all()
    for row in range(3):  # each statement's list by meaning holds no removed resource
        listed = served.dense.ids[row][served.dense.ids[row] >= 0]
        assert set(listed.tolist()) <= set(truth)
    # the full version's file is untouched and the in-memory view matches a fresh load
    assert store.load().vectors.ids().tolist() == served.vectors.ids().tolist()


def test_a_damaged_or_missing_delta_is_refused_and_the_previous_version_keeps_serving(
        tmp_path):
    statements = unit_vectors(3, seed=99)
    store = IndexStore(tmp_path)
    base = full_version(store, np.arange(1, 21), unit_vectors(20, seed=1), statements)
    good = store.publish_delta(store.load(), delta_for(store.load(), np.array([50]),
                                                       unit_vectors(1, seed=2), np.array([3])),
                               {})
    bad = store.publish_delta(store.load(), delta_for(store.load(), np.array([51]),
                                                      unit_vectors(1, seed=3), np.array([4])),
                              {})
    stem = bad.partition("+")[2]
    path = store.versions / base / "deltas" / f"{stem}.npz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IndexLoadError, match="checksum"):
        IndexStore(tmp_path).load()
    assert IndexStore(tmp_path).load(good).vectors.count == 20
    path.unlink()
    with pytest.raises(IndexLoadError, match="missing"):
        IndexStore(tmp_path).load()
    (store.versions / base / "deltas" / f"{stem}.json").unlink()
    with pytest.raises(IndexLoadError, match="manifest"):
        IndexStore(tmp_path).load()


@pytest.mark.parametrize("dies_at", ["npz", "json", "current"])
def test_a_process_killed_while_writing_a_delta_leaves_the_previous_version_serving(
        tmp_path, dies_at):
    """The writer dies as it renames the delta's file, its manifest, or (the last step) the
    pointer: whatever it wrote is never named, so nothing reads it, and the next delta goes
    on from the previous version."""
    statements = unit_vectors(3, seed=99)
    store = IndexStore(tmp_path)
    full_version(store, np.arange(1, 21), unit_vectors(20, seed=1), statements)
    first = store.publish_delta(store.load(), delta_for(store.load(), np.array([50]),
                                                        unit_vectors(1, seed=2), np.array([])),
                                {})
    script = textwrap.dedent(f"""
        import os, signal, sys
        import numpy as np
        sys.path[:0] = {[os.getcwd()]!r}
        from indexes.store import IndexStore
        from tests.test_index_deltas import delta_for, unit_vectors
        store = IndexStore({str(tmp_path)!r})
        version = store.load()
        delta = delta_for(version, np.array([60]), unit_vectors(1, seed=4), np.array([1]))
        real_rename, real_replace = os.rename, os.replace
        def dying(real):
            def move(src, dst):  # the process is killed as it would move this file in place
                if str(dst).endswith({dies_at!r}):
                    os.kill(os.getpid(), signal.SIGKILL)
                real(src, dst)
            return move
        os.rename, os.replace = dying(real_rename), dying(real_replace)
        store.publish_delta(version, delta, {{}})
    """)
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert died.returncode == -9, died.stderr
    assert store.current_name() == first
    served = IndexStore(tmp_path).load()
    assert served.name == first and 60 not in served.vectors.ids() and 1 in served.vectors.ids()
    orphans = [p for p in (store.versions / first.partition("+")[0] / "deltas").iterdir()
               if "000002" in p.name]
    assert orphans  # written, never named
    after = store.publish_delta(served, delta_for(served, np.array([70]),
                                                  unit_vectors(1, seed=5), np.array([])), {})
    loaded = IndexStore(tmp_path).load()
    assert loaded.name == after and {50, 70} <= set(loaded.vectors.ids().tolist())
    assert 60 not in loaded.vectors.ids()


def test_a_full_disk_while_writing_a_delta_leaves_the_previous_version_serving(
        small_disk, tmp_path, framework, shipped_resources, encoder, make_app):  # noqa: F811
    app = make_app(tmp_path / "app", framework, shipped_resources[:20],
                   INDEX_DIR=str(small_disk))
    with app.app_context():
        first = build_index(db.session(), index_store(), encoder).version
        served = index_holder().get().name
        upsert_resources(db.session(), shipped_resources[20:21])
        before = sorted(str(p.relative_to(small_disk)) for p in small_disk.rglob("*"))
        ballast = fill(small_disk)
        failed = update_index.apply()
        record = db.session().get(IndexBuild, failed.id)
        assert failed.failed() and record.status == "failed"
        assert "No space left on device" in record.detail, record.detail
        assert index_store().current_name() == first == served
        assert index_holder().get().name == first
        ballast.unlink()
        # nothing half-written is left behind (an emptied deltas folder may stay)
        after = sorted(str(p.relative_to(small_disk)) for p in small_disk.rglob("*"))
        assert [p for p in after if p not in before] in ([], [f"versions/{first}/deltas"])

        retried = update_index.apply()  # the change waited in the outbox
        assert retried.successful(), retried.result
        assert retried.result["status"] == "updated" and retried.result["count"] == 21
        assert index_holder().get().name == retried.result["version"] != first
        assert index_holder().get().vectors.count == 21


ASK = {"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": 3}], "limit": 50}


def test_a_web_process_takes_a_delta_and_its_snapshot_reads_only_the_changed_rows(
        tmp_path, framework, shipped_resources, encoder, make_app, database_url):
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url)
    client = app.test_client()
    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        first = client.post("/api/v1/recommendations", json=ASK).get_json()
        kept = snapshot(index_holder().get())

        added = shipped_resources[30]
        changed = dataclasses.replace(shipped_resources[3], format="video",
                                      description="Robots in theatre: how surgical teams "
                                                  "prepare for them.")
        upsert_resources(session, [added, changed])
        delete_resource(session, shipped_resources[5].id)
        outcome = apply_changes(session, index_store(), encoder)
        assert outcome.status == "updated" and outcome.deltas == 1

        version = index_holder().get()
        assert version.name == outcome.version and version.base == first["index_version"]
        patched = snapshot(version)
        assert patched.version == version.name and patched is not kept
        full = load_snapshot(session, version)  # what a whole reload reads
        assert patched.ids.tolist() == full.ids.tolist() == sorted(
            session.scalars(select(Resource.id)))
        assert patched.slugs.tolist() == full.slugs.tolist()
        for column in ("is_baseline", "archetype_bits", "duration", "level_inferred",
                       "archetypes_inferred", "curated_any"):
            np.testing.assert_array_equal(getattr(patched, column), getattr(full, column))
        for column in ("provider", "format", "licence", "language"):
            ours, theirs = getattr(patched, column), getattr(full, column)
            assert [ours.labels[c] for c in ours.codes] == [theirs.labels[c] for c in
                                                            theirs.codes]
        assert {c: ids.tolist() for c, ids in patched.curated.items()} == \
            {c: ids.tolist() for c, ids in full.curated.items()}
        assert patched.duplicates == full.duplicates

        answer = client.post("/api/v1/recommendations", json=ASK)
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["index_version"] == version.name != first["index_version"]
        listed = {item["id"] for part in ("baseline", "specialist") for item in body[part]}
        assert shipped_resources[5].id not in listed


def test_answers_show_a_resource_as_the_served_version_knows_it_and_a_delta_renews_it(
        tmp_path, framework, shipped_resources, encoder, make_app, database_url):
    """A shown resource's fields are read once per served version (kept with its snapshot):
    an edit reaches answers with the index update that carries it, as it reaches the
    ranking, and a delta keeps what it did not touch."""
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url)
    client = app.test_client()

    def shown(body: dict) -> dict[str, dict]:
        return {item["id"]: item for part in ("baseline", "specialist") for item in body[part]}

    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        first = shown(client.post("/api/v1/recommendations", json=ASK).get_json())
        kept = snapshot(index_holder().get())
        slugs = dict(zip(kept.ids.tolist(), kept.slugs.tolist(), strict=True))
        assert {slugs[rid] for rid in kept.shown} == set(first)
        edited, other = [r for r in shipped_resources[:30] if r.id in first][:2]
        minutes = (edited.duration_minutes or 0) + 7
        upsert_resources(session, [dataclasses.replace(edited, duration_minutes=minutes)])

        before_update = shown(client.post("/api/v1/recommendations", json=ASK).get_json())
        assert before_update[edited.id]["duration_minutes"] == first[edited.id][
            "duration_minutes"] != minutes  # the served version's, until its update serves

        outcome = apply_changes(session, index_store(), encoder)
        assert outcome.status == "updated" and outcome.deltas == 1
        body = client.post("/api/v1/recommendations", json=ASK).get_json()
        assert body["index_version"] == outcome.version
        assert shown(body)[edited.id]["duration_minutes"] == minutes
        patched = snapshot(index_holder().get())
        at = {slug: rid for rid, slug in slugs.items()}
        assert patched.shown[at[other.id]] is kept.shown[at[other.id]]  # not read again
        assert patched.shown[at[edited.id]] is not kept.shown[at[edited.id]]
        assert kept.shown[at[edited.id]]["duration_minutes"] != minutes  # the old one's own


def test_a_full_store_of_shown_fields_starts_again_and_answers_stay_whole(
        tmp_path, framework, shipped_resources, encoder, make_app, database_url, monkeypatch):
    """Past ``SHOWN_KEPT`` resources the kept fields start again, and an answer still shows
    every item it ranked (the ones kept before included)."""
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url)
    client = app.test_client()
    other = {**ASK, "gaps": [{"capability": "5.2.1.1", "severity": 2}]}
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        whole = [client.post("/api/v1/recommendations", json=body).get_json()
                 for body in (ASK, other, ASK)]
        kept = snapshot(index_holder().get())
        kept.shown.clear()
        monkeypatch.setattr(recommend, "SHOWN_KEPT", 3)
        small = [client.post("/api/v1/recommendations", json=body).get_json()
                 for body in (ASK, other, ASK)]
        for one, two in zip(whole, small, strict=True):
            for part in ("baseline", "specialist"):
                assert [i["id"] for i in one[part]] == [i["id"] for i in two[part]]
                assert [i["title"] for i in one[part]] == [i["title"] for i in two[part]]
        shown_last = sum(len(small[-1][part]) for part in ("baseline", "specialist"))
        assert shown_last > 3 and len(kept.shown) == shown_last


def test_compaction_folds_the_deltas_into_a_full_version_that_ranks_the_same(
        tmp_path, framework, shipped_resources, encoder, make_app):
    # an in-memory broker that takes tasks (not run eagerly): the compaction is queued, then
    # run here as the worker would
    app = make_app(tmp_path, framework, shipped_resources[:20], INDEX_COMPACT_DELTAS=2,
                   INDEX_COMPACT_SHARE=0.5,
                   CELERY={"broker_url": "memory://", "result_backend": "cache+memory://",
                           "include": ["workers.tasks"]})
    client = app.test_client()
    with app.app_context():
        session = db.session()
        base = build_index(session, index_store(), encoder).version
        upsert_resources(session, shipped_resources[20:21])
        assert update_index.apply().result["status"] == "updated"
        assert not due(index_store().load(), 2, 0.5)
        delete_resource(session, shipped_resources[2].id)
        assert update_index.apply().result["status"] == "updated"
        layered = index_store().load()
        assert len(layered.chain) == 2 and due(layered, 2, 0.5)
        # the update queued the compaction (recorded, sent to the broker)
        queued = session.scalars(select(IndexBuild).where(IndexBuild.kind == "compaction")).all()
        assert [b.status for b in queued] == ["queued"]
        before = client.post("/api/v1/recommendations", json=ASK).get_json()

        result = compact_index.apply(task_id=queued[0].id)
        assert result.successful(), result.result
        assert result.result["status"] == "compacted"
        session.expire_all()
        assert session.get(IndexBuild, queued[0].id).status == "compacted"
        compacted = index_store().load()
        assert compacted.name == index_store().current_name() == result.result["version"]
        assert "+" not in compacted.name and compacted.name != base and not compacted.chain
        assert compacted.vectors.count == layered.vectors.count == 20
        assert sorted(compacted.vectors.ids().tolist()) == sorted(layered.vectors.ids().tolist())
        ids = np.array(sorted(layered.vectors.ids().tolist()))
        np.testing.assert_allclose(compacted.vectors_of(ids)[0], layered.vectors_of(ids)[0])
        np.testing.assert_array_equal(compacted.dense.ids, layered.dense.ids)
        assert compacted.manifest["catalogue_checksum"] == layered.manifest["catalogue_checksum"]
        after = client.post("/api/v1/recommendations", json=ASK).get_json()
        assert after["index_version"] == compacted.name
        for part in ("baseline", "specialist"):
            assert [i["id"] for i in after[part]] == [i["id"] for i in before[part]]
        assert compact(index_store()).status == "unchanged"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("INDEX_COMPACT_DELTAS", "0", "INDEX_COMPACT_DELTAS must be a whole number of at least 1"),
    ("INDEX_COMPACT_SHARE", "0", "INDEX_COMPACT_SHARE must be a share above 0 and at most 1"),
    ("INDEX_COMPACT_SHARE", "lots", "INDEX_COMPACT_SHARE must be a share above 0"),
])
def test_compaction_settings_are_checked(tmp_path, name, value, message):
    with pytest.raises(ValueError, match=message):
        from_environment({"VAR_DIR": str(tmp_path), name: value})
    config = from_environment({"VAR_DIR": str(tmp_path)})
    assert (config["INDEX_COMPACT_DELTAS"], config["INDEX_COMPACT_SHARE"]) == (64, 0.02)
