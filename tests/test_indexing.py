"""Index builds from the database, skipping unchanged catalogues, and hot reload."""

import json
import threading
from dataclasses import replace

from sqlalchemy import select

from indexes.lexical import tokens
from indexes.store import RESOURCES_FILE
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_holder, index_store
from recommender.storage import db
from recommender.storage.models import Resource


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


def test_gunicorn_workers_keep_answering_from_the_old_version_while_a_new_one_loads(
        tmp_path, framework, shipped_resources, encoder, make_app):
    """A background reload (what gunicorn workers do): the new version and its catalogue
    snapshot are loaded by a thread while requests are answered from the previous version,
    which is swapped out only once both are ready. At a million resources the snapshot takes
    a minute or more to read, which no request should wait for."""
    app = make_app(tmp_path, framework, shipped_resources[:5])
    client = app.test_client()
    body = {"archetype": "user", "gaps": [{"capability": shipped_resources[5].capabilities[0]}]}
    with app.app_context():
        holder = index_holder()
        holder.background = True
        first = build_index(db.session(), index_store(), encoder)
        assert holder.get().name == first.version  # nothing to serve yet: loaded inline
        assert client.post("/api/v1/recommendations", json=body).status_code == 200

        ready, release = threading.Event(), threading.Event()
        prepare = holder.prepare

        def held(version):  # the real preparation, held until the test has looked
            prepare(version)
            ready.set()
            release.wait(60)

        holder.prepare = held
        upsert_resources(db.session(), shipped_resources[5:6])
        second = build_index(db.session(), index_store(), encoder)
        assert holder.get().name == first.version
        assert ready.wait(60)  # the new snapshot is loaded; the old version still serves
        assert set(app.extensions["snapshots"]) == {first.version, second.version}
        answer = client.post("/api/v1/recommendations", json=body)
        assert answer.status_code == 200
        assert answer.get_json()["index_version"] == first.version
        slugs = {i["id"] for part in ("baseline", "specialist") for i in answer.get_json()[part]}
        assert shipped_resources[5].id not in slugs

        release.set()
        assert holder.wait(60)
        assert holder.get().name == second.version
        answer = client.post("/api/v1/recommendations", json=body).get_json()
        assert answer["index_version"] == second.version
        assert shipped_resources[5].id in {
            i["id"] for part in ("baseline", "specialist") for i in answer[part]}

        # a broken version never replaces the served one
        holder.prepare = prepare
        upsert_resources(db.session(), shipped_resources[6:7])
        third = build_index(db.session(), index_store(), encoder)
        (index_store().versions / third.version / RESOURCES_FILE).write_bytes(b"garbage")
        index_store().pointer.touch()
        holder.get()
        assert holder.wait(60)
        assert holder.get().name == second.version
        assert "checksum" in holder.last_error


def test_a_full_build_encodes_shortest_texts_first_on_each_database(
        tmp_path, framework, make_app, shipped_resources, encoder, database_url):
    # sentence-transformers pads each call's texts to the longest of each batch of 64, so
    # calls of alike lengths waste less work (docs/performance.md, index build)
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url=database_url)
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        ids, _ = index_store().load().vectors.matrix()
        length = {r.id: len(r.title) + len(r.description) + len(json.dumps(r.topics))
                  for r in db.session().scalars(select(Resource))}
    in_index = [length[i] for i in ids.tolist()]
    assert len(in_index) == 30 and len(set(in_index)) > 10
    assert in_index == sorted(in_index)


def test_a_statements_bm25_list_matches_its_own_words_not_its_groups_names(
        tmp_path, framework, make_app, shipped_resources, encoder):
    """A statement's domain and group names are shared by every statement under them, so a
    resource that only repeats them is not in its BM25 list; one in its own words is."""
    statement = next(s for s in framework.capabilities
                     if not set(tokens(f"{s.domain_name} {s.group_name}")) & set(tokens(s.text)))
    names = replace(shipped_resources[0], id="names-only", url="https://example.org/names",
                    title=f"{statement.group_name}: {statement.domain_name}", topics=(),
                    description=f"An overview of {statement.group_name} and of "
                                f"{statement.domain_name}, for the whole workforce.")
    words = replace(shipped_resources[1], id="own-words", url="https://example.org/words",
                    title="A short course", description=statement.text, topics=())
    app = make_app(tmp_path, framework, [*shipped_resources[2:12], names, words])
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        loaded = index_store().load()
        ids = dict(db.session().execute(select(Resource.slug, Resource.id)).all())
    listed = loaded.lexical.ids[loaded.row(statement.id)].tolist()
    assert ids["own-words"] in listed
    assert ids["names-only"] not in listed
