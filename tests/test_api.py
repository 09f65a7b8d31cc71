"""POST /api/v1/recommendations over the shipped catalogue, real model and real FAISS."""

import pytest
from sqlalchemy import func, select

from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from recommender.storage.models import IndexBuild, Resource, ResourceCapability


def recommend(client, **body):
    response = client.post("/api/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def mapped_to(served_app, prefix: str) -> set[str]:
    """Slugs of resources a curator mapped to statements under ``prefix``."""
    with served_app.app_context():
        rows = db.session().execute(
            select(Resource.slug).join(ResourceCapability)
            .where(ResourceCapability.capability_code.startswith(prefix)))
        return {slug for (slug,) in rows}


def test_ai_evaluation_gap_puts_evaluation_resources_first(client, served_app):
    evaluation = mapped_to(served_app, "6.3.")
    # 6.3.7 appraising AI studies, 6.3.8 validating an AI system locally (both level 3)
    data = recommend(client, archetype="embedder", limit=5,
                     gaps=[{"capability": "6.3.7", "severity": 3},
                           {"capability": "6.3.8", "severity": 3}])
    top = [item["id"] for item in data["specialist"][:3]]
    assert set(top) <= evaluation, top
    assert data["baseline"][0]["id"] in evaluation
    first = data["specialist"][0]
    assert first["because"][0]["capability"] in ("6.3.7", "6.3.8")
    assert first["because"][0]["match"] == "curated"
    assert first["because"][0]["reason"].startswith("Serves your gap in 6.3.")


def test_user_is_not_handed_a_model_building_course_first(client, served_app):
    data = recommend(client, archetype="user", limit=10,
                     gaps=[{"capability": "6.0.1", "severity": 2},
                           {"capability": "6.1.4", "severity": 2}])
    first = data["baseline"][0]
    assert first["level"] == "baseline"
    assert "user" in first["archetypes"]
    assert all(item["level"] == "specialist" for item in data["specialist"])
    # the first baseline items are all written for users, none only for model builders
    assert all("user" in item["archetypes"] for item in data["baseline"][:5])


def test_items_carry_fields_score_and_reasons(client):
    data = recommend(client, archetype="driver", limit=3,
                     gaps=[{"capability": "2.0.4", "severity": 1}])
    assert set(data) >= {"recommendation_id", "baseline", "specialist", "index_version",
                         "framework_version"}
    item = (data["baseline"] + data["specialist"])[0]
    for field in ("id", "title", "url", "provider", "licence", "access", "format",
                  "duration_minutes", "level", "archetypes", "score", "because"):
        assert field in item
    because = item["because"][0]
    assert because["capability"] == "2.0.4"
    assert because["statement"].startswith("I ")
    assert set(because["signals"]) == {"similarity", "lexical_rank", "curated",
                                       "archetype_fit", "level_fit", "goal_similarity"}
    scores = [i["score"] for i in data["baseline"]]
    assert scores == sorted(scores, reverse=True)
    assert len(data["baseline"]) == 3


def test_free_text_goal_changes_the_ranking(client):
    gaps = [{"capability": "6.0.2", "severity": 2}]
    plain = recommend(client, archetype="user", limit=10, gaps=gaps)
    goal = recommend(client, archetype="user", limit=10, gaps=gaps,
                     free_text="robotic surgery and robots in the operating theatre")
    assert [i["id"] for i in plain["baseline"]] != [i["id"] for i in goal["baseline"]]
    signals = goal["baseline"][0]["because"][0]["signals"]
    assert signals["goal_similarity"] is not None
    assert plain["baseline"][0]["because"][0]["signals"]["goal_similarity"] is None


def test_limit_applies_to_each_list(client):
    data = recommend(client, archetype="creator", limit=1,
                     gaps=[{"capability": "5.1.4.3", "severity": 2}])
    assert len(data["baseline"]) == 1 and len(data["specialist"]) == 1


BAD_BODIES = [
    ({"archetype": "nurse", "gaps": [{"capability": "6.0.1"}]}, "/archetype"),
    ({"archetype": "user", "gaps": [{"capability": "9.9.9"}]}, "/gaps/0/capability"),
    ({"archetype": "user", "gaps": []}, "/gaps"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "filters": {"formats": ["x"]}},
     "/filters/formats/0"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "filters": {"colour": 1}},
     "/filters/colour"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}],
      "preferences": {"level": "expert"}}, "/preferences/level"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "page": 0}, "/page"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "learner_id": "a b"},
     "/learner_id"),
    ({"archetype": "user", "gaps": "6.0.1"}, "/gaps"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": "high"}]},
     "/gaps/0/severity"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": 7}]},
     "/gaps/0/severity"),
    ({"archetype": "user", "gaps": [{"capability": 611}]}, "/gaps/0/capability"),
    ({"archetype": "user", "gaps": ["6.0.1"]}, "/gaps/0"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "limit": 10_000}, "/limit"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "limit": True}, "/limit"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "free_text": 5}, "/free_text"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}], "colour": "red"}, "/colour"),
    ({"archetype": "user", "gaps": [{"capability": "6.0.1"}, {"capability": "6.0.1"}]},
     "/gaps/1/capability"),
    ([1, 2, 3], ""),
]


