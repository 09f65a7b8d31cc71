"""INDEX_STORE=database: index versions reach web hosts that share no file system through the
database. Real builds with the real model, real files, SQLite and PostgreSQL; the last test
runs two gunicorn web servers with their own index folders against one PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text, update

from indexes.store import IndexStore
from recommender import create_app
from recommender.cli import main
from recommender.config import ENVIRONMENT, from_environment
from recommender.content.store import delete_resource
from recommender.indexing import replication
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.mirror import Mirror, MirrorError
from recommender.indexing.replicas import Replica
from recommender.indexing.serving import index_store
from recommender.storage import db, migrate
from recommender.storage.models import IndexFile, IndexFileChunk
from recommender.storage.queue import enqueue_build
from tests.conftest import app_config
from tests.fault_servers import wait_for

BIN = Path(sys.executable).parent
TEST_REDIS = "redis://127.0.0.1:6379/9"  # a database number only this test uses
SMALL_CHUNKS = 4096  # so that every data file of a small index spans several chunks


@pytest.fixture
def hosts(tmp_path, framework, shipped_resources, make_app, database_url):
    """Makes apps with INDEX_STORE=database over one database, each with its own index folder
    (``hosts("builder")`` builds: it holds the catalogue); stops their threads afterwards."""
    made = []

    def host(name: str, **extra):
        app = make_app(tmp_path / name, framework if name == "builder" else None,
                       shipped_resources[:30] if name == "builder" else [],
                       database_url=database_url, INDEX_STORE="database", **extra)
        made.append(app)
        app.extensions["index_replication"].replica.mirror.chunk_bytes = SMALL_CHUNKS
        return app

    yield host
    for app in made:
        app.extensions["index_replication"].stop()


def replica_of(app):
    return app.extensions["index_replication"].replica


def build(app, encoder, *, force: bool = False) -> str:
    """A real build, published in ``app``'s folder; waits until its push has named it."""
    with app.app_context():
        name = build_index(db.session(), index_store(), encoder, force=force).version
    pusher = app.extensions["index_replication"].pusher
    assert pusher.wait_until(lambda: pusher.pushed == name or pusher.last_error, 120), \
        "the push did not finish"
    assert pusher.pushed == name, pusher.last_error
    return name


def tree(app) -> dict[str, bytes]:
    """Every file of the app's served version, by its path under the index folder."""
    root = Path(app.config["INDEX_DIR"])
    name = (root / "current").read_text()
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "versions" / name).rglob("*")) if p.is_file()}


def leftovers(app) -> list[str]:
    root = Path(app.config["INDEX_DIR"])
    return sorted(p.name for p in root.rglob(".pull-*"))


def test_push_then_pull_gives_the_same_files_and_the_same_served_version(hosts, encoder,
                                                                            database_url):
    builder, web = hosts("builder"), hosts("web")
    name = build(builder, encoder)
    with builder.app_context():
        chunks = db.session().execute(select(IndexFile.path, IndexFile.chunks)).all()
    assert {path.split("/")[1] for path, _ in chunks} == {name}
    assert max(n for _, n in chunks) > 2  # the FAISS file went in several chunks

    outcome = replica_of(web).pull()
    assert (outcome.status, outcome.pointer, outcome.files) == ("pulled", name, len(chunks))
    assert tree(web) == tree(builder)
    assert index_store_of(web).current_name() == name
    assert replica_of(web).pull().status == "unchanged"  # idempotent
    ready = web.test_client().get("/readyz").get_json()
    assert ready["checks"]["index"]["version"] == name
    answer = web.test_client().post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": "6.0.1"}], "limit": 3}).get_json()
    assert answer["index_version"] == name and answer["baseline"]
    assert leftovers(web) == []


def index_store_of(app):
    return app.extensions["index"].store


