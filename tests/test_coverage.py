"""Commissioner coverage: supply, demand with suppression, ranked gaps with briefs, drill-down,
CSV and bad filters, on the worked example of docs/coverage.md (real database, real index)."""

import csv
import io

import pytest
from sqlalchemy import select

from catalogue.licences import parse_allowlist
from catalogue.resources import parse_resource
from recommender.content.store import replace_suggestions
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from recommender.storage.models import Resource

# open licences only: LicenseRef-Proprietary-Free (free to read, all rights reserved) is out
OPEN_ONLY = parse_allowlist("CC0-1.0,CC-BY-4.0,CC-BY-SA-4.0,OGL-UK-3.0")


def record(slug, level, archetypes, licence, capabilities, title=None, mapping="curated"):
    return {"id": slug, "title": title or f"Evaluating AI: {slug.replace('-', ' ')}",
            "url": f"https://learning.example.org/{slug}", "provider": "Example Academy",
            "licence": licence, "access": "open",
            "description": f"A worked resource on evaluating AI tools in clinical practice "
                           f"({slug}), with examples and exercises.",
            "format": "e-learning" if level == "baseline" else "course", "level": level,
            "archetypes": archetypes, "capabilities": capabilities, "mapping": mapping}


# docs/coverage.md, worked example: resources A-D loaded with the app, E posted to the API
A = record("a-evaluation-basics", "baseline", ["embedder", "user"], "CC-BY-4.0",
           ["6.3.2", "6.3.4"])
B = record("b-evaluation-video", "baseline", ["user"], "CC-BY-4.0", [])  # suggested: 6.3.4
C = record("c-supplier-guide", "baseline", ["user"], "LicenseRef-Proprietary-Free", ["6.3.4"])
D = record("d-appraisal-course", "specialist", ["creator", "embedder"], "CC-BY-SA-4.0",
           ["6.3.7"])
E = record("e-local-validation", "specialist", ["creator"], "OGL-UK-3.0", ["6.3.8"],
           title="=Local validation of AI in practice")


def users(n, ratings):
    return [(f"user-{i:04d}", ["user"], ratings(i)) for i in range(1, n + 1)]


# (learner, archetypes, {statement: rating}); a user expects Confident (3) on 6.3.x
LEARNERS = (
    users(6, lambda i: {"6.3.2": 1 if i <= 4 else 3, "6.3.4": 0, "6.3.6": 2 if i <= 5 else 3})
    + [(f"creator-{i:04d}", ["creator"], {"6.3.7": 1, "6.3.8": 0}) for i in range(1, 6)]
)


def build(make_app, tmp_path, framework, encoder=None, database_url=None, **config):
    """The worked example's app, with an index when given the encoder; returns (app, client)."""
    app = make_app(tmp_path, framework,
                   [parse_resource(r, framework) for r in (A, B, C, D)], database_url,
                   LICENCE_ALLOWLIST=OPEN_ONLY, **config)
    client = app.test_client()
    created = client.post("/api/v1/resources", json=E)
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        session = db.session()
        if encoder is not None:  # the build suggests statements for B; ours replace them
            build_index(session, index_store(), encoder)
        b_id = session.scalar(select(Resource.id).where(Resource.slug == B["id"]))
        replace_suggestions(session, {b_id: [("6.3.4", 0.6)]})
        session.commit()
    # a user whose earlier assessment had a gap on 6.3.6: only the latest one counts
    for rating in (0, 3):
        assert client.post("/api/v1/assessments", json={
            "learner_id": "user-late-0007", "archetypes": ["user"],
            "answers": [{"capability": "6.3.6", "rating": rating}]}).status_code == 201
    for learner, archetypes, ratings in LEARNERS:
        response = client.post("/api/v1/assessments", json={
            "learner_id": learner, "archetypes": archetypes,
            "answers": [{"capability": c, "rating": r} for c, r in ratings.items()]})
        assert response.status_code == 201, response.get_json()
    # 6.3.7 on D: two learners say not useful, one (after changing their mind) useful
    for learner, verdict in (("creator-0001", "not_useful"), ("creator-0002", "not_useful"),
                             ("creator-0003", "not_useful"), ("creator-0003", "useful")):
        assert client.post("/api/v1/feedback", json={
            "learner_id": learner, "resource": D["id"], "verdict": verdict,
            "capability": "6.3.7"}).status_code == 201
    return app, client


