"""Incremental index updates from the outbox, suggested mappings, near-duplicate flags, lock."""

import dataclasses

import numpy as np
import pytest
from sqlalchemy import func, select

from indexes.store import IndexBusyError
from recommender.content.store import delete_resource, upsert_resources
from recommender.indexing.basis import is_up_to_date, wanted_manifest
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.serving import index_store
from recommender.indexing.suggestions import MIN_CONFIDENCE
from recommender.storage import db
from recommender.storage.models import IndexOutbox, NearDuplicate, Resource, ResourceCapability


@pytest.fixture
def built(tmp_path, framework, shipped_resources, encoder, make_app):
    """An app over 20 shipped resources with a full index built."""
    app = make_app(tmp_path, framework, shipped_resources[:20])
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    return app


def resource_id(slug: str) -> int:
    return db.session().scalar(select(Resource.id).where(Resource.slug == slug))


def test_add_change_delete_reach_the_index_without_a_rebuild(built, shipped_resources, encoder):
    with built.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(IndexOutbox)) == 0
        new = shipped_resources[20]
        upsert_resources(session, [new])
        outcome = apply_changes(session, index_store(), encoder)
        assert (outcome.status, outcome.count, outcome.changed) == ("updated", 21, 1)
        loaded = index_store().load()
        rid = resource_id(new.id)
        _, found = loaded.vectors.search(loaded.vectors.reconstruct(rid), 1)
        assert found[0, 0] == rid
        assert is_up_to_date(index_store(), wanted_manifest(session, encoder.name))
        assert session.scalar(select(func.count()).select_from(IndexOutbox)) == 0

        before = loaded.vectors.reconstruct(rid)
        upsert_resources(session, [dataclasses.replace(
            new, description="An entirely different description about surgical robots and "
                             "how theatre teams prepare for them.")])
        apply_changes(session, index_store(), encoder)
        after = index_store().load().vectors.reconstruct(rid)
        assert float(np.dot(before, after)) < 0.9

        delete_resource(session, new.id)
        outcome = apply_changes(session, index_store(), encoder)
        assert outcome.count == 20
        _, found = index_store().load().vectors.search(after, 20)
        assert rid not in found[0]
        assert apply_changes(session, index_store(), encoder).status == "unchanged"


def test_unmapped_resource_gets_suggestions_and_curation_wins(built, shipped_resources,
                                                              encoder):
    with built.app_context():
        session = db.session()
        unmapped = dataclasses.replace(shipped_resources[21], capabilities=())
        upsert_resources(session, [unmapped])
        apply_changes(session, index_store(), encoder)
        rid = resource_id(unmapped.id)
        suggested = session.scalars(select(ResourceCapability).where(
            ResourceCapability.resource_id == rid)).all()
        # up to three, each with a calibrated confidence of at least MIN_CONFIDENCE
        assert 1 <= len(suggested) <= 3
        assert all(m.source == "suggested" and MIN_CONFIDENCE <= m.confidence < 1
                   for m in suggested)
        # the suggestions land in the same domain the curator chose
        curated_domains = {c.split(".")[0] for c in shipped_resources[21].capabilities}
        assert {m.capability_code.split(".")[0] for m in suggested} & curated_domains

        upsert_resources(session, [shipped_resources[21]])
        apply_changes(session, index_store(), encoder)
        session.expire_all()
        mappings = session.scalars(select(ResourceCapability).where(
            ResourceCapability.resource_id == rid)).all()
        assert {m.source for m in mappings} == {"curated"}
        assert {m.capability_code for m in mappings} == set(shipped_resources[21].capabilities)


def test_near_duplicate_under_another_url_is_flagged_not_merged(built, shipped_resources,
                                                                encoder):
    with built.app_context():
        session = db.session()
        assert session.scalars(select(NearDuplicate)).all() == []
        original = shipped_resources[3]
        copy = dataclasses.replace(original, id="copy-of-" + original.id[:60],
                                   url="https://mirror.example.org/copy",
                                   description=original.description.replace(". ", "; ", 1))
        upsert_resources(session, [copy])
        apply_changes(session, index_store(), encoder)
        flags = session.scalars(select(NearDuplicate)).all()
        pair = {resource_id(original.id), resource_id(copy.id)}
        assert [{f.resource_id, f.other_id} for f in flags] == [pair]
        assert flags[0].status == "open" and flags[0].similarity >= 0.93
        assert session.scalar(select(func.count()).select_from(Resource)) == 21

    client = built.test_client()
    listed = client.get("/api/v1/near-duplicates").get_json()["items"]
    assert {r["id"] for r in listed[0]["resources"]} == {original.id, copy.id}
    assert client.patch(f"/api/v1/near-duplicates/{listed[0]['id']}",
                        json={"status": "maybe"}).status_code == 422
    assert client.patch(f"/api/v1/near-duplicates/{listed[0]['id']}",
                        json={"status": "dismissed"}).get_json()["status"] == "dismissed"
    assert client.get("/api/v1/near-duplicates").get_json()["items"] == []
    assert client.patch("/api/v1/near-duplicates/9999",
                        json={"status": "dismissed"}).status_code == 404


def test_only_one_build_at_a_time(built, shipped_resources, encoder):
    with built.app_context():
        upsert_resources(db.session(), [shipped_resources[22]])
        with index_store().lock(), pytest.raises(IndexBusyError):
            apply_changes(db.session(), index_store(), encoder, lock_timeout=0.2)
        assert apply_changes(db.session(), index_store(), encoder).status == "updated"


def test_each_resources_nearest_statement_is_kept_through_adds_changes_and_deletes(
        built, shipped_resources, encoder):
    """Kept at build, so a request reads it instead of multiplying its candidates by every
    statement; it must be what the vectors give."""
    def computed(index, ids):
        vectors, found = index.vectors_of(ids)
        return np.where(found, (vectors @ index.capability_vectors.T).max(axis=1), -np.inf)

    with built.app_context():
        session = db.session()
        new, changed = shipped_resources[20], shipped_resources[3]
        upsert_resources(session, [new, dataclasses.replace(
            changed, description="Robots in theatre: how surgical teams prepare for them.")])
        delete_resource(session, shipped_resources[5].id)
        apply_changes(session, index_store(), encoder)
        loaded = index_store().load()
        assert loaded.nearest is not None and loaded.chain  # kept, and served as a delta
        ids = np.array(sorted(session.scalars(select(Resource.id))) + [10**9], dtype=np.int64)
        kept = loaded.nearest_similarity(ids)
        assert kept[-1] == -np.inf  # an id the version does not hold
        assert np.allclose(kept[:-1], computed(loaded, ids)[:-1], atol=1e-5)
        assert loaded.vectors.count == len(ids) - 1
