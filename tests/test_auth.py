"""API keys: made through the CLI, stored as salted hashes, checked per endpoint scope."""

import hashlib

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from recommender import create_app
from recommender.access.auth import BLUEPRINTS, ENDPOINTS, PAGES
from recommender.access.keys import SCOPES, create_key, revoke_key
from recommender.cli import main
from recommender.config import from_environment
from recommender.storage import db
from recommender.storage.models import ApiKey
from tests.factories import GOOD

PROBLEM = "application/problem+json"


@pytest.fixture
def app(tmp_path, framework, shipped_resources, make_app):
    """An app that checks keys, with every read closed (OPEN_READ=none)."""
    return make_app(tmp_path, framework, shipped_resources[:5], AUTH_REQUIRED=True,
                    OPEN_READ=frozenset())


@pytest.fixture
def key(app):
    """Makes a key with the given scopes in the app's database; returns the key."""

    made = []

    def make(*scopes: str, name: str | None = None) -> str:
        made.append(scopes)
        with app.app_context():
            return create_key(db.session(), name or f"key-{len(made)}", list(scopes)).key

    return make


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_keys_are_created_listed_and_revoked_through_the_cli(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    assert "not ready" in invoke("keys", "list").output  # before `db upgrade`
    invoke("db", "upgrade")
    assert "no API keys" in invoke("keys", "list").output
    created = invoke("keys", "create", "--name", "lms", "--scope", "recommend,catalogue:read")
    assert created.exit_code == 0
    secret_key = created.stdout.strip()  # stdout holds the key alone
    assert secret_key.startswith("rk_") and len(secret_key) > 50
    assert "not shown again" in created.stderr
    listed = invoke("keys", "list").output
    assert "lms" in listed and "active" in listed and "recommend,catalogue:read" in listed
    assert secret_key not in listed
    again = invoke("keys", "create", "--name", "lms", "--scope", "recommend")
    assert again.exit_code == 1 and "already named 'lms'" in again.output
    bad = invoke("keys", "create", "--name", "x", "--scope", "recommend,everything")
    assert bad.exit_code == 1 and "unknown: everything" in bad.output

    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))  # production defaults
    client = app.test_client()
    try:
        assert app.config["AUTH_REQUIRED"] is True
        assert client.get("/api/v1/resources", headers=bearer(secret_key)).status_code == 200
        assert client.post("/api/v1/resources", json=GOOD,
                           headers=bearer(secret_key)).status_code == 403
        with app.app_context():
            row = db.session().scalars(select(ApiKey)).one()
            assert row.last_used_at is not None

        assert invoke("keys", "revoke", "lms").output.startswith(f"revoked key {row.id} (lms)")
        assert "revoked" in invoke("keys", "list").output
        assert client.get("/api/v1/resources", headers=bearer(secret_key)).status_code == 401
        missing = invoke("keys", "revoke", "lms")
        assert missing.exit_code == 1 and "no active key" in missing.output
    finally:
        app.extensions["db"].kw["bind"].dispose()


def test_only_a_salted_hash_of_the_secret_is_stored(app, key):
    first, second = key("recommend", name="a"), key("recommend", name="b")
    with app.app_context():
        rows = {r.name: r for r in db.session().scalars(select(ApiKey))}
    for presented, row in ((first, rows["a"]), (second, rows["b"])):
        secret = presented.split("_", 2)[2]
        stored = " ".join(str(v) for v in (row.id, row.name, row.scopes, row.salt,
                                           row.secret_hash))
        assert secret not in stored and presented not in stored
        assert row.secret_hash != hashlib.sha256(secret.encode()).hexdigest()
    assert rows["a"].salt != rows["b"].salt


def test_no_key_gets_401_with_a_bearer_challenge(app):
    response = app.test_client().get("/api/v1/resources")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.get_json()["detail"]


