"""Request limits: rate per key or address (429) and body size (413), all problem+json."""

import json

import pytest
import redis

from recommender.access.keys import create_key
from recommender.storage import db

PROBLEM = "application/problem+json"
TEST_REDIS = "redis://127.0.0.1:6379/15"  # a database number only these tests use


@pytest.fixture
def limited(tmp_path, framework, make_app):
    """An app allowing 3 requests a minute per key or address, checking keys."""
    return make_app(tmp_path, framework, [], RATE_LIMIT_ENABLED=True, RATE_LIMIT="3/minute",
                    AUTH_REQUIRED=True)


def test_the_fourth_request_gets_429_with_retry_after_and_ratelimit_headers(limited):
    client = limited.test_client()
    for left in (2, 1, 0):
        response = client.get("/api/v1/resources")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == str(left)
        assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60
        assert "Retry-After" not in response.headers
    refused = client.get("/api/v1/resources")
    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    assert refused.get_json()["type"].endswith("/rate-limited")
    assert "3 per 1 minute" in refused.get_json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_each_key_and_each_address_has_its_own_budget(limited):
    with limited.app_context():
        first = create_key(db.session(), "first", ["catalogue:read"]).key
        second = create_key(db.session(), "second", ["catalogue:read"]).key
    client = limited.test_client()

    def get(key=None, address="10.0.0.1"):
        return client.get("/api/v1/resources", environ_base={"REMOTE_ADDR": address},
                          headers={"X-API-Key": key} if key else {}).status_code

    assert [get(first) for _ in range(4)] == [200, 200, 200, 429]
    assert get(second) == 200  # same address, another key
    assert get() == 200  # same address without a key: the address's own budget
    # a wrong key counts against the address it comes from
    assert [get("rk_000000000000_wrong") for _ in range(2)] == [401, 401]
    assert get() == 429
    assert get(address="10.0.0.2") == 200


def test_probes_are_never_limited(limited):
    client = limited.test_client()
    for _ in range(5):
        response = client.get("/healthz")
        assert response.status_code == 200 and "RateLimit-Limit" not in response.headers


def test_limits_can_be_switched_off_and_tests_have_them_off(tmp_path, framework, make_app,
                                                            empty_app):
    off = make_app(tmp_path / "off", framework, [], RATE_LIMIT_ENABLED=False,
                   RATE_LIMIT="1/minute")
    client = off.test_client()
    for _ in range(3):
        response = client.get("/api/v1/resources")
        assert response.status_code == 200 and "RateLimit-Limit" not in response.headers
    assert empty_app.config["RATE_LIMIT_ENABLED"] is False


@pytest.mark.services
def test_counts_live_in_redis_when_redis_url_is_set(tmp_path, framework, make_app):
    store = redis.Redis.from_url(TEST_REDIS)
    store.flushdb()
    # two apps stand for two web processes (or replicas) sharing one count
    one, two = (make_app(tmp_path / name, framework, [], RATE_LIMIT_ENABLED=True,
                         RATE_LIMIT="3/minute", REDIS_URL=TEST_REDIS) for name in ("a", "b"))
    assert one.test_client().get("/api/v1/resources").status_code == 200
    assert two.test_client().get("/api/v1/resources").status_code == 200
    assert one.test_client().get("/api/v1/resources").headers["RateLimit-Remaining"] == "0"
    assert two.test_client().get("/api/v1/resources").status_code == 429
    assert any(b"recommender" in k for k in store.keys("*"))
    store.flushdb()
    store.close()


# Every endpoint that reads a JSON body answers each kind of bad body with problem+json.
BODIES = [
    ("post", "/api/v1/recommendations"),
    ("post", "/api/v1/recommendations:batch"),
    ("post", "/api/v1/resources"),
    ("post", "/api/v1/assessments"),
    ("post", "/api/v1/feedback"),
    ("patch", "/api/v1/near-duplicates/1"),
]


@pytest.fixture
def small(tmp_path, framework, make_app):
    """An app accepting bodies of at most 1,000 bytes."""
    return make_app(tmp_path, framework, [], MAX_REQUEST_BYTES=1000)


@pytest.mark.parametrize(("method", "path"), BODIES)
def test_bad_bodies_get_problem_json(small, method, path):
    send = getattr(small.test_client(), method)
    cases = [
        (json.dumps({"free_text": "x" * 2000}), "application/json", 413),
        ('{"archetype": "user"}', "text/plain", 415),
        ('{"archetype": "user",', "application/json", 400),
    ]
    for data, content_type, status in cases:
        response = send(path, data=data, content_type=content_type)
        assert response.status_code == status, (path, status, response.get_json())
        assert response.mimetype == PROBLEM
        assert response.get_json()["status"] == status
        if status == 413:
            assert response.get_json()["detail"].endswith("larger than 1000 bytes")


# the resources API ignores fields it does not know, as the importers do
@pytest.mark.parametrize(("method", "path", "pointer"), [
    ("post", "/api/v1/recommendations", "/colour"),
    ("post", "/api/v1/recommendations:batch", "/colour"),
    ("post", "/api/v1/assessments", "/colour"),
    ("post", "/api/v1/feedback", "/colour"),
    ("patch", "/api/v1/near-duplicates/1", "/status"),  # "status must be the only field"
])
def test_unknown_fields_are_named(small, method, path, pointer):
    response = getattr(small.test_client(), method)(path, json={"colour": "blue"})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
