"""The catalogue API: filters, pagination, create/replace/delete, batch errors, export."""

import csv
import io

import pytest
from sqlalchemy import func, select

from catalogue.importers import read_resources
from recommender.storage import db
from recommender.storage.models import IndexOutbox, Resource
from tests.factories import GOOD


@pytest.fixture
def app(tmp_path, framework, shipped_resources, make_app):
    """A writable app over the first 40 shipped resources (no index needed)."""
    return make_app(tmp_path, framework, shipped_resources[:40])


@pytest.fixture
def api(app):
    return app.test_client()


def count(app, model=Resource) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def test_list_pages_in_a_stable_order(api):
    first = api.get("/api/v1/resources?per_page=15").get_json()
    second = api.get(first["links"]["next"]).get_json()
    assert first["total"] == 40 and len(first["items"]) == 15
    ids = [r["id"] for r in first["items"] + second["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 30
    last = api.get("/api/v1/resources?per_page=15&page=3").get_json()
    assert len(last["items"]) == 10 and last["links"] == {}


def test_filters_narrow_the_list(api, shipped_resources):
    sample = shipped_resources[0]
    by_capability = api.get(f"/api/v1/resources?capability={sample.capabilities[0]}&per_page=100"
                            ).get_json()["items"]
    assert sample.id in [r["id"] for r in by_capability]
    assert all(sample.capabilities[0] in [c["id"] for c in r["capabilities"]]
               for r in by_capability)
    domain = sample.capabilities[0].split(".")[0]
    in_domain = api.get(f"/api/v1/resources?domain={domain}&per_page=100").get_json()
    assert all(any(c["id"].startswith(domain + ".") for c in r["capabilities"])
               for r in in_domain["items"])
    for name, value in (("level", "specialist"), ("archetype", "user"), ("format", "guidance"),
                        ("licence", "OGL-UK-3.0"), ("provider", sample.provider)):
        items = api.get(f"/api/v1/resources?{name}={value}&per_page=100").get_json()["items"]
        assert items, name
        field = {"archetype": "archetypes"}.get(name, name)
        assert all(value in r[field] if field == "archetypes" else r[field] == value
                   for r in items)
    word = sample.title.split()[0].lower()
    found = api.get(f"/api/v1/resources?q={word}&per_page=100").get_json()["items"]
    assert sample.id in [r["id"] for r in found]


@pytest.mark.parametrize("query, pointer", [
    ("level=advanced", "?level"), ("per_page=1000", "?per_page"), ("page=0", "?page"),
    ("archetype=nurse", "?archetype"), ("colour=red", "?colour"),
])
def test_bad_filters_are_named(api, query, pointer):
    response = api.get(f"/api/v1/resources?{query}")
    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_create_read_replace_delete(api, app):
    before = count(app)
    created = api.post("/api/v1/resources", json=GOOD)
    assert created.status_code == 201 and created.get_json()["new"] == [GOOD["id"]]
    assert count(app) == before + 1
    shown = api.get(f"/api/v1/resources/{GOOD['id']}").get_json()
    assert shown["version"] == 1 and shown["licence"] == "CC-BY-4.0"
    assert shown["capabilities"] == [{"id": "6.0.1", "source": "curated", "confidence": 1.0}]

    again = api.post("/api/v1/resources", json=GOOD)
    assert again.status_code == 200 and again.get_json()["unchanged"] == [GOOD["id"]]

    replaced = api.put(f"/api/v1/resources/{GOOD['id']}",
                       json={**GOOD, "title": "A renamed open course"})
    assert replaced.status_code == 200
    assert replaced.get_json()["title"] == "A renamed open course"
    assert replaced.get_json()["version"] == 2

    assert api.delete(f"/api/v1/resources/{GOOD['id']}").status_code == 204
    assert api.get(f"/api/v1/resources/{GOOD['id']}").status_code == 404
    assert api.delete(f"/api/v1/resources/{GOOD['id']}").status_code == 404
    assert count(app) == before
    # every change left work for the index in the outbox
    assert count(app, IndexOutbox) >= 3


def test_same_url_under_another_spelling_is_the_same_resource(api, app):
    api.post("/api/v1/resources", json=GOOD)
    twin = {**GOOD, "id": "another-id", "url": "HTTP://www.Example.org/course/?utm_source=x",
            "title": "An example open course, second edition"}
    response = api.post("/api/v1/resources", json=twin)
    assert response.get_json()["updated"] == ["another-id"]
    assert api.get("/api/v1/resources/example-open-course").get_json()["title"] == \
        twin["title"]
    assert api.get("/api/v1/resources/another-id").status_code == 404


def test_batch_is_all_or_nothing_and_names_each_bad_record(api, app):
    before = count(app)
    batch = [GOOD, {**GOOD, "id": "two", "url": "https://example.org/2", "licence": "UNKNOWN"},
             {**GOOD, "id": "three", "url": "https://example.org/3", "level": "expert"}]
    response = api.post("/api/v1/resources", json=batch)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["/1/licence", "/2/level"]
    assert count(app) == before
    ok = api.post("/api/v1/resources", json=batch[:1] + [
        {**GOOD, "id": "two", "url": "https://example.org/2"}])
    assert ok.status_code == 201 and len(ok.get_json()["new"]) == 2


def test_put_with_a_different_id_is_refused(api):
    response = api.put("/api/v1/resources/one-id", json={**GOOD, "id": "other-id"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/id"


def test_csv_export_reads_back_unchanged(api, tmp_path, framework, shipped_resources):
    response = api.get("/api/v1/resources/export?format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 40
    path = tmp_path / "export.csv"
    path.write_bytes(response.get_data())
    batch = read_resources(path, framework)
    assert not batch.errors
    assert {r.id: r for r in batch.resources} == {r.id: r for r in shipped_resources[:40]}


def test_jsonld_export_reads_back_unchanged(api, tmp_path, framework, shipped_resources):
    response = api.get("/api/v1/resources/export", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    path = tmp_path / "export.jsonld"
    path.write_bytes(response.get_data())
    batch = read_resources(path, framework)
    assert not batch.errors, [str(e) for e in batch.errors[:3]]
    assert {r.id: r for r in batch.resources} == {r.id: r for r in shipped_resources[:40]}


def test_api_applies_the_configured_licence_policy(tmp_path, framework, make_app):
    from catalogue.licences import parse_allowlist

    app = make_app(tmp_path, framework, [],
                   LICENCE_ALLOWLIST=parse_allowlist("CC-BY-4.0,OGL-UK-3.0"))
    response = app.test_client().post("/api/v1/resources",
                                      json={**GOOD, "licence": "free-access"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{
        "pointer": "/licence", "detail": "free-to-access resources without an open licence "
                                         "are not accepted by this catalogue's licence policy"}]
    assert count(app) == 0
