"""Gaps in words (``{"text": ..., "severity": ...}``) in the recommendation and batch
endpoints and the CLI, over the shipped catalogue, the real model and real FAISS."""

import json

import pytest
from click.testing import CliRunner

from recommender.cli import main

APPRAISE = "Critically appraise supplier claims about AI performance"


def post(client, path="/api/v1/recommendations", **body):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_gap_in_words_is_mapped_to_statements_and_ranked(client, framework):
    data = post(client, archetype="driver", limit=5,
                gaps=[{"text": APPRAISE, "severity": 3}])
    [reading] = data["text_gaps"]
    assert reading["position"] == 0 and reading["severity"] == 3
    matched = [m["capability"] for m in reading["matches"]]
    assert matched, reading
    # appraising AI claims and evidence lives in the AI domain
    assert all(code.startswith("6.") for code in matched), matched
    similarities = [m["similarity"] for m in reading["matches"]]
    assert similarities == sorted(similarities, reverse=True)
    statements = {c.id: c.text for c in framework.capabilities}
    assert all(m["statement"] == statements[m["capability"]] for m in reading["matches"])
    assert reading["ranked_as"] == matched[0]
    items = data["baseline"] + data["specialist"]
    assert items
    because = items[0]["because"][0]
    assert because["gap_text"] == APPRAISE and because["statement_matched"] is True
    assert because["capability"] == matched[0] and because["severity"] == 3


def test_domain_restricts_the_statements_a_text_may_match(client):
    words = "keeping patient records safe and sharing them lawfully"
    data = post(client, archetype="user", limit=3,
                gaps=[{"text": words, "domain": "3"}])
    [reading] = data["text_gaps"]
    assert reading["domain"] == "3"
    assert reading["matches"] and all(m["capability"].startswith("3.")
                                      for m in reading["matches"])


def test_the_words_themselves_are_a_query(client):
    """Two texts that match the same statement still rank differently: the words count."""
    radiology = post(client, archetype="user", limit=10, gaps=[{
        "text": "how far can I trust the AI that flags abnormal chest X-rays in radiology"}])
    sepsis = post(client, archetype="user", limit=10, gaps=[{
        "text": "how far can I trust the AI sepsis early-warning alert on the ward"}])
    ids = lambda d: [i["id"] for i in d["baseline"] + d["specialist"]]  # noqa: E731
    assert ids(radiology) != ids(sepsis)


def test_gaps_that_come_to_one_statement_are_merged_keeping_the_worst_severity(client):
    first = post(client, archetype="driver", limit=3, gaps=[{"text": APPRAISE}])
    code = first["text_gaps"][0]["ranked_as"]
    data = post(client, archetype="driver", limit=5, gaps=[
        {"capability": code, "severity": 1},
        {"text": APPRAISE, "severity": 3},
        {"text": APPRAISE + " before we buy", "severity": 2}])
    assert [r["ranked_as"] for r in data["text_gaps"]] == [code, code]
    reasons = [b for item in data["baseline"] + data["specialist"] for b in item["because"]]
    assert reasons and {b["capability"] for b in reasons} == {code}
    assert {b["severity"] for b in reasons} == {3}
    assert all(" / " in b["gap_text"] for b in reasons)


def test_words_that_match_no_statement_are_ranked_by_the_words_alone(client):
    data = post(client, archetype="user", limit=3,
                gaps=[{"text": "sourdough starter feeding schedule"}])
    [reading] = data["text_gaps"]
    assert reading["matches"] == [] and reading["ranked_as"] is None
    assert "no statement matches" in reading["note"]
    # and nothing is offered as serving it: a shared word alone is not a match
    assert data["baseline"] == [] and data["specialist"] == []


@pytest.mark.parametrize("gap, pointer", [
    ({"capability": "6.0.1", "text": APPRAISE}, "/gaps/0"),
    ({"severity": 2}, "/gaps/0"),
    ({"text": "   "}, "/gaps/0/text"),
    ({"text": "x" * 501}, "/gaps/0/text"),
    ({"text": APPRAISE, "domain": "9"}, "/gaps/0/domain"),
    ({"capability": "6.0.1", "domain": "6"}, "/gaps/0/domain"),
    ({"text": 7}, "/gaps/0/text"),
])
def test_bad_text_gaps_are_problems_naming_the_field(client, gap, pointer):
    response = client.post("/api/v1/recommendations", json={"archetype": "user",
                                                             "gaps": [gap]})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_batch_takes_gaps_in_words(client):
    data = post(client, "/api/v1/recommendations:batch", requests=[
        {"archetype": "driver", "limit": 2, "gaps": [{"text": APPRAISE, "severity": 3}]},
        {"archetype": "user", "limit": 2, "gaps": [{"text": "   "}]}])
    ok, bad = data["results"]
    assert ok["status"] == 200 and ok["body"]["text_gaps"][0]["matches"]
    assert bad["status"] == 422


def test_openapi_documents_gaps_in_words(client):
    document = client.get("/api/v1/openapi.json").get_json()
    gap = document["components"]["schemas"]["RecommendationRequest"]["properties"]["gaps"]
    item = gap["anyOf"][0]["items"] if "anyOf" in gap else gap["items"]
    assert {"capability", "text", "domain", "severity"} <= set(item["properties"])
    response = document["components"]["schemas"]["Recommendations"]["properties"]
    assert "text_gaps" in response


def test_cli_takes_gaps_in_words(served_app):
    env = {name: served_app.config[name] for name in ("VAR_DIR", "DATABASE_URL", "INDEX_DIR")}
    result = CliRunner().invoke(main, ["recommend", "--archetype", "driver", "--json",
                                       "--gap-text", APPRAISE + ":3"], env={**env,
                                                                            "REDIS_URL": ""})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text_gaps"][0]["text"] == APPRAISE
    assert data["text_gaps"][0]["severity"] == 3