def test_an_incremental_update_reaches_the_replica(hosts, encoder, shipped_resources):
    """An update publishes what the store makes of it (a delta over the version, or a new
    version); the replica ends with the same files and serves the same pointer."""
    builder, web = hosts("builder"), hosts("web")
    build(builder, encoder)
    replica_of(web).pull()
    with builder.app_context():
        delete_resource(db.session(), shipped_resources[0].id)
        apply_changes(db.session(), index_store(), encoder)
    pointer = index_store_of(builder).current_name()
    pusher = builder.extensions["index_replication"].pusher
    assert pusher.wait_until(lambda: pusher.pushed == pointer, 120), pusher.last_error
    assert replica_of(web).pull().pointer == pointer
    assert index_store_of(web).current_name() == pointer

    def files(app):
        return {rel: path.read_bytes() for rel, path in replica_of(app).local_files().items()
                if rel.split("/")[1] == pointer.split("+")[0]}

    assert files(web) == files(builder)
    ready = web.test_client().get("/readyz").get_json()
    assert ready["checks"]["index"]["version"] == pointer, ready


def test_a_corrupt_or_missing_chunk_is_refused_and_the_replica_keeps_its_version(
        hosts, encoder):
    builder, web = hosts("builder"), hosts("web")
    first = build(builder, encoder)
    replica_of(web).pull()
    second = build(builder, encoder, force=True)
    engine = replica_of(builder).mirror.engine()
    with engine.begin() as conn:
        file_id, chunk = conn.execute(
            select(IndexFile.id, IndexFileChunk.data).join(IndexFileChunk).where(
                IndexFile.path == f"versions/{second}/resources.faiss",
                IndexFileChunk.seq == 1)).one()
        conn.execute(update(IndexFileChunk).where(IndexFileChunk.file_id == file_id,
                                                  IndexFileChunk.seq == 1)
                     .values(data=bytes(len(chunk))))  # same length, other bytes

    with pytest.raises(MirrorError, match="does not match its sha256"):
        replica_of(web).pull()
    assert index_store_of(web).current_name() == first
    assert not (Path(web.config["INDEX_DIR"]) / "versions" / second).exists()
    assert leftovers(web) == []
    assert web.test_client().get("/readyz").get_json()["checks"]["index"]["version"] == first

    with engine.begin() as conn:  # a chunk lost: a partial copy is refused too
        conn.execute(update(IndexFileChunk).where(IndexFileChunk.file_id == file_id,
                                                  IndexFileChunk.seq == 1)
                     .values(data=chunk))
        conn.execute(text("DELETE FROM index_file_chunks WHERE file_id = :f AND seq = 0"),
                     {"f": file_id})
    with pytest.raises(MirrorError, match="chunk 0 of .* is missing"):
        replica_of(web).pull()
    assert index_store_of(web).current_name() == first and leftovers(web) == []


def test_pruned_versions_leave_the_database_and_replicas_follow_the_pointer(hosts, encoder):
    builder, web = hosts("builder", INDEX_KEEP=2), hosts("web", INDEX_KEEP=2)
    names = []
    for _ in range(3):
        names.append(build(builder, encoder, force=bool(names)))
        assert replica_of(web).pull().pointer == names[-1]
        assert tree(web) == tree(builder)
    mirror = replica_of(builder).mirror
    held = {path.split("/")[1] for path in mirror.files()}
    assert held == set(names[1:])  # the builder pruned the first; so did the database
    assert sorted(p.name for p in (Path(web.config["INDEX_DIR"]) / "versions").iterdir()) == \
        sorted(names[1:])
    # forgetting never takes the files of the version the pointer names
    assert mirror.forget(set()) > 0
    assert {path.split("/")[1] for path in mirror.files()} == {names[-1]}
    assert replica_of(web).status()["database"] == names[-1]


def test_a_version_built_here_and_not_pushed_is_not_replaced_by_the_older_one(hosts, encoder):
    builder, web = hosts("builder"), hosts("web")
    first = build(builder, encoder)
    replica_of(web).pull()
    index_store_of(builder).on_publish.clear()  # this build's push never happens
    with builder.app_context():
        second = build_index(db.session(), index_store(), encoder, force=True).version
    assert replica_of(builder).mirror.pointer() == first
    assert replica_of(builder).pull().status == "unchanged"  # the database did not move
    assert index_store_of(builder).current_name() == second
    assert replica_of(builder).push().pointer == second  # by hand (recommender index-store)
    # a replica's push of the version it took would take every replica back
    with pytest.raises(MirrorError, match="take every replica back"):
        replica_of(web).push()
    assert replica_of(web).pull().pointer == second


