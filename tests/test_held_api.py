"""Held records through the API: an import holds what may not enter as it stands (licence
unknown, missing or outside the policy, a paid resource); curators list and filter them, fix
and admit one or reject it; held records are never recommended nor counted as coverage."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from catalogue.licences import DEFAULT_ALLOWED
from recommender.access.keys import create_key
from recommender.content.imports import read_batch, write_batch
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.serving import index_store, statements
from recommender.storage import db
from recommender.storage.models import HeldRecord, Resource
from tests.factories import GOOD

POLICY = DEFAULT_ALLOWED - {"CC-BY-NC-4.0"}
UNSTATED = {k: v for k, v in GOOD.items() if k != "licence"}
RECORDS = [
    {**GOOD, "id": "unknown-licence", "url": "https://example.org/unknown",
     "title": "A course whose licence nobody knows", "licence": "UNKNOWN"},
    {**UNSTATED, "id": "no-licence", "url": "https://example.org/unstated",
     "title": "A course that states no licence"},
    {**GOOD, "id": "paid-course", "url": "https://example.org/paid",
     "title": "A paid course", "access": "paid"},
    {**GOOD, "id": "non-commercial", "url": "https://example.org/nc",
     "title": "A non-commercial course", "licence": "CC-BY-NC-4.0"},
]
BASE = "/api/v1/held-records"


def write_jsonl(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def import_file(app, path: str):
    """The one import path: read and validate, then write admitted and held records."""
    with app.app_context():
        return write_batch(db.session(), read_batch([path]))


@pytest.fixture
def held(tmp_path, framework, make_app):
    """An app whose licence policy leaves out CC-BY-NC-4.0, after an import that held all
    four records; returns (app, client, {url: held record id})."""
    app = make_app(tmp_path / "app", framework, [], LICENCE_ALLOWLIST=POLICY)
    result = import_file(app, write_jsonl(tmp_path / "held.jsonl", RECORDS))
    assert (result.new, result.held, result.rejected) == ([], 4, 0)
    client = app.test_client()
    items = client.get(f"{BASE}?per_page=100").get_json()["items"]
    return app, client, {item["url"]: item["id"] for item in items}


def held_rows(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(HeldRecord))


def test_held_records_are_listed_with_their_reasons(held):
    app, client, ids = held
    body = client.get(BASE).get_json()
    assert body["total"] == 4 and body["page"] == 1 and body["links"] == {}
    assert body["counts"] == {"held": 4, "admitted": 0, "rejected": 0, "superseded": 0}
    reasons = {item["url"]: (item["field"], item["reason"]) for item in body["items"]}
    assert reasons["https://example.org/unknown"][0] == "licence"
    assert "UNKNOWN" in reasons["https://example.org/unknown"][1]
    assert reasons["https://example.org/unstated"][0] == "licence"
    assert reasons["https://example.org/unstated"][1].startswith(
        "licence not stated by the source")
    assert reasons["https://example.org/paid"][0] == "access"
    assert reasons["https://example.org/nc"] == (
        "licence", "licence 'CC-BY-NC-4.0' is not on the allow-list")
    one = client.get(f"{BASE}/{ids['https://example.org/paid']}").get_json()
    assert one["status"] == "held" and one["data"]["access"] == "paid"
    assert one["title"] == "A paid course" and one["record"] == "3"
    assert one["source"].endswith("held.jsonl") and one["resource"] is None
    # none of them is in the catalogue
    assert client.get("/api/v1/resources").get_json()["total"] == 0
    assert client.get("/api/v1/resources/paid-course").status_code == 404


def test_the_listing_filters_pages_and_names_bad_parameters(held):
    _, client, _ = held
    assert client.get(f"{BASE}?field=licence").get_json()["total"] == 3
    assert [i["url"] for i in client.get(f"{BASE}?field=access").get_json()["items"]] == [
        "https://example.org/paid"]
    found = client.get(f"{BASE}?q=allow-list").get_json()["items"]
    assert [i["url"] for i in found] == ["https://example.org/nc"]
    assert client.get(f"{BASE}?q=NON-COMMERCIAL").get_json()["total"] == 1  # the title
    assert client.get(f"{BASE}?status=admitted").get_json()["total"] == 0
    first = client.get(f"{BASE}?per_page=3").get_json()
    assert len(first["items"]) == 3 and first["total"] == 4
    assert "page=2" in first["links"]["next"] and "per_page=3" in first["links"]["next"]
    second = client.get(first["links"]["next"]).get_json()
    assert len(second["items"]) == 1 and second["links"] == {}
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])
    bad = client.get(f"{BASE}?status=pending&page=0&per_page=101")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert [e["pointer"] for e in bad.get_json()["errors"]] == ["?status", "?page",
                                                                 "?per_page"]
    unknown = client.get(f"{BASE}?colour=red").get_json()
    assert unknown["errors"] == [{"pointer": "?colour", "detail": "unknown parameter"}]


def test_a_curator_fixes_and_admits_a_record(held):
    app, client, ids = held
    held_id = ids["https://example.org/unknown"]
    still_out = client.patch(f"{BASE}/{held_id}", json={
        "decision": "admit", "fixes": {"licence": "CC-BY-NC-4.0"}})
    assert still_out.status_code == 422
    assert still_out.get_json()["errors"] == [
        {"pointer": "/fixes/licence", "detail": "licence 'CC-BY-NC-4.0' is not on the "
                                                "allow-list"}]
    assert client.get(f"{BASE}/{held_id}").get_json()["status"] == "held"
    assert client.get("/api/v1/resources").get_json()["total"] == 0

    admitted = client.patch(f"{BASE}/{held_id}", json={
        "decision": "admit", "fixes": {"licence": "CC-BY-4.0"}})
    assert admitted.status_code == 200, admitted.get_json()
    body = admitted.get_json()
    assert body["status"] == "admitted" and body["resource"] == "unknown-licence"
    assert body["decided_at"] and "index_task" in body
    resource = client.get(f"/api/v1/resources/{body['resource']}").get_json()
    assert resource["licence"] == "CC-BY-4.0" and resource["url"] == "https://example.org/unknown"
    assert resource["curated_fields"] == ["licence"]  # an import never overwrites it
    counts = client.get(BASE).get_json()["counts"]
    assert (counts["held"], counts["admitted"]) == (3, 1)

    again = client.patch(f"{BASE}/{held_id}", json={"decision": "reject"})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "already admitted" in again.get_json()["detail"]


def test_admission_checks_every_field_and_the_body(held):
    _, client, ids = held
    paid = ids["https://example.org/paid"]
    wrong = client.patch(f"{BASE}/{paid}", json={"decision": "admit",
                                                 "fixes": {"licence": "CC-BY-4.0"}})
    assert wrong.status_code == 422  # still paid: the access is what keeps it out
    assert wrong.get_json()["errors"][0]["pointer"] == "/fixes/access"
    unknown = client.patch(f"{BASE}/{paid}", json={"decision": "admit", "fixes": {
        "access": "open", "capabilities": ["9.9.9"]}})
    assert unknown.get_json()["errors"] == [{"pointer": "/fixes/capabilities",
                                             "detail": "unknown capability '9.9.9'"}]
    for body, pointer in (({"decision": "admit", "reason": "x"}, "/reason"),
                          ({"decision": "reject", "fixes": {"access": "open"}}, "/fixes"),
                          ({"decision": "admit", "fixes": {"id": "x"}}, "/fixes/id"),
                          ({"decision": "admit", "fixes": {"capabilities": ["six"]}},
                           "/fixes/capabilities/0"),
                          ({"decision": "admit", "fixes": {"access": "paid"}},
                           "/fixes/access"),
                          ({"decision": "maybe"}, "/decision"),
                          ({}, "/decision")):
        refused = client.patch(f"{BASE}/{paid}", json=body)
        assert refused.status_code == 422, body
        assert refused.get_json()["errors"][0]["pointer"] == pointer, body
    fixed = client.patch(f"{BASE}/{paid}", json={"decision": "admit",
                                                 "fixes": {"access": "free-registration"}})
    assert fixed.status_code == 200 and fixed.get_json()["resource"] == "paid-course"


def test_a_curator_rejects_a_record_once(held):
    app, client, ids = held
    held_id = ids["https://example.org/nc"]
    rejected = client.patch(f"{BASE}/{held_id}", json={"decision": "reject",
                                                       "reason": "not for the NHS"})
    assert rejected.status_code == 200
    body = rejected.get_json()
    assert body["status"] == "rejected" and body["resource"] is None
    assert "not for the NHS" in body["reason"]
    assert client.patch(f"{BASE}/{held_id}", json={"decision": "admit"}).status_code == 409
    assert client.get("/api/v1/resources/non-commercial").status_code == 404
    listed = client.get(f"{BASE}?status=rejected").get_json()
    assert [i["id"] for i in listed["items"]] == [held_id]
    assert listed["counts"]["rejected"] == 1 and listed["counts"]["held"] == 3


def test_unknown_held_records_are_404(held):
    _, client, _ = held
    for response in (client.get(f"{BASE}/999999"),
                     client.patch(f"{BASE}/999999", json={"decision": "reject"}),
                     client.get(f"{BASE}/{2**31}"),
                     client.patch(f"{BASE}/{2**40}", json={"decision": "reject"})):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_a_reimport_replaces_the_held_copy_and_a_fixed_source_supersedes_it(held, tmp_path):
    app, client, ids = held
    again = import_file(app, write_jsonl(tmp_path / "held.jsonl", RECORDS))
    assert again.held == 4
    assert held_rows(app) == 4  # one held record per URL, not two
    assert {i["id"] for i in client.get(BASE).get_json()["items"]} == set(ids.values())
    fixed = [{**RECORDS[0], "licence": "CC-BY-4.0"}, *RECORDS[1:]]
    result = import_file(app, write_jsonl(tmp_path / "fixed.jsonl", fixed))
    assert result.new == ["unknown-licence"] and result.held == 3
    superseded = client.get(f"{BASE}/{ids['https://example.org/unknown']}").get_json()
    assert superseded["status"] == "superseded"
    assert client.get(BASE).get_json()["counts"] == {
        "held": 3, "admitted": 0, "rejected": 0, "superseded": 1}


def test_held_records_need_the_catalogue_write_scope(tmp_path, framework, make_app):
    app = make_app(tmp_path, framework, [], AUTH_REQUIRED=True)
    with app.app_context():
        reader = create_key(db.session(), "reader", ["catalogue:read"]).key
        writer = create_key(db.session(), "writer", ["catalogue:write"]).key
    client = app.test_client()
    assert client.get(BASE).status_code == 401
    read_only = {"Authorization": f"Bearer {reader}"}
    assert client.get(BASE, headers=read_only).status_code == 403
    assert client.patch(f"{BASE}/1", json={"decision": "reject"},
                        headers=read_only).status_code == 403
    assert client.get(BASE, headers={"Authorization": f"Bearer {writer}"}).status_code == 200


def test_a_held_record_is_never_recommended_nor_counted_as_coverage(
        tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path / "app", framework, shipped_resources[:40])
    with app.app_context():
        known = statements()
    gap = next(s for s in known.values() if s.domain_id == "6" and "user" in s.archetypes)
    level = "baseline" if gap.level == 1 else "specialist"
    # a record written to match the gap as closely as can be, and mapped to it
    perfect = {**GOOD, "id": "perfect-but-unlicensed", "url": "https://example.org/perfect",
               "title": gap.text[:400], "description": f"{gap.text} {gap.text}",
               "capabilities": [gap.id], "level": level, "archetypes": ["user"],
               "licence": "UNKNOWN"}
    result = import_file(app, write_jsonl(tmp_path / "perfect.jsonl", [perfect]))
    assert result.held == 1
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    client = app.test_client()
    ask = {"archetype": "user", "gaps": [{"capability": gap.id, "severity": 3}], "limit": 25}
    cell = f"/api/v1/coverage/cells/{gap.id}/user/{level}"

    def recommended() -> set[str]:
        response = client.post("/api/v1/recommendations", json=ask)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return {item["url"] for item in body["baseline"] + body["specialist"]}

    def counted() -> set[str]:
        body = client.get(cell).get_json()
        return {r["id"] for r in body["resources_serving"] + body["resources_excluded"]}

    assert "https://example.org/perfect" not in recommended()
    assert "perfect-but-unlicensed" not in counted()
    # the same record, admitted with its licence fixed, is both: the checks above can fail
    held_id = client.get(BASE).get_json()["items"][0]["id"]
    admitted = client.patch(f"{BASE}/{held_id}", json={"decision": "admit",
                                                       "fixes": {"licence": "CC-BY-4.0"}})
    assert admitted.status_code == 200
    with app.app_context():
        apply_changes(db.session(), index_store(), encoder)  # what the worker does
        assert db.session().scalar(select(Resource.licence).where(
            Resource.slug == "perfect-but-unlicensed")) == "CC-BY-4.0"
    assert "https://example.org/perfect" in recommended()
    assert "perfect-but-unlicensed" in counted()


def test_a_curators_decision_stands_when_the_same_feed_comes_again(held, tmp_path):
    app, client, ids = held
    fixed = client.patch(f"{BASE}/{ids['https://example.org/unknown']}", json={
        "decision": "admit", "fixes": {"licence": "CC-BY-4.0"}})
    assert fixed.status_code == 200, fixed.get_json()
    rejected = client.patch(f"{BASE}/{ids['https://example.org/paid']}", json={
        "decision": "reject", "reason": "a paid course"})
    assert rejected.status_code == 200
    again = import_file(app, write_jsonl(tmp_path / "again.jsonl", RECORDS))
    # the admitted one keeps the curator's licence, the rejected one stays rejected
    assert (again.new, again.updated, again.held) == ([], [], 2)
    assert sorted(again.unchanged) == ["https://example.org/paid",
                                       "https://example.org/unknown"]
    counts = client.get(BASE).get_json()["counts"]
    assert counts == {"held": 2, "admitted": 1, "rejected": 1, "superseded": 0}
    changed = [{**RECORDS[2], "description": RECORDS[2]["description"] + " Now cheaper."}]
    later = import_file(app, write_jsonl(tmp_path / "changed.jsonl", changed))
    assert later.held == 1  # the record changed since it was rejected: a curator looks again


def test_an_import_says_why_it_held_records_grouped_by_reason(tmp_path, framework, make_app):
    app = make_app(tmp_path / "app", framework, [], LICENCE_ALLOWLIST=POLICY)
    more = [{**RECORDS[0], "id": "other-open", "url": "https://example.org/unknown-2",
             "licence": "OTHER-OPEN"}]
    result = import_file(app, write_jsonl(tmp_path / "held.jsonl", RECORDS + more))
    assert result.held_by_reason == {
        "licence: unknown licence '…'; use an SPDX id such as CC-BY-4.0": 2,
        "licence: licence not stated by the source, and it does not declare the resource "
        "free to access": 1,
        "access: access must be one of open, free-registration, application (paid resources "
        "are not admitted)": 1,
        "licence: licence '…' is not on the allow-list": 1}
    assert sum(result.held_by_reason.values()) == result.held == 5