def counts(app):
    with app.app_context():
        session = db.session()
        return [session.scalar(select(func.count()).select_from(m))
                for m in (Resource, ResourceCapability, IndexBuild)]


@pytest.mark.parametrize("body, pointer", BAD_BODIES)
def test_bad_input_is_a_problem_naming_the_field(client, served_app, body, pointer):
    before = counts(served_app)
    response = client.post("/api/v1/recommendations", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422 and problem["title"] and problem["type"]
    assert pointer in [e["pointer"] for e in problem["errors"]]
    assert counts(served_app) == before


@pytest.mark.parametrize("data, content_type, status", [
    ("archetype=user", "application/x-www-form-urlencoded", 415),
    ("{not json", "application/json", 400),
    ("", "application/json", 400),
])
def test_non_json_bodies_are_refused(client, data, content_type, status):
    response = client.post("/api/v1/recommendations", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"]


def test_unknown_route_and_method_are_problems(client):
    assert client.get("/api/v1/nothing").mimetype == "application/problem+json"
    response = client.get("/api/v1/recommendations")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_without_an_index_the_service_says_not_ready(empty_app):
    response = empty_app.test_client().post(
        "/api/v1/recommendations", json={"archetype": "user", "gaps": [{"capability": "6.0.1"}]})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]


def test_framework_endpoint_lists_statements(client, framework):
    data = client.get("/api/v1/framework").get_json()
    assert data["version"] == framework.version
    assert len(data["capabilities"]) == len(framework.capabilities)


def test_recommendations_from_a_stored_assessment(client):
    assessment = client.post("/api/v1/assessments", json={
        "archetypes": ["embedder"],
        "answers": [{"capability": "6.3.7", "rating": 0}, {"capability": "6.3.8", "rating": 1},
                    {"capability": "6.0.1", "rating": 4}]}).get_json()
    data = recommend(client, assessment_id=assessment["id"], limit=5)
    assert data["assessment_id"] == assessment["id"] and data["archetype"] == "embedder"
    served = {b["capability"] for item in data["specialist"] for b in item["because"]}
    assert served <= {"6.3.7", "6.3.8"} and served
    both = client.post("/api/v1/recommendations", json={
        "assessment_id": assessment["id"], "gaps": [{"capability": "6.0.1"}]})
    assert both.status_code == 422 and both.get_json()["errors"][0]["pointer"] == "/gaps"
    unknown = client.post("/api/v1/recommendations", json={"assessment_id": "nope"})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["pointer"] == "/assessment_id"


def test_archetype_only_request_gets_a_starter_path(client):
    data = recommend(client, archetype="driver", limit=5)
    assert "starter path" in data["note"]
    assert data["baseline"]
    levels = {b["capability_level"] for item in data["baseline"] for b in item["because"]}
    assert levels == {1}


def test_filters_are_hard_constraints(client):
    gaps = [{"capability": "6.0.1", "severity": 2}, {"capability": "5.1.4.1", "severity": 2}]
    data = recommend(client, archetype="creator", limit=20, gaps=gaps,
                     filters={"formats": ["course"], "max_duration_minutes": 600,
                              "languages": ["en"]})
    items = data["baseline"] + data["specialist"]
    assert items
    assert all(i["format"] == "course" for i in items)
    assert all(i["duration_minutes"] is None or i["duration_minutes"] <= 600 for i in items)
    openly = recommend(client, archetype="creator", limit=20, gaps=gaps,
                       filters={"licences": ["CC-BY-4.0", "OGL-UK-3.0"]})
    assert all(i["licence"] in ("CC-BY-4.0", "OGL-UK-3.0")
               for i in openly["baseline"] + openly["specialist"])


def test_pages_are_stable_and_do_not_overlap(client):
    body = dict(archetype="user", limit=4, gaps=[{"capability": "2.0.4"},
                                                 {"capability": "6.0.2"}])
    first = recommend(client, **body)
    again = recommend(client, **body)
    second = recommend(client, page=2, **body)
    ids = lambda d: [i["id"] for i in d["baseline"]]  # noqa: E731
    assert ids(first) == ids(again)
    assert ids(second) and not set(ids(first)) & set(ids(second))


def test_diversity_spreads_a_list_across_gaps(client):
    data = recommend(client, archetype="embedder", limit=6,
                     gaps=[{"capability": "6.3.7", "severity": 3},
                           {"capability": "5.2.1.3", "severity": 3},
                           {"capability": "1.6", "severity": 3}])
    best = [item["because"][0]["capability"] for item in data["specialist"]]
    assert len(set(best)) >= 2, best


def test_preferences_lift_but_do_not_hide(client):
    # 3.1.8: the plain specialist list has a video, below its first item
    gaps = [{"capability": "3.1.8", "severity": 2}]
    plain = recommend(client, archetype="creator", limit=10, gaps=gaps)
    videos = recommend(client, archetype="creator", limit=10, gaps=gaps,
                       preferences={"formats": ["video"], "level": "specialist"})
    position = lambda d, fmt: [i["format"] for i in d["specialist"]].index(fmt)  # noqa: E731
    assert position(plain, "video") > 0
    assert position(videos, "video") < position(plain, "video")
    assert videos["specialist"][0]["because"][0]["signals"]["level_fit"]
    assert {i["id"] for i in videos["baseline"]} == {i["id"] for i in plain["baseline"]}


@pytest.fixture
def own_client(tmp_path, framework, shipped_resources, encoder, make_app):
    """A client of an app of its own, for a test that writes what ranking reads (feedback):
    the shared served_app must stay as every other test expects it."""
    app = make_app(tmp_path, framework, shipped_resources)
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    return app.test_client()


def test_feedback_completed_drops_out_and_not_useful_sinks(own_client):
    client = own_client
    gaps = [{"capability": "6.0.1", "severity": 2}]
    learner = "learner-feedback-01"
    before = recommend(client, archetype="user", limit=10, gaps=gaps, learner_id=learner)
    first, second = before["baseline"][0]["id"], before["baseline"][1]["id"]
    done = client.post("/api/v1/feedback", json={
        "learner_id": learner, "resource": first, "verdict": "completed",
        "capability": "6.0.1", "recommendation_id": before["recommendation_id"]})
    assert done.status_code == 201
    after = recommend(client, archetype="user", limit=10, gaps=gaps, learner_id=learner)
    assert first not in [i["id"] for i in after["baseline"]]
    assert first in [i["id"] for i in recommend(client, archetype="user", limit=10, gaps=gaps)
                     ["baseline"]]
    for n in range(3):
        client.post("/api/v1/feedback", json={"learner_id": f"learner-other-{n:02d}",
                                              "resource": second, "verdict": "not_useful",
                                              "capability": "6.0.1"})
    sunk = recommend(client, archetype="user", limit=10, gaps=gaps)
    ranks = [i["id"] for i in sunk["baseline"]]
    assert second not in ranks[:2]
    exported = client.get(f"/api/v1/learners/{learner}").get_json()
    assert exported["feedback"][0]["verdict"] == "completed"
    assert client.delete(f"/api/v1/learners/{learner}").status_code == 204
    again = recommend(client, archetype="user", limit=10, gaps=gaps, learner_id=learner)
    assert first in [i["id"] for i in again["baseline"]]


@pytest.mark.parametrize("body, pointer", [
    ({"learner_id": "learner-x-0001", "resource": "nope", "verdict": "useful"}, "/resource"),
    ({"learner_id": "x", "verdict": "useful"}, "/learner_id"),
    ({"learner_id": "learner-x-0001", "verdict": "meh"}, "/verdict"),
    ({"learner_id": "learner-x-0001", "verdict": "useful", "capability": "9.9"},
     "/capability"),
])
def test_bad_feedback_is_refused(client, body, pointer):
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_empty_catalogue_gives_empty_lists_with_a_note(empty_app, encoder):
    from recommender.indexing.build import build_index
    from recommender.indexing.serving import index_store

    with empty_app.app_context():
        build_index(db.session(), index_store(), encoder)
    response = empty_app.test_client().post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": "6.0.1"}]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["baseline"] == body["specialist"] == [] and "empty" in body["note"]
