"""Index builds from the database, skipping unchanged catalogues, and hot reload."""

import json

from sqlalchemy import select

from indexes.store import RESOURCES_FILE
from recommender import db
from recommender.catalogue_store import upsert_resources
from recommender.indexing import build_index
from recommender.models import Resource
from recommender.services import index_holder, index_store


def test_build_holds_every_resource_and_skips_when_unchanged(tmp_path, framework, make_app,
                                                             shipped_resources, encoder):
    app = make_app(tmp_path, framework, shipped_resources[:12])
    with app.app_context():
        session = db.session()
        first = build_index(session, index_store(), encoder)
        assert first.status == "built" and first.count == 12
        manifest = json.loads((index_store().versions / first.version / "manifest.json")
                              .read_text())
        assert manifest["model"] == encoder.name and manifest["dimension"] == 384
        assert manifest["framework_version"] == framework.version
        loaded = index_store().load()
        ids = {r.id for r in session.scalars(select(Resource))}
        _, found = loaded.vectors.search(loaded.capability_vectors[:1], 50)
        assert set(found[0][found[0] >= 0]) == ids
        assert len(loaded.capability_ids) == len(framework.capabilities)

        assert build_index(session, index_store(), encoder).status == "unchanged"
        upsert_resources(session, shipped_resources[12:13])
        second = build_index(session, index_store(), encoder)
        assert second.status == "built" and second.count == 13


def test_web_process_picks_up_new_versions_and_survives_a_corrupt_one(
        tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:5])
    with app.app_context():
        holder = index_holder()
        assert holder.get() is None
        first = build_index(db.session(), index_store(), encoder)
        assert holder.get().name == first.version
        upsert_resources(db.session(), shipped_resources[5:6])
        second = build_index(db.session(), index_store(), encoder)
        assert holder.get().name == second.version

        upsert_resources(db.session(), shipped_resources[6:7])
        third = build_index(db.session(), index_store(), encoder)
        (index_store().versions / third.version / RESOURCES_FILE).write_bytes(b"garbage")
        # publish wrote the pointer already; force the holder to notice the change
        index_store().pointer.touch()
        assert holder.get().name == second.version
        assert "checksum" in holder.last_error