def test_unknown_id_wrong_secret_and_revoked_key_get_the_same_answer(app, key):
    good = key("catalogue:read")
    _, key_id, secret = good.split("_", 2)
    client = app.test_client()
    answers = []
    for presented in (f"rk_000000000000_{secret}", f"rk_{key_id}_{'x' * len(secret)}",
                      "not-a-key", good):
        if presented == good:
            with app.app_context():
                revoke_key(db.session(), key_id)
        response = client.get("/api/v1/resources", headers=bearer(presented))
        answers.append((response.status_code, response.get_data(),
                        response.headers["WWW-Authenticate"]))
    assert len(set(answers)) == 1, answers
    status, body, challenge = answers[0]
    assert status == 401 and b"not valid" in body and 'error="invalid_token"' in challenge


def test_a_key_without_the_scope_gets_403_and_with_it_200(app, key):
    client = app.test_client()
    reader, writer = key("catalogue:read"), key("catalogue:write")
    refused = client.post("/api/v1/resources", json=GOOD, headers=bearer(reader))
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert "catalogue:write" in refused.get_json()["detail"]
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert client.post("/api/v1/resources", json=GOOD,
                       headers=bearer(writer)).status_code == 201
    assert client.get("/api/v1/resources/example-open-course",
                      headers=bearer(reader)).status_code == 200
    # the X-API-Key header works as well as Authorization
    assert client.get("/api/v1/resources", headers={"X-API-Key": reader}).status_code == 200
    assert client.get("/api/v1/resources", headers=bearer(writer)).status_code == 403


@pytest.mark.parametrize(("method", "path", "scope"), [
    ("post", "/api/v1/recommendations", "recommend"),
    ("post", "/api/v1/recommendations:batch", "recommend"),
    ("get", "/api/v1/resources/export", "catalogue:read"),
    ("delete", "/api/v1/resources/nothing", "catalogue:write"),
    ("patch", "/api/v1/near-duplicates/1", "catalogue:write"),
    ("post", "/api/v1/assessments", "assessments"),
    ("get", "/api/v1/learners/learner-0001", "assessments"),
    ("post", "/api/v1/feedback", "assessments"),
    ("get", "/api/v1/coverage", "coverage:read"),
    ("get", "/api/v1/index", "admin"),
])
def test_each_endpoint_needs_its_scope(app, key, method, path, scope):
    client = app.test_client()
    other = next(s for s in SCOPES if s not in (scope, "admin"))
    send = getattr(client, method)
    assert send(path, json={}, headers=bearer(key(other))).status_code == 403
    assert send(path, json={}, headers=bearer(key(scope))).status_code not in (401, 403)
    assert send(path, json={}, headers=bearer(key("admin"))).status_code not in (401, 403)


def test_default_open_reads_writes_and_learner_data_always_need_a_key(
        tmp_path, framework, shipped_resources, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:5], AUTH_REQUIRED=True)
    assert app.config["OPEN_READ"] == {"recommend", "catalogue:read", "framework"}
    client = app.test_client()
    assert client.get("/api/v1/resources").status_code == 200
    assert client.get("/api/v1/framework").status_code == 200
    assert client.get("/api/v1/assessments/questionnaire?archetype=user").status_code == 200
    assert client.post("/api/v1/resources", json=GOOD).status_code == 401
    assert client.post("/api/v1/feedback", json={}).status_code == 401
    assert client.get("/api/v1/learners/learner-0001").status_code == 401
    assert client.get("/api/v1/coverage").status_code == 401
    assert client.get("/api/v1/index").status_code == 401
    # a bad key is refused even where no key is needed: the caller should hear of it
    assert client.get("/api/v1/resources", headers=bearer("rk_x_y")).status_code == 401


def test_framework_closed_is_readable_with_any_key_and_probes_stay_open(app, key):
    client = app.test_client()
    assert client.get("/api/v1/framework").status_code == 401
    assert client.get("/api/v1/framework",
                      headers=bearer(key("assessments"))).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code not in (401, 403), path


def test_every_endpoint_has_a_declared_scope(app):
    """A new endpoint must be placed in recommender.access.auth's tables, or it needs admin."""
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0] or None
        assert (rule.endpoint in ENDPOINTS or blueprint in BLUEPRINTS
                or blueprint in PAGES), rule.rule


def test_the_test_config_checks_no_keys_unless_asked(empty_app):
    assert empty_app.config["AUTH_REQUIRED"] is False
    assert empty_app.test_client().get("/api/v1/index").status_code == 200
