"""What a request's words cost is kept for the next request with the same words
(``recommender.ranking.text_cache``): the kept results are the ones the words would get
again, and a new index version searches them again. Real model, real FAISS, real SQLite."""

import dataclasses

import numpy as np
import pytest

from recommender.content.store import upsert_resources
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.serving import index_store
from recommender.ranking import text_cache
from recommender.storage import db

WORDS = "telling a patient how their records feed the hospital's early-warning dashboard"


def answer(client, **body):
    response = client.post("/api/v1/recommendations", json=body)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    data.pop("recommendation_id")
    return data


def test_a_kept_vector_is_the_one_the_text_gets_on_its_own(encoder):
    first = text_cache.encoded(encoder, ["audit an AI triage tool", WORDS])
    assert np.array_equal(first[WORDS], encoder.encode([WORDS])[0])
    assert np.array_equal(first["audit an AI triage tool"],
                          encoder.encode(["audit an AI triage tool"])[0])
    again = text_cache.encoded(encoder, [WORDS])
    assert again[WORDS] is first[WORDS]  # kept, not encoded again
    with pytest.raises(ValueError):
        again[WORDS][0] = 0.0  # shared between requests: read-only


def test_the_same_words_get_the_same_answer_again(client):
    body = {"archetype": "user", "limit": 5, "free_text": "safer ward dashboards",
            "gaps": [{"text": WORDS, "severity": 3}, {"text": "sourdough starter feeding"}]}
    text_cache._vectors.clear()  # the first answer computed, the second from what was kept
    text_cache._hits.clear()
    first = answer(client, **body)
    assert answer(client, **body) == first
    assert answer(client, **{**body, "page": 2})["text_gaps"] == first["text_gaps"]


def test_a_new_index_version_searches_the_words_again(tmp_path, framework, shipped_resources,
                                                      encoder, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:20])
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    words = "robotic surgery theatre team briefings"
    before = answer(app.test_client(), archetype="user", limit=20, gaps=[{"text": words}])
    new = dataclasses.replace(shipped_resources[20], title="Robotic surgery theatre team "
                              "briefings", description="How theatre teams brief before "
                              "robotic surgery, and what the robot's data shows them.")
    with app.app_context():
        upsert_resources(db.session(), [new])
        apply_changes(db.session(), index_store(), encoder)
    after = answer(app.test_client(), archetype="user", limit=20, gaps=[{"text": words}])
    assert after["index_version"] != before["index_version"]
    shown = lambda d: [i["id"] for i in d["baseline"] + d["specialist"]]  # noqa: E731
    assert new.id not in shown(before) and new.id in shown(after)


def test_kept_results_are_bounded_the_least_recently_used_leaving_first():
    kept = text_cache.Kept(size=2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
