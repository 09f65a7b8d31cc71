"""Self-assessment: the rule on worked examples, the questionnaire, storage, progress,
framework versions, recommendations from an assessment, and the learner's own data."""

import dataclasses

import pytest
from sqlalchemy import func, select

from recommender.content.framework import load_framework
from recommender.learners.rules import StatementInfo, compute_gaps, expected_rating, roll_up
from recommender.storage import db
from recommender.storage.models import Assessment, AssessmentAnswer, Learner


def info(code, level, archetypes, domain="6", group="6.3"):
    return StatementInfo(id=code, text="I can ...", level=level, archetypes=tuple(archetypes),
                         provenance="authored", domain_id=domain, domain_name="AI",
                         group_id=group, group_name="Evaluating")


STATEMENTS = {
    "6.3.1": info("6.3.1", 1, ["user", "creator"]),
    "6.3.7": info("6.3.7", 3, ["creator"]),
    "6.3.9": info("6.3.9", 4, ["creator", "driver"]),
    "5.1.1.1": info("5.1.1.1", 1, ["user"], "5", "5.1.1"),
}


def test_worked_example_from_docs():
    """docs/assessment.md, example 1: a user rates three statements."""
    answers = {"6.3.1": 1, "6.3.7": 0, "5.1.1.1": 3}
    gaps = compute_gaps(STATEMENTS, ["user"], answers)
    # 6.3.7 is not badged for users: not expected, no gap; 5.1.1.1 is met
    assert [(g.capability, g.expected, g.gap, g.severity) for g in gaps] == [
        ("6.3.1", 3, 2, 2)]
    domains = roll_up(STATEMENTS, ["user"], answers, "domain")
    assert domains["6"]["readiness"] == 33 and domains["6"]["gaps"] == 1
    assert domains["5"]["readiness"] == 100 and domains["5"]["mean_severity"] == 0.0


def test_worked_example_two_archetypes_and_level_four():
    """docs/assessment.md, example 2: a creator who is also a driver."""
    answers = {"6.3.1": 0, "6.3.7": 2, "6.3.9": 0}
    gaps = compute_gaps(STATEMENTS, ["creator", "driver"], answers)
    assert [(g.capability, g.expected, g.gap, g.severity) for g in gaps] == [
        ("6.3.1", 3, 3, 3), ("6.3.9", 2, 2, 2), ("6.3.7", 3, 1, 1)]
    assert expected_rating(STATEMENTS["6.3.9"], ["user"]) is None
    rolled = roll_up(STATEMENTS, ["creator", "driver"], answers, "group")["6.3"]
    assert rolled == {"name": "Evaluating", "answered": 3, "gaps": 3, "mean_severity": 2.0,
                      "readiness": 25}


@pytest.fixture
def app(tmp_path, framework, make_app):
    return make_app(tmp_path, framework, [])


@pytest.fixture
def client(app):
    return app.test_client()


def answer_all(questionnaire, rating_of):
    return [{"capability": st["id"], "rating": rating_of(st)}
            for d in questionnaire["domains"] for g in d["groups"] for st in g["statements"]]


def test_questionnaire_for_archetypes_grouped_and_ordered(client, framework):
    users = client.get("/api/v1/assessments/questionnaire?archetype=user").get_json()
    assert [s["rating"] for s in users["scale"]] == [0, 1, 2, 3, 4]
    asked = {st["id"] for d in users["domains"] for g in d["groups"] for st in g["statements"]}
    assert asked == {c.id for c in framework.capabilities if "user" in c.archetypes}
    for domain in users["domains"]:
        for group in domain["groups"]:
            levels = [st["level"] for st in group["statements"]]
            assert levels == sorted(levels)
    both = client.get("/api/v1/assessments/questionnaire?archetype=user&archetype=creator"
                      "&skip_domain=3").get_json()
    asked_both = {st["id"] for d in both["domains"] for g in d["groups"]
                  for st in g["statements"]}
    assert asked_both - asked, "creator statements join the user's"
    assert all(not i.startswith("3.") for i in asked_both)
    assert "3" not in [d["id"] for d in both["domains"]]
    bad = client.get("/api/v1/assessments/questionnaire?archetype=nurse")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "?archetype"


