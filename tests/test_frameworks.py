"""Several frameworks side by side (issue 23, point 3): DART-Ed, the example spreadsheet's
framework and a small framework with roles of its own, loaded into one database, indexed by
one real build (real model, real FAISS), and served by the API, each request in its own
framework. DART-Ed's answers are the same as in an app that holds DART-Ed alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from catalogue.framework import load_framework
from catalogue.framework_sheet import read_framework
from recommender.content.framework import load_framework as store_framework
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import (
    framework_view,
    index_holder,
    index_store,
    statements,
    warm,
)
from recommender.storage import db
from recommender.storage.models import Resource, ResourceCapability
from tests.conftest import prepared_app
from tests.test_pools import assert_ranked_alike, requests

EXAMPLE = Path(__file__).parent.parent / "docs" / "examples" / "framework-example.csv"
NORTHFIELD = "northfield-digital"
WARD = "ward-skills"
# a framework whose roles are its own: nurses and ward managers, not DART-Ed's five
WARD_SKILLS = {
    "id": WARD, "version": "1", "title": "Ward digital skills (a test framework)",
    "archetypes": [{"id": "nurse", "badge": "N", "name": "Nurses"},
                   {"id": "ward-manager", "badge": "WM", "name": "Ward managers"}],
    "domains": [{"id": "1", "name": "Records and data", "groups": [{
        "id": "1", "name": "Records and data", "statements": [
            {"id": "1.1", "level": 1, "archetypes": ["N", "WM"], "provenance": "authored",
             "text": "I can explain how patient data is protected under data protection law "
                     "and keep records confidential."},
            {"id": "1.2", "level": 2, "archetypes": ["WM"], "provenance": "authored",
             "text": "I can judge whether an artificial intelligence tool is safe and "
                     "effective enough to use on my ward."},
        ]}]}],
}


def add_frameworks(app, folder: Path, encoder) -> None:
    """Load Northfield (the example CSV) and Ward skills (its own roles) beside DART-Ed, and
    build one index over the three."""
    ward = folder / "ward.yaml"
    ward.write_text(yaml.safe_dump(WARD_SKILLS), encoding="utf-8")
    with app.app_context():
        store_framework(db.session(), read_framework(EXAMPLE))
        store_framework(db.session(), load_framework(ward))
        build_index(db.session(), index_store(), encoder)


def _answer(response) -> dict:
    body = response.get_json()
    for key in ("recommendation_id", "index_version"):
        body.pop(key, None)
    return body


@pytest.fixture(scope="module")
def three(tmp_path_factory, framework, shipped_resources, encoder):
    """One app holding DART-Ed, Northfield (from the example CSV) and Ward skills (YAML with
    its own roles), with one index built over all three; coverage shows demand from one
    learner."""
    folder = tmp_path_factory.mktemp("frameworks")
    app = prepared_app(folder, framework, shipped_resources, COVERAGE_MIN_LEARNERS=1)
    add_frameworks(app, folder, encoder)
    yield app
    app.extensions["db"].kw["bind"].dispose()


def test_the_frameworks_are_listed_with_their_roles_and_the_index_holds_each(three, framework):
    body = three.test_client().get("/api/v1/frameworks").get_json()
    assert body["default"] == "dart-ed"
    listed = {f["id"]: f for f in body["frameworks"]}
    assert [f["id"] for f in body["frameworks"]] == ["dart-ed", NORTHFIELD, WARD]
    assert (listed["dart-ed"]["version"], listed["dart-ed"]["statements"]) == (
        framework.version, len(framework.capabilities))
    assert (listed[NORTHFIELD]["version"], listed[NORTHFIELD]["statements"],
            listed[NORTHFIELD]["domains"]) == ("2025.1", 9, 2)
    assert [(r["id"], r["badge"]) for r in listed[WARD]["archetypes"]] == [
        ("nurse", "N"), ("ward-manager", "WM")]
    assert [r["id"] for r in listed["dart-ed"]["archetypes"]] == [
        "shaper", "driver", "creator", "embedder", "user"]
    assert {f["id"]: f["indexed_version"] for f in body["frameworks"]} == {
        "dart-ed": framework.version, NORTHFIELD: "2025.1", WARD: "1"}
    one = three.test_client().get(f"/api/v1/frameworks/{WARD}").get_json()
    assert [c["id"] for c in one["capabilities"]] == ["1.1", "1.2"]
    assert one["capabilities"][1]["archetypes"] == ["ward-manager"]
    assert three.test_client().get("/api/v1/framework?framework=ward-skills").get_json() == one
    missing = three.test_client().get("/api/v1/frameworks/no-such-framework")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_each_framework_gets_its_own_suggested_mappings(three):
    with three.app_context():
        rows = db.session().execute(
            select(ResourceCapability.framework, ResourceCapability.source, func.count())
            .group_by(ResourceCapability.framework, ResourceCapability.source)).all()
        found = {(f, s): n for f, s, n in rows}
        codes = set(db.session().scalars(select(ResourceCapability.capability_code).where(
            ResourceCapability.framework == WARD)))
    # no curator mapped anything to Northfield or Ward skills: suggestions only, to their ids
    assert found[(NORTHFIELD, "suggested")] > 0 and found[(WARD, "suggested")] > 0
    assert (NORTHFIELD, "curated") not in found and (WARD, "curated") not in found
    assert codes <= {"1.1", "1.2"}


def test_dart_ed_answers_as_it_does_without_the_other_frameworks(three, served_app):
    """The same DART-Ed request to the three-framework app and to an app holding DART-Ed
    alone (the session's served app: same catalogue, same model) gives the same answer, and
    DART-Ed's suggested mappings are the same."""
    request = {"archetype": "user", "limit": 5, "free_text": "safe use of AI on my ward",
               "gaps": [{"capability": "6.0.1", "severity": 3}, {"capability": "3.1.10"},
                        {"text": "keep patient records confidential"}]}
    ours = _answer(three.test_client().post("/api/v1/recommendations", json=request))
    alone = _answer(served_app.test_client().post("/api/v1/recommendations", json=request))
    assert ours["framework"] == "dart-ed"
    assert ours == alone
    assert len(ours["baseline"]) + len(ours["specialist"]) > 0

    def suggested(app) -> set:
        with app.app_context():
            return set(db.session().execute(
                select(ResourceCapability.resource_id, ResourceCapability.capability_code,
                       ResourceCapability.confidence)
                .where(ResourceCapability.framework == "dart-ed",
                       ResourceCapability.source == "suggested")).all())

    assert suggested(three) == suggested(served_app)


def test_a_request_ranks_in_the_framework_it_names(three):
    client = three.test_client()
    answer = client.post("/api/v1/recommendations", json={
        "framework": NORTHFIELD, "archetype": "user", "limit": 5,
        "gaps": [{"capability": "1.2.1", "severity": 3}]}).get_json()
    assert (answer["framework"], answer["framework_version"]) == (NORTHFIELD, "2025.1")
    items = answer["baseline"] + answer["specialist"]
    assert items
    for item in items:
        (gap,) = item["because"]
        assert gap["capability"] == "1.2.1"
        assert gap["statement"].startswith("I can record a patient's observations")
        assert gap["match"] != "curated"
    # 1.2.1 is Northfield's: DART-Ed has no such statement
    refused = client.post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": "1.2.1"}]})
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/gaps/0/capability"]
    words = client.post("/api/v1/recommendations", json={
        "framework": WARD, "archetype": "ward-manager", "limit": 3,
        "gaps": [{"text": "decide whether an AI tool is safe to use"}]}).get_json()
    assert words["text_gaps"][0]["ranked_as"] == "1.2"


@pytest.mark.parametrize(("body", "pointer"), [
    ({"framework": "no-such-one", "archetype": "user", "gaps": [{"capability": "1.1"}]},
     "/framework"),
    ({"framework": "Not An Id", "archetype": "user"}, "/framework"),
    ({"archetype": "nurse", "gaps": [{"capability": "6.0.1"}]}, "/archetype"),
    ({"framework": WARD, "archetype": "user", "gaps": [{"capability": "1.1"}]}, "/archetype"),
])
def test_a_framework_or_role_the_request_cannot_have_is_named(three, body, pointer):
    response = three.test_client().post("/api/v1/recommendations", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_roles_come_from_the_framework_data(three):
    client = three.test_client()
    asked = client.get("/api/v1/assessments/questionnaire?framework=ward-skills"
                       "&archetype=nurse").get_json()
    assert asked["framework"] == WARD
    assert [s["id"] for d in asked["domains"] for g in d["groups"]
            for s in g["statements"]] == ["1.1"]  # 1.2 is badged for ward managers only
    refused = client.get("/api/v1/assessments/questionnaire?framework=ward-skills"
                         "&archetype=user")
    assert refused.status_code == 422
    assert "nurse, ward-manager" in refused.get_json()["errors"][0]["detail"]
    answer = client.post("/api/v1/recommendations", json={
        "framework": WARD, "archetype": "nurse", "gaps": [{"capability": "1.1"}]})
    assert answer.status_code == 200, answer.get_json()


def test_an_assessment_its_demand_and_its_plan_stay_in_their_framework(three):
    client = three.test_client()
    asked = client.get("/api/v1/assessments/questionnaire?framework=northfield-digital"
                       "&archetype=user").get_json()
    codes = [s["id"] for d in asked["domains"] for g in d["groups"] for s in g["statements"]]
    assert codes and set(codes) <= {"1.1.1", "1.1.2", "1.2.1", "1.2.2", "2.0.1", "2.0.2",
                                    "2.1.1", "2.1.2"}
    stored = client.post("/api/v1/assessments", json={
        "framework": NORTHFIELD, "learner_id": "learner-frameworks-01", "archetypes": ["user"],
        "answers": [{"capability": c, "rating": 0} for c in codes]})
    assert stored.status_code == 201, stored.get_json()
    assessment = stored.get_json()
    assert assessment["framework"] == NORTHFIELD
    assert {g["capability"] for g in assessment["gaps"]} == set(codes)
    again = client.get(f"/api/v1/assessments/{assessment['id']}").get_json()
    assert (again["framework"], again["framework_version"]) == (NORTHFIELD, "2025.1")

    coverage = client.get("/api/v1/coverage?framework=northfield-digital&archetype=user"
                          ).get_json()
    assert (coverage["framework"], coverage["learners_assessed"]) == (NORTHFIELD, 1)
    cells = {(c["id"], c["level"]): c for c in coverage["cells"]}
    assert {code for code, _ in cells} == set(codes)
    assert cells[("1.2.1", "baseline")]["demand_learners"] == 1
    served = [c for c in coverage["cells"] if c["resources"] > 0]
    assert served  # suggested mappings to Northfield's statements count as supply
    dart_ed = client.get("/api/v1/coverage?archetype=user").get_json()
    assert dart_ed["framework"] == "dart-ed"
    assert dart_ed["learners_assessed"] in (0, None)  # this learner assessed Northfield only
    gaps = client.get("/api/v1/coverage/gaps?framework=northfield-digital&limit=3").get_json()
    assert gaps["framework"] == NORTHFIELD
    assert {g["statement"] for g in gaps["gaps"]} <= set(codes)

    plan = client.post("/api/v1/plans", json={"framework": NORTHFIELD,
                                              "assessment_id": assessment["id"]})
    assert plan.status_code == 201, plan.get_json()
    made = plan.get_json()
    assert made["framework"] == NORTHFIELD
    served_codes = {s["capability"] for w in made["weeks"] for item in w["items"]
                    for s in item["serves"]} | {u["capability"] for u in made["uncovered"]}
    assert served_codes and served_codes <= set(codes)
    mismatch = client.post("/api/v1/plans", json={"assessment_id": assessment["id"]})
    assert mismatch.status_code == 422
    assert mismatch.get_json()["errors"][0]["pointer"] == "/assessment_id"
    answer = client.post("/api/v1/recommendations", json={
        "framework": NORTHFIELD, "assessment_id": assessment["id"], "limit": 3}).get_json()
    assert {b["capability"] for item in answer["baseline"] + answer["specialist"]
            for b in item["because"]} <= set(codes)


def test_a_curator_decides_another_frameworks_suggestion_without_touching_dart_ed(
        tmp_path, framework, shipped_resources, encoder, make_app):
    ward = tmp_path / "ward.yaml"
    ward.write_text(yaml.safe_dump(WARD_SKILLS), encoding="utf-8")
    app = make_app(tmp_path / "app", framework, shipped_resources[:40])
    with app.app_context():
        store_framework(db.session(), load_framework(ward))
        build_index(db.session(), index_store(), encoder)
        suggested = db.session().execute(
            select(ResourceCapability.resource_id, ResourceCapability.capability_code)
            .where(ResourceCapability.framework == WARD)
            .order_by(ResourceCapability.confidence.desc())).all()
        slugs = dict(db.session().execute(select(Resource.id, Resource.slug)).all())
    client = app.test_client()
    by_id = {r.id: r for r in shipped_resources[:40]}
    rid, code = suggested[0]
    slug = slugs[rid]
    before = client.get(f"/api/v1/resources/{slug}").get_json()
    assert {"id": code, "source": "suggested"}.items() <= next(
        m for m in before["frameworks"][WARD] if m["id"] == code).items()
    accepted = client.post(f"/api/v1/resources/{slug}/suggestions/{code}",
                           json={"decision": "accept", "framework": WARD})
    assert accepted.status_code == 200, accepted.get_json()
    after = accepted.get_json()
    assert next(m for m in after["frameworks"][WARD] if m["id"] == code)["source"] == "curated"
    assert after["capabilities"] == before["capabilities"]  # DART-Ed's are the record's
    # a later import of the resource's record (DART-Ed's statements) keeps the decision
    with app.app_context():
        upsert_resources(db.session(), [replace(by_id[slug], title=by_id[slug].title + ".")])
        db.session().commit()
    again = client.get(f"/api/v1/resources/{slug}").get_json()
    assert next(m for m in again["frameworks"][WARD] if m["id"] == code)["source"] == "curated"
    assert again["version"] == after["version"] + 1  # the import did write the record
    # the same id in DART-Ed is another statement: no such suggestion there
    missing = client.post(f"/api/v1/resources/{slug}/suggestions/{code}",
                          json={"decision": "reject"})
    assert missing.status_code == 404
    unknown = client.post(f"/api/v1/resources/{slug}/suggestions/{code}",
                          json={"decision": "reject", "framework": "nowhere"})
    assert unknown.status_code == 422


def test_a_framework_loaded_after_the_index_waits_for_the_next_build(
        tmp_path, framework, shipped_resources, encoder, make_app):
    ward = tmp_path / "ward.yaml"
    ward.write_text(yaml.safe_dump(WARD_SKILLS), encoding="utf-8")
    app = make_app(tmp_path / "app", framework, shipped_resources[:20])
    client = app.test_client()
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        store_framework(db.session(), load_framework(ward))
    listed = {f["id"]: f for f in client.get("/api/v1/frameworks").get_json()["frameworks"]}
    assert (listed["dart-ed"]["indexed_version"], listed[WARD]["indexed_version"]) == (
        framework.version, None)
    waiting = client.post("/api/v1/recommendations", json={
        "framework": WARD, "archetype": "nurse", "gaps": [{"capability": "1.1"}]})
    assert waiting.status_code == 503
    assert waiting.get_json()["type"].endswith("index-not-ready")
    assert client.post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": "6.0.1"}]}).status_code == 200
    with app.app_context():  # the index is out of date now, and the next build takes it
        assert build_index(db.session(), index_store(), encoder).status == "built"
    assert client.post("/api/v1/recommendations", json={
        "framework": WARD, "archetype": "nurse", "gaps": [{"capability": "1.1"}]}
    ).status_code == 200


def test_another_frameworks_gaps_rank_from_its_own_pools_as_the_search_ranks_them(three):
    """A framework's view of the version has pools of its own (its statements' columns):
    answers from them equal answers searched over the view, for each framework. A worker's
    warm-up makes every framework's view before any request does."""
    with three.app_context():
        three.extensions.get("framework_views", {}).clear()
        warm()
        index = index_holder().get()
        assert {key[2] for key in three.extensions["framework_views"]
                if key[0] == index.name} == {"dart-ed", NORTHFIELD, WARD}
        for framework in ("dart-ed", NORTHFIELD):
            served, seen = framework_view(index, framework)
            assert seen.pools is not None and seen.pools.cells.shape[1] == len(
                served.capability_ids)
            codes = list(statements(index, framework))
            asked = [replace(r, framework=framework)
                     for r in requests(codes, 20, seed=5)]
            assert assert_ranked_alike(served, seen, db.session(), asked,
                                       statements(index, framework)) > 20