@pytest.fixture
def example(make_app, tmp_path, framework):
    return build(make_app, tmp_path, framework)


def cells(client, query=""):
    body = client.get(f"/api/v1/coverage{query}").get_json()
    return body, {(c["id"], c["archetype"], c["level"]): c for c in body["cells"]}


def test_supply_counts_open_resources_by_confidence_and_feedback(example):
    _, client = example
    body, by_cell = cells(client, "?domain=6")
    assert body["filters"] == {"domain": "6"} and body["learners_assessed"] == 12
    user_634 = by_cell[("6.3.4", "user", "baseline")]
    # A curated (1.0) + B suggested (0.6); C is not openly licensed, so it does not count
    assert (user_634["resources"], user_634["weighted_supply"]) == (2, 1.6)
    assert by_cell[("6.3.4", "embedder", "baseline")]["weighted_supply"] == 1.0
    # D on 6.3.7: net one not-useful mark (2 not useful - 1 useful) -> 1 - 1/3
    creator_637 = by_cell[("6.3.7", "creator", "specialist")]
    assert (creator_637["resources"], creator_637["weighted_supply"]) == (1, 0.667)
    assert by_cell[("6.3.8", "creator", "specialist")]["weighted_supply"] == 1.0
    assert by_cell[("6.3.6", "user", "baseline")]["resources"] == 0
    assert by_cell[("6.3.7", "creator", "baseline")]["resources"] == 0
    # only badged archetypes: 6.3.6 is for users alone
    assert {a for (i, a, _) in by_cell if i == "6.3.6"} == {"user"}
    # a licence filter keeps only the resources under that licence
    _, share_alike = cells(client, "?domain=6&licence=CC-BY-SA-4.0")
    assert share_alike[("6.3.4", "user", "baseline")]["resources"] == 0
    assert share_alike[("6.3.7", "creator", "specialist")]["weighted_supply"] == 0.667
    _, by_provider = cells(client, "?provider=Nobody")
    assert by_provider[("6.3.4", "user", "baseline")]["resources"] == 0


def test_default_policy_counts_free_access_resources(make_app, tmp_path, framework):
    app = make_app(tmp_path, framework, [parse_resource(r, framework) for r in (A, C)])
    _, by_cell = cells(app.test_client(), "?archetype=user&level=baseline")
    assert by_cell[("6.3.4", "user", "baseline")]["resources"] == 2
    assert {level for (_, _, level) in by_cell} == {"baseline"}


def test_demand_counts_latest_assessments_and_suppresses_small_cells(example):
    _, client = example
    _, by_cell = cells(client, "?domain=6")
    demand = {k: (c["demand_learners"], c["mean_severity"], c["demand_suppressed"])
              for k, c in by_cell.items()}
    assert demand[("6.3.4", "user", "baseline")] == (6, 3.0, False)
    # five, not six: user-late-0007's latest assessment has no gap on 6.3.6
    assert demand[("6.3.6", "user", "baseline")] == (5, 1.0, False)
    assert demand[("6.3.7", "creator", "specialist")] == (5, 2.0, False)
    assert demand[("6.3.2", "user", "baseline")] == (None, None, True)  # 4 learners < 5
    assert demand[("6.3.4", "embedder", "baseline")] == (None, None, True)  # nobody
    # a level the statement's gaps do not call for has no demand: a known zero, not hidden
    assert demand[("6.3.4", "user", "specialist")] == (0, None, False)
    assert by_cell[("6.3.4", "user", "specialist")]["called_for"] is False


def test_same_figures_on_each_database(make_app, tmp_path, framework, database_url):
    _, client = build(make_app, tmp_path, framework, database_url=database_url)
    _, by_cell = cells(client, "?domain=6&archetype=creator&level=specialist")
    assert [(k[0], c["weighted_supply"], c["demand_learners"]) for k, c in by_cell.items()
            if k[0] in ("6.3.7", "6.3.8")] == [("6.3.7", 0.667, 5), ("6.3.8", 1.0, 5)]