def test_each_web_process_polls_and_pulls_new_versions_by_itself(hosts, encoder):
    builder, web = hosts("builder"), hosts("web", INDEX_POLL_SECONDS=0.05)
    first = build(builder, encoder)
    replication.first_pull(web)  # as a gunicorn worker does while it warms up
    assert index_store_of(web).current_name() == first
    puller = web.extensions["index_replication"].puller
    second = build(builder, encoder, force=True)
    assert puller.wait_until(lambda: index_store_of(web).current_name() == second, 60), \
        puller.last_error
    assert web.test_client().get("/readyz").get_json()["checks"]["index"]["version"] == second


def test_the_index_store_commands_show_pull_and_push(hosts, encoder, tmp_path, database_url):
    builder = hosts("builder")
    name = build(builder, encoder)
    env = {"VAR_DIR": str(tmp_path / "cli"), "INDEX_DIR": str(tmp_path / "cli" / "indexes"),
           "DATABASE_URL": database_url, "REDIS_URL": "", "INDEX_STORE": "database"}

    def invoke(*args, **extra):
        return CliRunner().invoke(main, ["index-store", *args], env={**env, **extra})

    pulled = invoke("pull")
    assert pulled.exit_code == 0, pulled.output
    assert pulled.output.startswith(f"index pulled: version {name}, 6 files")
    assert invoke("pull").output.startswith(f"index unchanged: version {name}")
    status = invoke("status").output
    assert f"database: {name}\nlocal: {name}\npulled: {name}\nfiles: 6 " in status
    again = invoke("push")  # what it took from the database is there already: nothing to send
    assert again.exit_code == 0 and again.output.startswith(f"index pushed: version {name}, 0")
    files_only = invoke("status", INDEX_STORE="files")
    assert files_only.exit_code == 1 and "set INDEX_STORE=database" in files_only.output


def test_the_migration_makes_the_tables_the_models_describe(tmp_path, database_url):
    engine = create_engine(database_url)
    try:
        migrate.upgrade(engine)  # what it makes: tests/test_db.py compares it with the models
        with engine.connect() as conn:
            assert engine.dialect.has_table(conn, "index_files")
        migrate.downgrade(engine, "0010")
        with engine.connect() as conn:
            assert not engine.dialect.has_table(conn, "index_files")
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def test_index_store_settings_are_checked():
    assert from_environment({})["INDEX_STORE"] == "files"
    assert from_environment({"INDEX_STORE": " Database "})["INDEX_STORE"] == "database"
    assert from_environment({})["INDEX_POLL_SECONDS"] == 2.0
    with pytest.raises(ValueError, match="INDEX_STORE=s3 is not offered"):
        from_environment({"INDEX_STORE": "s3"})
    with pytest.raises(ValueError, match="INDEX_STORE must be one of files, database"):
        from_environment({"INDEX_STORE": "nfs"})
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(ValueError, match="INDEX_POLL_SECONDS must be a number of seconds"):
            from_environment({"INDEX_POLL_SECONDS": bad})


def test_the_files_store_starts_no_replication(tmp_path):
    app = create_app(app_config(tmp_path))
    assert "index_replication" not in app.extensions
    assert index_store_of(app).on_publish == []


# -- two web servers, one PostgreSQL ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def readyz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())
    except OSError:
        return None


def start_web(folder: Path, database_url: str) -> tuple[subprocess.Popen, int]:
    """gunicorn as production runs it (two workers sharing this host's index folder)."""
    folder.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    env.update(DATABASE_URL=database_url, VAR_DIR=str(folder), INDEX_DIR=str(folder / "indexes"),
               INDEX_STORE="database", INDEX_POLL_SECONDS="0.2", RATE_LIMIT_ENABLED="false",
               LOG_FORMAT="json")
    with (folder / "web.log").open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:recommender.ops.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "recommender.wsgi:app"],
            env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    return process, port


