"""Secrets: API keys are kept only as salted hashes and checked in constant time, and no key
or password ever reaches a log line (web process or worker), even when things fail."""

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from recommender import create_app
from recommender.access import keys as api_keys
from recommender.access.keys import create_key, verify
from recommender.config import from_environment
from recommender.storage.models import ApiKey
from recommender.storage.worker_process import start_worker, stop
from tests.conftest import app_config
from tests.factories import GOOD, json_lines
from tests.fault_servers import PrivateRedis, free_port, wait_for

REDIS_PASSWORD = "redis-pw-Zq81xK"
DB_PASSWORD = "db-pw-Lm40vR"


def test_keys_are_stored_only_as_salted_hashes(tmp_path, framework, make_app):
    app = make_app(tmp_path, framework, [])
    with app.app_context():
        from recommender.storage import db

        one = create_key(db.session(), "lms", ["recommend"])
        two = create_key(db.session(), "portfolio", ["recommend"])
        rows = db.session().scalars(select(ApiKey)).all()
        db.engine().dispose()
    secrets = [one.key.split("_", 2)[2], two.key.split("_", 2)[2]]
    # nowhere in the database files (tables, indexes, write-ahead log), in any form we hold
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("recommender.storage.db*"))
    for key, secret in zip((one.key, two.key), secrets, strict=True):
        assert secret.encode() not in stored and key.encode() not in stored
    # salted: the same secret under two salts would give two hashes; no two salts repeat
    assert len({r.salt for r in rows}) == 2 and len({r.secret_hash for r in rows}) == 2
    assert all(len(r.secret_hash) == 64 and r.secret_hash not in secrets for r in rows)


def test_keys_are_compared_in_constant_time():
    """verify() compares hashes with hmac.compare_digest, on every path (an unknown id is
    compared against a dummy hash), and never with == on secrets or hashes."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(api_keys.verify)))
    function = tree.body[0]
    top_level_calls = [node for statement in function.body
                       if isinstance(statement, ast.Assign)
                       for node in ast.walk(statement.value) if isinstance(node, ast.Call)]
    assert any(isinstance(c.func, ast.Attribute) and c.func.attr == "compare_digest"
               for c in top_level_calls), "compare_digest must run unconditionally"
    for node in ast.walk(function):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq)
                                                 for op in node.ops):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
                {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
            assert not names & {"secret", "secret_hash", "expected", "presented"}, \
                ast.unparse(node)


def test_a_wrong_secret_for_a_known_id_is_refused(tmp_path, framework, make_app):
    app = make_app(tmp_path, framework, [])
    with app.app_context():
        from recommender.storage import db

        key = create_key(db.session(), "lms", ["recommend"]).key
        prefix, key_id, secret = key.split("_", 2)
        flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        assert verify(db.session(), key) is not None
        for presented in (f"{prefix}_{key_id}_{flipped}", f"{prefix}_{key_id}_",
                          f"{prefix}_{key_id}_{secret}x", f"{prefix}_000000000000_{secret}"):
            assert verify(db.session(), presented) is None, presented


def secrets_in(text: str, *secrets: str) -> list[str]:
    return [s for s in secrets if s in text]


@pytest.mark.services
def test_no_key_or_password_reaches_the_logs(tmp_path, framework, shipped_resources,
                                            postgres_url, make_app, log_format, capsys):  # noqa: F811
    broker = PrivateRedis(tmp_path / "redis", password=REDIS_PASSWORD)
    broker.start()
    redis_url = broker.url()
    # the shared server trusts local connections, so any password is accepted and never used
    # for authentication: what matters here is that it is never written out
    database_url = postgres_url.replace("postgres@", f"postgres:{DB_PASSWORD}@")
    settings = from_environment({"VAR_DIR": str(tmp_path), "REDIS_URL": redis_url})["CELERY"]
    app = make_app(tmp_path / "app", framework, shipped_resources[:5], database_url,
                   REDIS_URL=redis_url, CELERY=settings, AUTH_REQUIRED=True,
                   RATE_LIMIT_ENABLED=True, RATE_LIMIT="1000/minute")
    log_format("json", "DEBUG")
    with app.app_context():
        from recommender.storage import db

        key = create_key(db.session(), "curator", ["catalogue:write", "catalogue:read"]).key
    secret = key.split("_", 2)[2]
    bearer = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    try:
        assert client.get("/api/v1/resources", headers=bearer).status_code == 200
        assert client.get("/api/v1/resources", headers={"X-API-Key": key}).status_code == 200
        assert client.post("/api/v1/resources", json=GOOD, headers=bearer).status_code == 201
        wrong = {"Authorization": f"Bearer {key[:-2]}zz"}
        assert client.get("/api/v1/resources", headers=wrong).status_code == 401
        assert client.get("/api/v1/coverage", headers=bearer).status_code == 403
        assert client.get("/readyz").status_code == 503  # no index yet
        broker.stop()  # failures now: the broker's address is in every error
        changed = {**GOOD, "title": "A renamed open course on AI"}
        assert client.put(f"/api/v1/resources/{GOOD['id']}", json=changed,
                          headers=bearer).status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.get("/readyz").status_code == 503
    finally:
        broker.stop()
        app.extensions["db"].kw["bind"].dispose()
    # a database that does not answer, behind a URL with a password
    down = create_app(app_config(tmp_path / "down", f"postgresql+psycopg://postgres:"
                                 f"{DB_PASSWORD}@127.0.0.1:{free_port()}/x"))
    try:
        assert down.test_client().get("/api/v1/resources").status_code == 503
        assert down.test_client().get("/readyz").status_code == 503
    finally:
        down.extensions["db"].kw["bind"].dispose()

    err = capsys.readouterr().err
    lines = json_lines(err)
    assert any(line["logger"] == "recommender.access" for line in lines)
    assert "index update not queued" in err and "database unavailable" in err
    assert not secrets_in(err, key, secret, REDIS_PASSWORD, DB_PASSWORD), err[-3000:]


@pytest.mark.services
def test_the_worker_log_has_no_password(tmp_path, framework, make_app):
    broker = PrivateRedis(tmp_path / "redis", password=REDIS_PASSWORD)
    broker.start()
    env = {"VAR_DIR": str(tmp_path / "var"), "REDIS_URL": broker.url(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "LOG_FORMAT": "json"}
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = start_worker(env, log_file=log)
    try:
        wait_for(lambda: re.search(r"celery@\S+ ready", log_path.read_text(errors="replace")),
                 120, "the worker to start")
        broker.stop()  # the worker now logs its failed reconnections
        wait_for(lambda: "reconnect" in log_path.read_text(errors="replace").lower() or
                 "connection" in log_path.read_text(errors="replace").lower(), 60,
                 "the worker to notice the broker is gone")
    finally:
        stop(worker)
        broker.stop()
    text = log_path.read_text(errors="replace")
    assert "127.0.0.1" in text  # the broker's address is there; its password is not
    assert not secrets_in(text, REDIS_PASSWORD), text[-3000:]


def test_the_source_logs_no_configured_url_or_key():
    """No logging call or print in the service's code is handed a configured URL or a key
    (they are only ever passed to the libraries that connect)."""
    root = Path(__file__).resolve().parent.parent
    suspicious = re.compile(r"(log\w*|logger|print|echo)\.?\w*\(.*(DATABASE_URL|REDIS_URL|"
                            r"broker_url|\.key\b|presented|secret)", re.IGNORECASE)
    found = []
    for folder in ("recommender", "workers", "indexes", "catalogue"):
        for path in (root / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if suspicious.search(line) and "created.key" not in line:
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, found