def test_demand_and_supply_roll_up_to_sub_domains_and_domains(example):
    _, client = example
    _, groups = cells(client, "?group=group&domain=6")
    user = groups[("6.3", "user", "baseline")]
    # 6.3.1-6.3.6 are badged for users; A serves 6.3.2 and 6.3.4, B 6.3.4 (counted once each)
    assert (user["statements"], user["statements_served"]) == (6, 2)
    assert (user["resources"], user["weighted_supply"]) == (2, 1.6)
    # 6 distinct users; 15 gaps: 4 x 2 on 6.3.2, 6 x 3 on 6.3.4, 5 x 1 on 6.3.6
    assert (user["demand_learners"], user["mean_severity"]) == (6, 2.07)
    assert groups[("6.3", "user", "specialist")]["demand_learners"] == 0
    _, domains = cells(client, "?group=domain&archetype=creator")
    creator = domains[("6", "creator", "specialist")]
    assert (creator["demand_learners"], creator["mean_severity"]) == (5, 2.5)
    assert domains[("5", "creator", "baseline")]["demand_suppressed"] is True
    assert {a for (_, a, _) in domains} == {"creator"}


def test_minimum_learners_is_configurable(make_app, tmp_path, framework):
    _, client = build(make_app, tmp_path, framework, COVERAGE_MIN_LEARNERS=4)
    body, by_cell = cells(client, "?domain=6")
    assert body["min_learners"] == 4
    assert by_cell[("6.3.2", "user", "baseline")]["demand_learners"] == 4
    strict_app, strict = build(make_app, tmp_path / "strict", framework,
                               COVERAGE_MIN_LEARNERS=13)
    body, by_cell = cells(strict, "?group=domain")
    assert body["learners_assessed"] is None and body["learners_suppressed"] is True
    assert by_cell[("6", "user", "baseline")]["demand_suppressed"] is True


def test_gaps_are_ranked_as_documented_with_briefs(make_app, tmp_path, framework, encoder):
    _, client = build(make_app, tmp_path, framework, encoder)
    body = client.get("/api/v1/coverage/gaps?limit=6").get_json()
    assert body["index_version"]
    ranked = [(g["statement"], g["archetype"], g["level"], g["priority"])
              for g in body["gaps"][:4]]
    # priority = learners x mean severity / (1 + weighted supply)
    assert ranked == [("6.3.8", "creator", "specialist", 7.5),     # 5 x 3.0 / 2
                      ("6.3.4", "user", "baseline", 6.923),        # 6 x 3.0 / 2.6
                      ("6.3.7", "creator", "specialist", 6.0),     # 5 x 2.0 / 1.667
                      ("6.3.6", "user", "baseline", 5.0)]          # 5 x 1.0 / 1
    assert [g["rank"] for g in body["gaps"]] == [1, 2, 3, 4, 5, 6]
    # then cells without demand data and thin supply: most archetypes, lowest level first
    fifth = body["gaps"][4]
    assert (fifth["tier"], fifth["statement"], fifth["archetype"]) == ("framework", "1.1",
                                                                       "shaper")
    assert fifth["priority"] is None and fifth["demand_suppressed"] is True
    brief = body["gaps"][3]["brief"]
    assert brief["archetypes"] == ["user"] and brief["level"] == "baseline"
    assert brief["text"].startswith("I can judge when an individual AI output")
    assert brief["formats"][0] == "e-learning"
    nearest = brief["nearest"]
    assert len(nearest) == 3
    for near in nearest:  # nothing is mapped to 6.3.6, so every neighbour falls short
        reasons = {f["reason"] for f in near["shortfalls"]}
        assert "not_mapped" in reasons
        if near["id"] == C["id"]:
            assert "excluded_by_licence_policy" in reasons
        if near["id"] in (D["id"], E["id"]):
            assert {"wrong_level", "not_for_archetype"} <= reasons
    filtered = client.get("/api/v1/coverage/gaps?archetype=creator&level=specialist&limit=3")
    assert [g["statement"] for g in filtered.get_json()["gaps"][:2]] == ["6.3.8", "6.3.7"]


