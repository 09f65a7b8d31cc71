"""POST /api/v1/recommendations:batch over the shipped catalogue: each item on its own."""

BATCH = "/api/v1/recommendations:batch"
GOOD = {"archetype": "user", "limit": 3, "gaps": [{"capability": "6.0.1", "severity": 2}]}
STARTER = {"archetype": "embedder", "limit": 2}


def without_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "recommendation_id"}


def test_good_and_bad_items_are_answered_in_order(client):
    items = [GOOD, {"archetype": "nurse", "gaps": []}, "not an object",
             {**GOOD, "gaps": [{"capability": "9.9.9"}]}, STARTER]
    response = client.post(BATCH, json={"requests": items})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [200, 422, 422, 422, 200]
    # each good item gets what the single endpoint gives it
    for index, body in ((0, GOOD), (4, STARTER)):
        single = client.post("/api/v1/recommendations", json=body).get_json()
        assert without_id(results[index]["body"]) == without_id(single)
    bad = results[1]["problem"]
    assert bad["type"].endswith("/validation")
    assert {e["pointer"] for e in bad["errors"]} == {"/archetype", "/gaps"}
    assert results[2]["problem"]["errors"] == [{"pointer": "",
                                               "detail": "the request must be a JSON object"}]
    assert results[3]["problem"]["errors"][0]["pointer"] == "/gaps/0/capability"
    assert "body" not in results[1] and "problem" not in results[0]


def test_the_batch_itself_must_be_well_formed(client, served_app):
    most = served_app.config["BATCH_MAX"]
    for body, pointer in (({}, "/requests"), ({"requests": []}, "/requests"),
                          ({"requests": [GOOD] * (most + 1)}, "/requests"),
                          ({"requests": [GOOD], "extra": 1}, "/extra")):
        response = client.post(BATCH, json=body)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
    assert client.post(BATCH, json=[GOOD]).status_code == 422
    assert client.post(BATCH, data="{", content_type="application/json").status_code == 400


def test_an_item_without_an_index_gets_503_and_others_keep_their_own_status(empty_app):
    results = empty_app.test_client().post(BATCH, json={"requests": [GOOD, {"x": 1}]})
    assert [r["status"] for r in results.get_json()["results"]] == [503, 422]
    assert results.get_json()["results"][0]["problem"]["type"].endswith("/index-not-ready")
