"""The catalogue snapshot a web process ranks with: its columnar read (the archetypes decoded
once per distinct JSON value) holds exactly what the rows say, on SQLite and PostgreSQL."""

import math

import numpy as np
from sqlalchemy import select

from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.indexing.snapshot import ARCHETYPE_BITS
from recommender.indexing.snapshot import load as load_snapshot
from recommender.storage import db
from recommender.storage.models import Resource, ResourceCapability


def test_snapshot_holds_each_resources_ranking_columns(make_app, tmp_path, framework,
                                                       shipped_resources, encoder, database_url):
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url)
    with app.app_context():
        session = db.session()
        # an unknown duration and an empty archetype list
        rows = session.scalars(select(Resource).order_by(Resource.id)).all()
        rows[0].duration_minutes, rows[1].archetypes = None, []
        session.commit()
        build_index(session, index_store(), encoder)
        index = index_store().load()
        snapshot = load_snapshot(session, index)

        rows = session.scalars(select(Resource).order_by(Resource.id)).all()
        assert snapshot.ids.tolist() == [r.id for r in rows]
        assert snapshot.slugs.tolist() == [r.slug for r in rows]
        assert snapshot.is_baseline.tolist() == [r.level == "baseline" for r in rows]
        assert snapshot.archetype_bits.tolist() == [
            sum(ARCHETYPE_BITS[a] for a in r.archetypes or []) for r in rows]
        assert snapshot.archetype_bits[1] == 0
        assert len({int(b) for b in snapshot.archetype_bits}) > 2
        assert math.isnan(snapshot.duration[0])
        assert snapshot.duration[1:].tolist() == [float(r.duration_minutes) for r in rows[1:]]
        for column in ("provider", "format", "licence", "language"):
            codes = getattr(snapshot, column)
            assert [codes.labels[c] for c in codes.codes] == [getattr(r, column) for r in rows]

        curated = {}
        for rid, code in session.execute(select(ResourceCapability.resource_id,
                                                ResourceCapability.capability_code)
                                         .where(ResourceCapability.source == "curated")):
            curated.setdefault(code, set()).add(rid)
        assert curated and {c: set(ids.tolist()) for c, ids in snapshot.curated.items()} == curated
        for code, ids in snapshot.curated.items():  # best match to the statement first
            vectors, found = index.vectors_of(ids)
            assert found.all()
            similarity = vectors @ index.capability_vectors[index.row(code)]
            assert np.all(np.diff(similarity) <= 1e-6)