def recommended_version(port: int) -> str | None:
    """The index version a recommendation from this server names."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/recommendations",
        data=json.dumps({"archetype": "user", "gaps": [{"capability": "6.0.1"}],
                         "limit": 3}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["index_version"]
    except OSError:
        return None


def wait_serving(webs, version: str, timeout: float = 240) -> None:
    """Until every server's last 8 readiness answers and 8 recommendations (reaching both of
    its workers, each of which loads a new version in the background on its own) name
    ``version``."""
    deadline = time.monotonic() + timeout
    for process, port, folder in webs:
        def serves(process=process, port=port, folder=folder) -> bool:
            assert process.poll() is None, (folder / "web.log").read_text()[-3000:]
            return all((readyz(port) or {}).get("checks", {}).get("index", {})
                       .get("version") == version for _ in range(8)) and \
                all(recommended_version(port) == version for _ in range(8))
        wait_for(serves, max(deadline - time.monotonic(), 0.1), f"port {port} to serve "
                 f"{version}", every=0.2)


@pytest.mark.services
@pytest.mark.postgres
def test_two_web_servers_with_their_own_folders_serve_what_a_third_host_builds(
        tmp_path, framework, shipped_resources, encoder, make_app, postgres_url):
    builder = make_app(tmp_path / "builder", framework, shipped_resources[:30],
                       database_url=postgres_url, INDEX_STORE="database")
    webs = []
    try:
        first = build(builder, encoder)
        for name in ("web-a", "web-b"):
            process, port = start_web(tmp_path / name, postgres_url)
            webs.append((process, port, tmp_path / name))
        wait_serving(webs, first)  # each fresh server pulled it before it warmed up

        second = build(builder, encoder, force=True)
        wait_serving(webs, second)
        for _, port, folder in webs:
            assert [recommended_version(port) for _ in range(4)] == [second] * 4
            local = folder / "indexes"
            assert (local / "current").read_text() == second
            assert (local / "versions" / second / "resources.faiss").read_bytes() == \
                (Path(builder.config["INDEX_DIR"]) / "versions" / second /
                 "resources.faiss").read_bytes()
    finally:
        for process, _, _ in webs:
            process.terminate()
        for process, _, _ in webs:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        builder.extensions["index_replication"].stop()


@pytest.mark.services
@pytest.mark.postgres
def test_a_prefork_celery_worker_pushes_what_it_builds(tmp_path, framework, shipped_resources,
                                                       make_app, postgres_url):
    """The indexer as deployed (prefork pool): the build runs in a forked child, whose push
    thread and database connections are its own."""
    redis.Redis.from_url(TEST_REDIS).flushdb()
    app = make_app(tmp_path / "api", framework, shipped_resources[:30],
                   database_url=postgres_url, REDIS_URL=TEST_REDIS,
                   CELERY=from_environment({"REDIS_URL": TEST_REDIS})["CELERY"])
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    env.update(DATABASE_URL=postgres_url, REDIS_URL=TEST_REDIS, INDEX_STORE="database",
               VAR_DIR=str(tmp_path / "indexer"), INDEX_DIR=str(tmp_path / "indexer" / "indexes"))
    mirror = Mirror(postgres_url)
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.make_celery", "worker",
             "--queues", "celery,indexing", "--concurrency", "1", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with app.app_context():
            version = enqueue_build().get(timeout=300)["version"]
        wait_for(lambda: mirror.pointer() == version, 120, "the worker's push")
        web = Replica(IndexStore(tmp_path / "web"), mirror)
        assert web.pull().pointer == version
        built = tmp_path / "indexer" / "indexes" / "versions" / version
        assert {p.name: p.read_bytes() for p in built.iterdir()} == \
            {p.name: p.read_bytes() for p in (tmp_path / "web" / "versions" / version).iterdir()}
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        mirror.close()
        redis.Redis.from_url(TEST_REDIS).flushdb()
