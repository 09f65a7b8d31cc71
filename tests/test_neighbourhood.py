"""Scope by neighbourhood: a record nobody curated that is near a statement by its own text,
but whose neighbours in the catalogue are out of scope, is recommended for no gap."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from catalogue.importers import read_resources
from catalogue.importers.profiles import load_profile
from catalogue.text import resource_text
from recommender import create_app
from recommender.cli import main
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.content.store import upsert_resources
from recommender.contract.validation import Gap, RecommendationRequest
from recommender.indexing import neighbourhood
from recommender.indexing.basis import indexed_statements, wanted_manifest
from recommender.indexing.build import build_index
from recommender.indexing.neighbourhood import OUTSIDE_SHARE, listed, outside_shares, shares
from recommender.indexing.serving import index_holder, index_store, snapshot, statements
from recommender.indexing.suggestions import IN_SCOPE_SIMILARITY, Candidate, Suggesters
from recommender.ranking.evaluation import load_distractors
from recommender.ranking.recommend import recommend
from recommender.ranking.scoring import DEFAULT_WEIGHTS
from recommender.storage import db, migrate
from recommender.storage.models import Resource, ResourceCapability

DALIA = Path(__file__).parent / "data" / "external" / "nfdi4bioimage" \
    / "DALIA_training_materials.csv"
# research-data talks on a life-science campus: judged off topic for every learner
# (tests/data/judged/distractors.yaml), near the data-management statements by its text
TALKS = "https://doi.org/10.5281/zenodo.11548617"
GAPS = (Gap("5.1.4.7", 2), Gap("5.1.2.6", 2))  # data-management statements


@pytest.fixture(scope="module")
def mixed_app(tmp_path_factory, framework, shipped_resources, encoder):
    """The shipped catalogue and DALIA's records (imported through their profile), indexed."""
    folder = tmp_path_factory.mktemp("neighbourhood")
    env = {"VAR_DIR": str(folder), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    app = create_app(from_environment({"VAR_DIR": str(folder)}))
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
        upsert_resources(db.session(), list(shipped_resources))
    result = CliRunner().invoke(main, ["import", str(DALIA), "--profile", "dalia", "--no-job"],
                                env=env, catch_exceptions=False)
    assert "224 new" in result.output, result.output[-2000:]
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    yield app
    app.extensions["db"].kw["bind"].dispose()


def test_a_record_near_a_statement_among_off_topic_neighbours_serves_no_gap(mixed_app):
    with mixed_app.app_context():
        index = index_holder().get()
        view = snapshot(index)
        talks = db.session().scalar(select(Resource.id).where(Resource.url == TALKS))
        ids = np.array([talks])
        assert index.nearest_similarity(ids)[0] >= IN_SCOPE_SIMILARITY  # in scope by its text
        assert outside_shares(index, ids)[0] >= OUTSIDE_SHARE - 1e-6
        body = recommend(RecommendationRequest("creator", GAPS, None, 50), index, view,
                         db.session(), statements(), DEFAULT_WEIGHTS)
        shown = [item["id"] for level in ("baseline", "specialist") for item in body[level]]
        assert len(shown) >= 50  # lists long enough to reach it
        assert view.slugs[view.positions(ids)[0]] not in shown
        # every curated resource stays in scope, whatever its neighbours
        pools = view.pools
        assert pools.in_scope[view.curated_any[pools.rows]].all()


def test_a_record_its_neighbourhood_takes_out_of_scope_is_mapped_to_no_statement(mixed_app,
                                                                              encoder):
    with mixed_app.app_context():
        session, index = db.session(), index_holder().get()
        row = session.scalar(select(Resource).where(Resource.url == TALKS))
        suggested = set(session.scalars(select(ResourceCapability.capability_code).where(
            ResourceCapability.resource_id == row.id, ResourceCapability.source == "suggested")))
        assert suggested == set()
        assert _suggested_by_its_text(session, index, row, encoder)
        # while the records the gate leaves in scope keep theirs
        gated = index.outside[0][neighbourhood.gated(index.outside[1])]
        kept = set(session.scalars(select(ResourceCapability.resource_id).where(
            ResourceCapability.source == "suggested")))
        assert kept and not kept & set(gated.tolist())


def test_the_shares_a_build_keeps_are_those_a_search_finds(mixed_app):
    with mixed_app.app_context():
        index = index_holder().get()
        ids, kept = index.outside
        by_text = ~np.isnan(kept)
        assert 0 < by_text.sum() < len(ids)  # kept for the resources in scope by their text
        on_lists = by_text & np.isin(ids, listed(index.dense, index.lexical))
        assert on_lists.sum() > len(ids) / 2
        vectors, _ = index.vectors_of(ids[on_lists])
        searched = shares(index.vectors, ids[on_lists], vectors,
                          lambda x: index.nearest_similarity(x) >= IN_SCOPE_SIMILARITY)
        assert np.allclose(searched, kept[on_lists])
        assert not kept[by_text & ~on_lists].any()  # not searched: in scope by their text
        # a version that kept no shares gates nothing (until its next full build)
        assert not outside_shares(replace(index, outside=None), ids).any()


def test_a_resource_changed_since_the_full_build_is_searched_once_per_version(
        tmp_path, framework, shipped_resources, encoder, make_app, database_url):
    from recommender.indexing import neighbourhood
    from recommender.indexing.build import apply_changes

    app = make_app(tmp_path, framework, shipped_resources[:30], database_url)
    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        changed = replace(shipped_resources[3], description="How data managers on a research "
                          "campus describe, store and share microscopy images.")
        upsert_resources(session, [changed])
        assert apply_changes(session, index_store(), encoder).deltas == 1
        index = index_holder().get()
        rid = session.scalar(select(Resource.id).where(Resource.url == changed.url))
        ids = np.array([rid])
        assert rid in index.overlay.ids
        first = outside_shares(index, ids)
        assert neighbourhood._SEARCHED[index.name] == {rid: float(first[0])}  # kept
        vectors, _ = index.vectors_of(ids)
        fresh = shares(index.vectors, ids, vectors,
                       lambda x: index.nearest_similarity(x) >= IN_SCOPE_SIMILARITY)
        np.testing.assert_array_equal(first, fresh)  # as a search finds it
        np.testing.assert_array_equal(outside_shares(index, ids), first)


def test_a_record_an_update_adds_among_off_topic_neighbours_is_mapped_to_no_statement(
        tmp_path, framework, shipped_resources, encoder, make_app):
    from recommender.indexing.build import apply_changes

    dalia = read_resources([DALIA], framework, profile=load_profile("dalia")).resources
    talks = next(r for r in dalia if r.url == TALKS)
    off = load_distractors()
    others = [r for r in dalia if r.url in off and r.url != TALKS]
    app = make_app(tmp_path, framework, list(shipped_resources[:30]) + others)
    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        upsert_resources(session, [talks])
        assert apply_changes(session, index_store(), encoder).deltas == 1
        index = index_holder().get()
        row = session.scalar(select(Resource).where(Resource.url == TALKS))
        assert row.id in index.overlay.ids
        assert outside_shares(index, np.array([row.id]))[0] >= OUTSIDE_SHARE - 1e-6
        assert not session.scalars(select(ResourceCapability).where(
            ResourceCapability.resource_id == row.id)).all()
        assert _suggested_by_its_text(session, index, row, encoder)


def _suggested_by_its_text(session, index, row: Resource, encoder) -> list:
    """What the suggester maps the stored resource ``row`` to by its text alone (its own scope,
    by cosine, lets in a record near a statement)."""
    suggester = Suggesters(indexed_statements(session, wanted_manifest(session, encoder.name)),
                           index.capability_vectors)
    vector, _ = index.vectors_of(np.array([row.id]))
    text = resource_text(row.title, row.description, row.topics)
    return suggester.suggest(vector, [Candidate(text, row.level, row.archetypes)])[0]