def test_assess_then_reassess_shows_progress(client):
    questions = client.get("/api/v1/assessments/questionnaire?archetype=user").get_json()
    first = client.post("/api/v1/assessments", json={
        "archetypes": ["user"], "answers": answer_all(questions, lambda st: 1)})
    assert first.status_code == 201
    body = first.get_json()
    learner = body["learner_id"]
    assert len(learner) >= 8 and body["gaps"] and "progress" not in body
    assert all(g["severity"] in (1, 2, 3) for g in body["gaps"])
    assert body["domains"]["6"]["readiness"] < 50

    second = client.post("/api/v1/assessments", json={
        "learner_id": learner, "archetypes": ["user"],
        "answers": answer_all(questions, lambda st: 3 if st["id"].startswith("6.") else 1)})
    progress = second.get_json()["progress"]
    assert progress["since"] == body["id"]
    assert progress["domains"]["6"]["change"] > 0 and progress["domains"]["2"]["change"] == 0
    shown = client.get(f"/api/v1/assessments/{body['id']}").get_json()
    assert shown["gaps"] == body["gaps"]


def test_ratings_from_another_platform_as_csv(client):
    csv_text = "capability,rating\n6.0.1,0\n6.3.2,4\n2.0.1,1\n"
    response = client.post("/api/v1/assessments?archetype=user&learner_id=lms-learner-0042",
                           data=csv_text, content_type="text/csv")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["learner_id"] == "lms-learner-0042"
    assert {g["capability"] for g in body["gaps"]} == {"6.0.1", "2.0.1"}
    bad = client.post("/api/v1/assessments?archetype=user", data="capability,rating\n6.0.1,9\n",
                      content_type="text/csv")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == \
        "/answers/0/rating"


BAD = [
    ({"archetypes": ["nurse"], "answers": [{"capability": "6.0.1", "rating": 1}]},
     "/archetypes/0"),
    ({"archetypes": ["user"], "answers": [{"capability": "9.9", "rating": 1}]},
     "/answers/0/capability"),
    ({"archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": 5}]},
     "/answers/0/rating"),
    ({"archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": True}]},
     "/answers/0/rating"),
    ({"archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": 1},
                                          {"capability": "6.0.1", "rating": 2}]},
     "/answers/1/capability"),
    ({"archetypes": ["user"], "answers": []}, "/answers"),
    ({"archetypes": [], "answers": [{"capability": "6.0.1", "rating": 1}]}, "/archetypes"),
    ({"archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": 1}],
      "learner_id": "jane@example.org"}, "/learner_id"),
    ({"archetypes": ["user"], "skipped_domains": ["6"],
      "answers": [{"capability": "6.0.1", "rating": 1}]}, "/answers/0/capability"),
    ({"archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": 1}], "x": 1}, "/x"),
]


@pytest.mark.parametrize("body, pointer", BAD)
def test_bad_answers_are_named_and_nothing_is_stored(client, app, body, pointer):
    response = client.post("/api/v1/assessments", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Assessment)) == 0
        assert db.session().scalar(select(func.count()).select_from(Learner)) == 0


def test_old_assessments_map_to_a_new_framework_version(client, app, framework):
    created = client.post("/api/v1/assessments", json={
        "archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": 0},
                                            {"capability": "2.0.1", "rating": 0}]}).get_json()
    dropped = [c for c in framework.capabilities if c.id != "2.0.1"]
    newer = dataclasses.replace(framework, version="2026.01-test", capabilities=tuple(dropped))
    with app.app_context():
        load_framework(db.session(), newer)
    shown = client.get(f"/api/v1/assessments/{created['id']}").get_json()
    assert shown["framework_version"] == framework.version
    assert {g["capability"] for g in shown["gaps"]} == {"6.0.1", "2.0.1"}
    assert shown["current_version"]["framework_version"] == "2026.01-test"
    assert shown["current_version"]["unmapped"] == ["2.0.1"]
    assert [g["capability"] for g in shown["current_version"]["gaps"]] == ["6.0.1"]


def test_learner_exports_and_deletes_everything(client, app):
    created = client.post("/api/v1/assessments", json={
        "archetypes": ["user"], "answers": [{"capability": "6.0.1", "rating": 0}]}).get_json()
    learner = created["learner_id"]
    exported = client.get(f"/api/v1/learners/{learner}")
    assert exported.status_code == 200
    assert exported.get_json()["assessments"][0]["id"] == created["id"]
    assert client.delete(f"/api/v1/learners/{learner}").status_code == 204
    assert client.get(f"/api/v1/learners/{learner}").status_code == 404
    assert client.get(f"/api/v1/assessments/{created['id']}").status_code == 404
    with app.app_context():
        session = db.session()
        for model in (Learner, Assessment, AssessmentAnswer):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_framework_has_an_etag(client):
    first = client.get("/api/v1/framework")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = client.get("/api/v1/framework", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data()
