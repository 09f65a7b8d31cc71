"""JSON log lines with a request id, from the web request to the Celery task it enqueues."""

import logging
import time

import pytest
import redis
from flask import g
from sqlalchemy import select

from recommender import create_app, logs
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.storage import db, migrate
from recommender.storage.models import IndexBuild
from recommender.storage.worker_process import running_worker
from tests.factories import GOOD, json_lines

TEST_REDIS = "redis://127.0.0.1:6379/11"  # a database number only this test uses


def test_a_request_logs_json_lines_with_its_id_and_echoes_it(empty_app, log_format, capsys):
    log_format("json")
    response = empty_app.test_client().get("/api/v1/framework",
                                           headers={"X-Request-ID": "req-42.a"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-42.a"
    lines = json_lines(capsys.readouterr().err)
    access = [line for line in lines if line["logger"] == "recommender.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "req-42.a"
    assert access[0]["message"].startswith("GET /api/v1/framework 200")
    assert (access[0]["level"], access[0]["status"], access[0]["path"]) == (
        "INFO", 200, "/api/v1/framework")
    assert access[0]["time"].endswith("+00:00")


@pytest.mark.parametrize("given", ["has spaces", "x" * 65, "quote\"s", "", "tab\tin"])
def test_an_unsafe_request_id_is_replaced(empty_app, log_format, capsys, given):
    log_format("json")
    response = empty_app.test_client().get("/healthz", headers={"X-Request-ID": given})
    made = response.headers["X-Request-ID"]
    assert made != given and logs.valid_request_id(made)
    with empty_app.test_client() as client:
        client.get("/healthz")
        assert logs.valid_request_id(g.request_id)
    # probes log at debug level: nothing at the default INFO
    assert not json_lines(capsys.readouterr().err)


def test_the_request_id_is_in_flask_g_and_text_lines(empty_app, log_format, capsys):
    log_format("text")
    with empty_app.test_client() as client:
        response = client.get("/api/v1/nothing-here", headers={"X-Request-ID": "abc"})
        assert response.status_code == 404
        assert g.request_id == "abc" == response.headers["X-Request-ID"]
    err = capsys.readouterr().err
    assert "INFO    recommender.access [abc] GET /api/v1/nothing-here 404" in err


def test_errors_are_logged_with_the_exception(log_format, capsys):
    log_format("json")
    token = logs.request_id_var.set("outer")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("recommender.test").exception("failed")
    finally:
        logs.request_id_var.reset(token)
    [line] = json_lines(capsys.readouterr().err)
    assert (line["message"], line["request_id"]) == ("failed", "outer")
    assert "ValueError: boom" in line["exception"]


@pytest.mark.services
def test_the_request_id_reaches_the_worker_task_log_lines(tmp_path, framework):
    redis.Redis.from_url(TEST_REDIS).flushdb()
    env = {"VAR_DIR": str(tmp_path), "REDIS_URL": TEST_REDIS, "LOG_FORMAT": "json"}
    app = create_app({**from_environment(env), "AUTH_REQUIRED": False})  # no keys
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
    log_file = tmp_path / "worker.log"
    try:
        with log_file.open("wb") as out, running_worker(env, log_file=out):
            created = app.test_client().post("/api/v1/resources", json=GOOD,
                                             headers={"X-Request-ID": "curator-7f3"})
            assert created.status_code == 201
            task_id = created.get_json()["index_task"]
            assert task_id
            deadline = time.monotonic() + 180
            with app.app_context():
                while True:
                    build = db.session().scalars(select(IndexBuild)
                                                 .where(IndexBuild.id == task_id)).one()
                    status, detail = build.status, build.detail
                    if build.finished_at is not None or time.monotonic() > deadline:
                        break
                    db.session().expire_all()
                    time.sleep(0.2)
            assert status in ("built", "updated"), (status, detail, log_file.read_text()[-3000:])
        lines = json_lines(log_file.read_text())
        in_task = [line for line in lines if line.get("task_id") == task_id]
        assert any(line["logger"] == "workers.tasks" for line in in_task), lines[-20:]
        assert {line["request_id"] for line in in_task} == {"curator-7f3"}
        # Celery's own lines outside the task carry no request id, and are JSON too
        assert any(line["logger"].startswith("celery") for line in lines)
    finally:
        with app.app_context():
            db.engine().dispose()
        redis.Redis.from_url(TEST_REDIS).flushdb()