def test_gaps_without_an_index_name_no_neighbours(make_app, tmp_path, framework):
    app = make_app(tmp_path, framework, [parse_resource(A, framework)])
    body = app.test_client().get("/api/v1/coverage/gaps?limit=2&domain=6").get_json()
    assert body["index_version"] is None
    assert [g["brief"]["nearest"] for g in body["gaps"]] == [[], []]
    assert body["gaps"][0]["statement"] == "6.0.1"  # five archetypes, level 1, no supply


def test_drill_down_lists_each_resource_with_its_weight(example):
    _, client = example
    body = client.get("/api/v1/coverage/cells/6.3.4/user/baseline").get_json()
    assert (body["resources"], body["weighted_supply"], body["demand_learners"]) == (2, 1.6, 6)
    serving = {r["id"]: (r["source"], r["weight"]) for r in body["resources_serving"]}
    assert serving == {A["id"]: ("curated", 1.0), B["id"]: ("suggested", 0.6)}
    assert [(r["id"], r["excluded_because"]) for r in body["resources_excluded"]] == [
        (C["id"], "licence policy")]
    discounted = client.get("/api/v1/coverage/cells/6.3.7/creator/specialist").get_json()
    d = discounted["resources_serving"][0]
    assert (d["not_useful"], d["useful"], d["discount"], d["weight"]) == (2, 1, 0.6667, 0.6667)
    assert d["provider"] == "Example Academy" and d["title"]
    unbadged = client.get("/api/v1/coverage/cells/6.3.7/user/specialist").get_json()
    assert unbadged["badged"] is False and unbadged["demand_learners"] == 0
    for path in ("9.9.9/user/baseline", "6.3.4/nurse/baseline", "6.3.4/user/advanced"):
        missing = client.get(f"/api/v1/coverage/cells/{path}")
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def read_csv(response):
    raw = response.get_data()
    assert response.mimetype == "text/csv"
    assert raw.startswith("\ufeff".encode()), "a BOM, so spreadsheets read UTF-8"
    text = raw.decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_csv_opens_cleanly_in_a_spreadsheet(example):
    _, client = example
    rows = read_csv(client.get("/api/v1/coverage?domain=6", headers={"Accept": "text/csv"}))
    row = next(r for r in rows if (r["id"], r["archetype"], r["level"]) ==
               ("6.3.4", "user", "baseline"))
    assert (row["resources"], row["weighted_supply"], row["demand_learners"]) == ("2", "1.6",
                                                                                   "6")
    assert row["demand_suppressed"] == "no"
    json_rows = client.get("/api/v1/coverage?domain=6").get_json()["cells"]
    assert len(rows) == len(json_rows)
    cell = read_csv(client.get("/api/v1/coverage/cells/6.3.8/creator/specialist?format=csv"))
    # a title that a spreadsheet would run as a formula is escaped
    assert cell[0]["title"] == "'=Local validation of AI in practice"
    assert cell[0]["resource"] == E["id"] and cell[0]["weight"] == "1.0"
    gaps = read_csv(client.get("/api/v1/coverage/gaps?format=csv&limit=4"))
    assert [g["statement"] for g in gaps] == ["6.3.8", "6.3.4", "6.3.7", "6.3.6"]
    assert gaps[3]["brief_archetypes"] == "user" and gaps[3]["nearest_1"] == ""  # no index


@pytest.mark.parametrize("query, pointer", [
    ("?archetype=nurse", "?archetype"),
    ("?level=advanced", "?level"),
    ("?group=team", "?group"),
    ("?domain=9", "?domain"),
    ("?licence=not-a-licence", "?licence"),
    ("?licence=LicenseRef-Proprietary-Free", "?licence"),
    ("?format=xml", "?format"),
    ("?colour=red", "?colour"),
    ("/gaps?limit=0", "?limit"),
    ("/gaps?limit=many", "?limit"),
    ("/gaps?group=domain", "?group"),
])
def test_bad_filters_are_named(make_app, tmp_path, framework, query, pointer):
    app = make_app(tmp_path, framework, [], LICENCE_ALLOWLIST=OPEN_ONLY)
    response = app.test_client().get(f"/api/v1/coverage{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
