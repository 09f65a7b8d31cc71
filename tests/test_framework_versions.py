"""Framework versions and crosswalks keep curated work (issue 23, point 4), on the shipped
framework and the example spreadsheet's: a new DART-Ed version that renames, rewords, adds
and removes statements; a crosswalk from DART-Ed to Northfield suggested by meaning from the
real index, decided by a curator, and what its confirmed links carry across."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from catalogue.framework import FRAMEWORK_FILE, load_framework
from catalogue.framework_sheet import read_framework
from recommender.content.framework import load_framework as store_framework
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from recommender.storage.models import MappingReview, Resource, ResourceCapability

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "framework-example.csv"
SOME = 90  # shipped resources in each app: enough curated mappings, a quick index


def curated(app, framework: str = "dart-ed") -> set[tuple[str, str]]:
    with app.app_context():
        return set(db.session().execute(
            select(Resource.slug, ResourceCapability.capability_code)
            .join(Resource, Resource.id == ResourceCapability.resource_id)
            .where(ResourceCapability.framework == framework,
                   ResourceCapability.source == "curated")).all())


def most_mapped(app, skip: set[str] = frozenset()) -> str:
    """The DART-Ed statement curated for the most resources of the app, not in ``skip``."""
    counts: dict[str, int] = {}
    for _, code in curated(app):
        counts[code] = counts.get(code, 0) + 1
    return max((c for c in counts if c not in skip), key=lambda c: (counts[c], c))


@pytest.fixture
def versioned(tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path / "app", framework, shipped_resources[:SOME])
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    return app


def test_a_new_version_carries_curated_work_and_puts_the_rest_up_for_review(
        versioned, tmp_path, framework, encoder, shipped_resources):
    app, client = versioned, versioned.test_client()
    renamed = most_mapped(app)
    reworded = most_mapped(app, {renamed})
    removed = most_mapped(app, {renamed, reworded})
    before = curated(app)
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    raw["version"] = "2027.01-test"
    new_id = added = ""
    for domain in raw["domains"]:
        for group in domain["groups"]:
            kept = []
            for st in group["statements"]:
                if str(st["id"]) == renamed:
                    new_id = f"{group['id']}.90"
                    st = {**st, "id": new_id, "formerly": renamed}
                elif str(st["id"]) == reworded:
                    st = {**st, "text": st["text"] + " I can also teach it to others."}
                elif str(st["id"]) == removed:
                    continue
                kept.append(st)
            if any(str(s["id"]) == reworded for s in kept):
                added = f"{group['id']}.91"
                kept.append({"id": added, "level": 2, "archetypes": ["S", "D", "C", "E", "U"],
                             "provenance": "authored", "text": "I can judge whether an "
                             "artificial intelligence tool is safe, fair and effective enough "
                             "to use in patient care, and explain why."})
            group["statements"] = kept
    file = tmp_path / "v2.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")

    # an assessment against the old version, with an answer to the statement to be renamed
    stored = client.post("/api/v1/assessments", json={
        "learner_id": "learner-versions-01", "archetypes": ["user", "driver", "creator",
                                                          "embedder", "shaper"],
        "answers": [{"capability": renamed, "rating": 0}]}).get_json()

    with app.app_context():
        assert store_framework(db.session(), load_framework(file)) == "loaded"
    after = curated(app)
    # curated mappings followed the renamed statement, and stayed everywhere else
    assert {(s, new_id) for s, c in before if c == renamed} <= after
    assert not {c for _, c in after} & {renamed}
    assert {(s, c) for s, c in before if c != renamed} <= after
    # those to the reworded and the removed statements are held for a curator's review
    reviews = client.get("/api/v1/mapping-reviews").get_json()["items"]
    assert {(r["resource"], r["capability"], r["change"]) for r in reviews} == {
        (s, c, "reworded") for s, c in before if c == reworded} | {
        (s, c, "removed") for s, c in before if c == removed}
    # the assessment is read in the new version with its answer under the new id
    shown = client.get(f"/api/v1/assessments/{stored['id']}").get_json()
    assert shown["current_version"]["renamed"] == {renamed: new_id}
    assert shown["current_version"]["mapped"] == [new_id]
    # a caller still sending the old id is told the new one, whatever it sends it in
    for path, body, pointer in (
            ("/api/v1/assessments", {"archetypes": ["user"],
                                     "answers": [{"capability": renamed, "rating": 1}]},
             "/answers/0/capability"),
            ("/api/v1/plans", {"archetype": "user", "gaps": [{"capability": renamed}]},
             "/gaps/0/capability")):
        refused = client.post(path, json=body)
        assert refused.status_code == 422
        (error,) = [e for e in refused.get_json()["errors"] if e["pointer"] == pointer]
        assert error["detail"] == (f"unknown capability statement {renamed!r}: version "
                                   f"2027.01-test of the framework calls it {new_id!r}")

    # the next build suggests the reworded and the new statements for curated resources too
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        review_suggestions = set(db.session().execute(
            select(ResourceCapability.resource_id, ResourceCapability.capability_code)
            .where(ResourceCapability.source == "suggested",
                   ResourceCapability.capability_code.in_([added, reworded]),
                   ResourceCapability.resource_id.in_(
                       select(ResourceCapability.resource_id)
                       .where(ResourceCapability.source == "curated")))).all())
    assert {code for _, code in review_suggestions} & {added, reworded}
    refused = client.post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": renamed}]}).get_json()
    assert refused["errors"] == [{"pointer": "/gaps/0/capability", "detail":
                                  f"unknown capability statement {renamed!r}: version "
                                  f"2027.01-test of the framework calls it {new_id!r}"}]
    assert not {(s, c) for s, c in after} & {
        (s, c) for s, c in curated(app) if (s, c) in review_suggestions}

    # a curator keeps one held mapping and removes another
    keep, drop = reviews[0], reviews[-1]
    assert client.post(f"/api/v1/mapping-reviews/{keep['id']}",
                       json={"decision": "keep"}).get_json()["status"] == "kept"
    assert client.post(f"/api/v1/mapping-reviews/{drop['id']}",
                       json={"decision": "remove"}).get_json()["status"] == "removed"
    now = curated(app)
    assert (keep["resource"], keep["capability"]) in now
    assert (drop["resource"], drop["capability"]) not in now
    # a later import of the record as its source has it (edited there since) does not put the
    # removed mapping back
    record = next(r for r in shipped_resources[:SOME] if r.id == drop["resource"])
    assert drop["capability"] in record.capabilities
    with app.app_context():
        assert upsert_resources(db.session(), [replace(record, title=record.title + ".")]
                                ).changed
        db.session().commit()
    assert (drop["resource"], drop["capability"]) not in curated(app)
    open_ones = client.get("/api/v1/mapping-reviews").get_json()["items"]
    assert {r["id"] for r in open_ones} == {r["id"] for r in reviews} - {keep["id"], drop["id"]}
    assert client.post("/api/v1/mapping-reviews/999999",
                       json={"decision": "keep"}).status_code == 404
    with app.app_context():
        assert db.session().scalar(select(MappingReview.status).where(
            MappingReview.id == drop["id"])) == "removed"


def test_a_crosswalk_carries_curated_mappings_and_assessments_across(
        versioned, encoder):
    app, client = versioned, versioned.test_client()
    with app.app_context():
        store_framework(db.session(), read_framework(EXAMPLE))
        build_index(db.session(), index_store(), encoder)
    refused = client.post("/api/v1/crosswalks/dart-ed/dart-ed")
    assert refused.status_code == 422
    assert client.post("/api/v1/crosswalks/dart-ed/nowhere").status_code == 404
    made = client.post("/api/v1/crosswalks/dart-ed/northfield-digital").get_json()
    assert made["suggested"] > 0 and made["decided"] == 0
    links = client.get("/api/v1/crosswalks/dart-ed/northfield-digital").get_json()["links"]
    assert all(link["status"] == "suggested" and link["similarity"] >= 0.5 for link in links)
    mapped_codes = {c for _, c in curated(app)}
    link = max((x for x in links if x["from"] in mapped_codes),
               key=lambda x: x["similarity"])
    confirmed = client.post("/api/v1/crosswalks/dart-ed/northfield-digital/links", json={
        "from": link["from"], "to": link["to"], "decision": "confirm"}).get_json()
    assert confirmed["status"] == "confirmed"
    rejected = next(x for x in links if (x["from"], x["to"]) != (link["from"], link["to"]))
    client.post("/api/v1/crosswalks/dart-ed/northfield-digital/links", json={
        "from": rejected["from"], "to": rejected["to"], "decision": "reject"})
    assert client.post("/api/v1/crosswalks/dart-ed/northfield-digital/links", json={
        "from": "9.9", "to": "9.9", "decision": "reject"}).status_code == 404

    # a refresh keeps both decisions
    again = client.post("/api/v1/crosswalks/dart-ed/northfield-digital").get_json()
    assert again["decided"] == 2
    statuses = {(x["from"], x["to"]): x["status"] for x in client.get(
        "/api/v1/crosswalks/dart-ed/northfield-digital").get_json()["links"]}
    assert statuses[(link["from"], link["to"])] == "confirmed"
    assert statuses[(rejected["from"], rejected["to"])] == "rejected"

    # the resources curated for the DART-Ed statement count for the Northfield one
    carried = {s for s, c in curated(app) if c == link["from"]}
    cells = []
    for archetype in ("user", "embedder", "driver", "creator", "shaper"):
        for level in ("baseline", "specialist"):
            cell = client.get(f"/api/v1/coverage/cells/{link['to']}/{archetype}/{level}"
                              "?framework=northfield-digital").get_json()
            cells += [r for r in cell.get("resources_serving", []) + cell.get(
                "resources_excluded", []) if r["source"] == "crosswalk"]
    assert {r["id"] for r in cells} <= carried and {r["id"] for r in cells}
    assert all(r["confidence"] == confirmed["similarity"] for r in cells)

    # a DART-Ed assessment read against Northfield through the confirmed link
    stored = client.post("/api/v1/assessments", json={
        "learner_id": "learner-crosswalk-01",
        "archetypes": ["user", "driver", "creator", "embedder", "shaper"],
        "answers": [{"capability": link["from"], "rating": 1}]}).get_json()
    read = client.get(f"/api/v1/assessments/{stored['id']}?framework=northfield-digital"
                      ).get_json()["in_framework"]
    assert read["framework"] == "northfield-digital"
    assert read["answers"] == [{"capability": link["to"], "rating": 1,
                                "from": [link["from"]]}]
    assert read["unreached"] == []
