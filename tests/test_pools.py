"""Gaps given as statement ids rank from the version's pools (each statement's candidates and
their signals, worked out once per version): exactly as the per-request search over the
index ranks them, and a new version (a delta) gets pools of its own."""

import dataclasses
import random

import numpy as np

from catalogue.framework import ARCHETYPE_BADGES
from recommender.content.store import delete_resource, upsert_resources
from recommender.contract.validation import Filters, Gap, Preferences, RecommendationRequest
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.pools import FEEDBACK, statement_queries
from recommender.indexing.serving import index_holder, index_store, snapshot, statements
from recommender.ranking.recommend import recommend
from recommender.ranking.scoring import DEFAULT_WEIGHTS
from recommender.storage import db


def requests(codes: list[str], count: int, seed: int) -> list[RecommendationRequest]:
    """Varied requests of statement gaps: sizes, severities, archetypes, pages, filters and
    preferences."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        gaps = tuple(Gap(c, rng.randint(1, 3))
                     for c in rng.sample(codes, min(len(codes),
                                                    rng.choice([1, 2, 5, 10, 20]))))
        filters = rng.choice([Filters(), Filters(formats=("course", "e-learning")),
                              Filters(max_duration_minutes=90), Filters(languages=("en",))])
        preferences = rng.choice([Preferences(), Preferences(formats=("video",)),
                                  Preferences(duration_minutes=60),
                                  Preferences(level="specialist")])
        out.append(RecommendationRequest(
            rng.choice(list(ARCHETYPE_BADGES)), gaps, None, rng.choice([3, 10, 50]),
            page=rng.choice([1, 1, 2]), filters=filters, preferences=preferences))
    return out


def assert_ranked_alike(index, served, session, asked, known=None) -> int:
    """Each request answered from the pools and by searching (the snapshot without its
    pools) is the same answer; returns how many items were shown in all. ``known``: the
    statements (default: the index's DART-Ed ones)."""
    known = known if known is not None else statements(index)
    searched = dataclasses.replace(served, pools=None)
    shown = 0
    for req in asked:
        pooled = recommend(req, index, served, session, known, DEFAULT_WEIGHTS)
        plain = recommend(req, index, searched, session, known, DEFAULT_WEIGHTS)
        pooled.pop("recommendation_id"), plain.pop("recommendation_id")
        assert pooled == plain, req
        shown += len(pooled["baseline"]) + len(pooled["specialist"])
    return shown


def test_statement_gaps_rank_from_the_pools_as_the_search_ranks_them(served_app):
    with served_app.app_context():
        index = index_holder().get()
        served = snapshot(index)
        pools = served.pools
        assert pools is not None and pools.version == index.name
        codes = list(statements(index))
        shown = assert_ranked_alike(index, served, db.session(), requests(codes, 60, seed=3))
        assert shown > 300

        # the signals kept are those the search computes, for every statement
        vectors, found = index.vectors_of(pools.ids)
        assert found.all()
        rows = list(range(len(index.capability_ids)))
        similarity, lexical_rank, curated = pools.signals(np.arange(len(pools.ids)), rows)
        np.testing.assert_allclose(similarity, vectors @ statement_queries(index, served, rows).T,
                                   atol=1e-6)
        for row, code in enumerate(index.capability_ids):
            rank = {rid: k for k, rid in enumerate(index.lexical.ids[row].tolist()) if rid >= 0}
            assert lexical_rank[:, row].tolist() == [rank.get(i, -1) for i in pools.ids.tolist()]
            mapped = set(served.curated.get(code, np.zeros(0)).tolist())
            assert curated[:, row].tolist() == [i in mapped for i in pools.ids.tolist()]


def test_a_delta_gets_pools_of_its_own(tmp_path, framework, shipped_resources, encoder,
                                       make_app):
    app = make_app(tmp_path, framework, shipped_resources[:30])
    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        before = snapshot(index_holder().get())
        assert shipped_resources[5].id in pooled_slugs(before)
        upsert_resources(session, [shipped_resources[30]])
        delete_resource(session, shipped_resources[5].id)
        assert apply_changes(session, index_store(), encoder).deltas == 1

        version = index_holder().get()
        served = snapshot(version)
        assert served.pools is not before.pools and served.pools.version == version.name
        held = pooled_slugs(served)
        assert shipped_resources[30].id in held and shipped_resources[5].id not in held
        assert_ranked_alike(version, served, session,
                            requests(list(statements(version)), 20, seed=4))


def test_statements_nobody_curated_are_queried_with_their_best_bm25_matches(served_app):
    """A statement with curated mappings is compared by its own vector; one without, by its
    vector moved toward the resources its own words match best."""
    with served_app.app_context():
        index = index_holder().get()
        served = snapshot(index)
        rows = list(range(len(index.capability_ids)))
        queries = statement_queries(index, served, rows)
    mapped = [len(served.curated.get(code, ())) > 0 for code in index.capability_ids]
    assert any(mapped) and not all(mapped)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1, atol=1e-5)
    for row, curated in enumerate(mapped):
        own = index.capability_vectors[row]
        if curated:
            np.testing.assert_array_equal(queries[row], own)
            continue
        matches = index.vectors_of(index.lexical.ids[row, :FEEDBACK])[0]
        assert (matches @ queries[row]).mean() > (matches @ own).mean()
        assert queries[row] @ own > 0.8


def pooled_slugs(served) -> set[str]:
    """The resources (by slug) that a snapshot's pools hold."""
    return set(served.slugs[served.pools.rows].tolist())
