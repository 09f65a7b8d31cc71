"""/healthz says the process answers; /readyz says it can serve, and names what is missing."""

import logging
import shutil
import socket
import threading
from pathlib import Path

from recommender import create_app
from recommender.contract.openapi.schemas import MAX_GAPS
from recommender.indexing import serving
from recommender.problems import CONTENT_TYPE
from recommender.ranking.recommend import _NET_FEEDBACK, _SHOWN
from tests.conftest import app_config


def closed_port() -> int:
    """A local port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def publish_copy(built, app) -> str:
    """Publish the index another app built into ``app``'s index folder; returns its version."""
    shutil.copytree(built.config["INDEX_DIR"], app.config["INDEX_DIR"], dirs_exist_ok=True)
    return built.extensions["index"].store.current_name()


def corrupt(version_dir: Path) -> Path:
    """Damage one data file of an index version, as a half-written copy would."""
    damaged = sorted(p for p in version_dir.iterdir() if p.name != "manifest.json")[0]
    damaged.write_bytes(damaged.read_bytes()[:-8] + b"corrupt!")
    return damaged


def failing_checks(response) -> dict[str, str]:
    assert response.status_code == 503
    assert response.mimetype == CONTENT_TYPE
    assert response.headers["Retry-After"]
    body = response.get_json()
    assert body["title"] == "Not ready" and body["status"] == 503
    return {error["check"]: error["detail"] for error in body["errors"]}


def test_healthz_answers_without_an_index(empty_app):
    response = empty_app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_waits_for_an_index_then_is_ready(tmp_path, framework, served_app, make_app):
    app = make_app(tmp_path, framework, [])
    client = app.test_client()
    checks = failing_checks(client.get("/readyz"))
    assert checks == {"index": "no index version is loaded"}
    assert "failing: index" in client.get("/readyz").get_json()["detail"]

    version = publish_copy(served_app, app)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {
        "database": {"status": "ok"}, "index": {"status": "ok", "version": version}}}

    # a newer version that fails its checks: the loaded one keeps serving, and readyz says why
    store = app.extensions["index"].store
    broken = store.root / "versions" / f"{version}-broken"
    shutil.copytree(store.root / "versions" / version, broken)
    corrupt(broken)
    store.pointer.write_text(broken.name)
    response = client.get("/readyz")
    assert response.status_code == 200
    check = response.get_json()["checks"]["index"]
    assert check["version"] == version and check["last_error"]


def test_readyz_reports_why_the_index_did_not_load(tmp_path, framework, served_app, make_app):
    app = make_app(tmp_path, framework, [])
    version_dir = app.extensions["index"].store.root / "versions" / publish_copy(served_app, app)
    damaged = corrupt(version_dir)

    detail = failing_checks(app.test_client().get("/readyz"))["index"]
    assert detail.startswith("no index version is loaded; the last load failed: ")
    assert damaged.name in detail


def test_readyz_names_a_broker_that_does_not_answer(tmp_path, framework, make_app):
    app = make_app(tmp_path, framework, [],
                   REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    checks = failing_checks(app.test_client().get("/readyz"))
    assert set(checks) == {"index", "broker"}
    assert checks["broker"].startswith("the broker did not answer: ")


def test_readyz_names_a_database_that_does_not_answer(tmp_path):
    app = create_app(app_config(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}"))
    try:
        checks = failing_checks(app.test_client().get("/readyz"))
        assert set(checks) == {"database", "index"}
        assert "unable to open database file" in checks["database"]
    finally:
        app.extensions["db"].kw["bind"].dispose()


def test_readyz_is_not_ready_while_a_worker_warms_up(tmp_path, framework, served_app, make_app,
                                                     caplog):
    """A worker loads its index version, snapshot and model before its first request (as
    gunicorn's post_worker_init does); meanwhile /readyz answers 503 naming the warm-up."""
    app = make_app(tmp_path, framework, [])
    version = publish_copy(served_app, app)
    client = app.test_client()
    errors = []

    def warm_up() -> None:
        with app.app_context():
            try:
                serving.warm()
            except Exception as exc:  # noqa: BLE001 - reported by the assert below
                errors.append(exc)

    caplog.set_level(logging.INFO, "recommender.indexing")
    for read in (_NET_FEEDBACK, _SHOWN):
        read._compiled.clear()
    with app.app_context():
        assert serving.index_holder().get().name == version  # loaded: only the rest waits
    with serving._snapshot_lock:
        # the snapshot's lock is held here, so the warm-up waits inside, warming
        worker = threading.Thread(target=warm_up)
        worker.start()
        while not app.extensions.get("warming"):
            assert worker.is_alive()
            worker.join(0.01)
        assert failing_checks(client.get("/readyz")) == {
            "warm_up": "loading the embedding model, index version and catalogue snapshot "
                       "before taking requests"}
    worker.join()
    assert errors == []
    assert client.get("/readyz").status_code == 200
    assert version in app.extensions["snapshots"]
    # the reads of every gap count compiled too (docs/performance.md, "A worker's first request")
    assert len(_NET_FEEDBACK._compiled) == MAX_GAPS and _SHOWN._compiled
    assert any(r.getMessage().startswith("warmed up in ") and version in r.getMessage()
               for r in caplog.records)
