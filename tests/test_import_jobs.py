"""Import jobs: a catalogue feed imported by the worker, its counts visible while it runs, all
or nothing whatever happens to it (a record the database refuses, a worker killed mid-write).

The fast tests run the job's own function in this process on a real database (SQLite and
PostgreSQL) with tasks queued on an in-memory broker that nothing reads; the `services` tests
run a real Celery worker over a private redis-server and import a 10,000-record feed through
the API, the command line, and a worker killed in the middle of it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from recommender import create_app
from recommender.access.keys import create_key
from recommender.cli import main
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.content.import_job_views import STALE_AFTER, job_view, stalled
from recommender.content.import_jobs import create_job, run_job
from recommender.problems import CONTENT_TYPE
from recommender.storage import db, migrate
from recommender.storage.models import (
    HeldRecord,
    ImportJob,
    IndexBuild,
    IndexOutbox,
    Resource,
    utcnow,
)
from recommender.storage.worker_process import stop, worker_command
from tests.fault_servers import PrivateRedis, wait_for

FEED = 10_000
HELD = FEED // 40  # every 40th record states no licence
REJECTED = FEED // 1000  # every 1000th has no URL
QUEUED = {"broker_url": "memory://", "result_backend": "cache+memory://",
          "include": ["workers.tasks"], "task_ignore_result": True}
_numbers = iter(range(1, 16))  # Redis database numbers, one per worker test


def record(i: int, host: str = "feed.example.org", revised: bool = False) -> dict:
    """A record as an external feed sends it: title, URL, licence and description only."""
    item = {"title": f"Evaluating clinical AI tools, part {i}",
            "url": f"https://{host}/courses/{i}", "licence": "CC-BY-4.0",
            "description": f"Part {i} of an open course on checking an AI tool's evidence "
                           f"before it is used in clinical practice{' (revised)' * revised}."}
    if i % 40 == 7:
        del item["licence"]  # held for review
    if i % 1000 == 3:
        del item["url"]  # rejected: not something we can link to
    return item


def feed(count: int, **kwargs) -> str:
    return "".join(json.dumps(record(i, **kwargs)) + "\n" for i in range(count))


def counted(app) -> dict[str, int]:
    """How many resources, held records and outbox rows there are, and a digest of them."""
    with app.app_context():
        session = db.session()
        return {"resources": session.scalar(select(func.count()).select_from(Resource)),
                "held": session.scalar(select(func.count()).select_from(HeldRecord)),
                "outbox": session.scalar(select(func.count()).select_from(IndexOutbox)),
                "content": hash(tuple(session.execute(
                    select(Resource.slug, Resource.content_hash, Resource.version)
                    .order_by(Resource.slug)))),
                "open_held": hash(tuple(session.execute(
                    select(HeldRecord.id, HeldRecord.import_job_id, HeldRecord.status)
                    .order_by(HeldRecord.id))))}


def import_in_process(app, body: str, name: str = "feed.jsonl", **options) -> dict:
    """What the worker does with a job, done here."""
    with app.app_context():
        job = create_job(db.session(), source_name=name, payload_text=body, format="jsonl",
                         options=options)
        return run_job(app.extensions["db"], job.id)


@pytest.fixture
def queued_app(tmp_path, framework, make_app):
    """Tasks are queued on an in-memory broker that nothing reads."""
    return make_app(tmp_path, framework, [], CELERY=QUEUED, IMPORT_MAX_BYTES=40_000)


# -- the API's answers, without a worker -------------------------------------------------


def test_bad_input_is_a_problem_naming_the_field_and_makes_no_job(queued_app):
    client = queued_app.test_client()
    ndjson = "application/x-ndjson"
    cases = [  # (query, body, content type) -> the field at fault
        ("", b"", ndjson, ""),
        ("", b" \n", ndjson, ""),
        ("", "caf\u00e9".encode("latin-1"), ndjson, ""),
        ("", b'{"title": "a\\u0000"}\n\x00', ndjson, ""),
        ("?format=pdf", b"{}", "application/octet-stream", "?format"),
        ("", b"{}", "application/octet-stream", "?format"),  # no type, no telling name
        ("?profile=nope", b"{}", ndjson, "?profile"),
        ("?strict=maybe", b"{}", ndjson, "?strict"),
        ("?name=..%2Fetc%2Fpasswd", b"{}", ndjson, "?name"),
        ("?colour=red", b"{}", ndjson, "?colour"),
    ]
    for query, body, media, pointer in cases:
        answer = client.post(f"/api/v1/imports{query}", data=body, content_type=media)
        assert answer.status_code == 422, (query, body, answer.get_json())
        assert answer.mimetype == CONTENT_TYPE
        assert pointer in [e["pointer"] for e in answer.get_json()["errors"]], (query, body)
    too_large = client.post("/api/v1/imports", data=b"{}\n" * 20_000, content_type=ndjson)
    assert too_large.status_code == 413 and too_large.mimetype == CONTENT_TYPE
    assert "40000 bytes" in too_large.get_json()["detail"]  # IMPORT_MAX_BYTES, not 2 MB
    missing = client.get("/api/v1/imports/0123456789abcdef")
    assert missing.status_code == 404 and missing.mimetype == CONTENT_TYPE
    with queued_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_posted_file_becomes_a_job_whose_status_shows_the_outcome(queued_app):
    client = queued_app.test_client()
    body = feed(120, host="api.example.org")
    posted = client.post("/api/v1/imports?name=courses.jsonl", data=body.encode(),
                         content_type="application/octet-stream")  # the name tells the format
    assert posted.status_code == 202, posted.get_json()
    job = posted.get_json()
    assert posted.headers["Location"] == f"/api/v1/imports/{job['id']}"
    assert (job["status"], job["format"], job["counts"]["read"]) == ("queued", "jsonl", 0)
    assert client.get(posted.headers["Location"]).get_json()["status"] == "queued"

    with queued_app.app_context():
        run_job(queued_app.extensions["db"], job["id"])
    done = client.get(posted.headers["Location"]).get_json()
    admitted = 120 - 3 - 1  # records 7, 47 and 87 are held, record 3 is rejected
    assert done["status"] == "done" and done["detail"] is None
    assert done["counts"] == {"total": 120, "read": 120, "admitted": admitted, "held": 3,
                              "rejected": 1}
    assert done["summary"] == f"{admitted} new, 0 updated, 0 unchanged, 3 held, 1 rejected"
    assert len(done["result"]["new"]) == admitted
    [reason] = done["result"]["rejected_reasons"]
    assert "courses.jsonl, record 4" in reason and "url" in reason
    assert all("licence" in r for r in done["result"]["held_reasons"])
    assert done["links"]["index_build"] == f"/api/v1/index/builds/{done['index_task']}"
    with queued_app.app_context():
        session = db.session()
        held = session.scalars(select(HeldRecord.import_job_id)).all()
        assert held == [job["id"]] * 3
        assert session.get(IndexBuild, done["index_task"]).status == "queued"


@pytest.mark.parametrize("where", ["held_records", "resources"])
def test_a_record_the_database_refuses_fails_the_job_and_changes_nothing(
        where, tmp_path, framework, make_app, database_url):
    """The 900th record trips a trigger standing for any refusal of the database (a constraint,
    a full disk): on the held records, written last, or on the resources. Everything the job
    had written in its transaction, and its held records, are rolled back."""
    app = make_app(tmp_path, framework, [], database_url, CELERY=QUEUED)
    assert import_in_process(app, feed(60))["status"] == "done"
    before = counted(app)
    body = feed(1000, revised=True).replace('"title": "Evaluating clinical AI tools, part 899"',
                                            '"title": "Poisoned part 899"')
    if where == "held_records":  # make the poisoned record a held one
        body = body.replace('"title": "Poisoned part 899", "url": "https://feed.example.org/'
                            'courses/899", "licence": "CC-BY-4.0"',
                            '"title": "Poisoned part 899", "url": "https://feed.example.org/'
                            'courses/899"')
    with app.app_context():
        _refuse(db.engine(), where)
    outcome = import_in_process(app, body)
    assert outcome["status"] == "failed", outcome
    assert "the database refused this record" in outcome["detail"]
    assert "nothing was imported" in outcome["detail"]
    assert outcome["counts"]["read"] == 1000 and outcome["result"] is None
    assert counted(app) == before  # not one row more, less or changed


def _refuse(engine, table: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN NEW.title "
                              "LIKE 'Poisoned%' BEGIN SELECT RAISE(ABORT, 'the database "
                              "refused this record'); END"))
        else:
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF "
                              "NEW.title LIKE 'Poisoned%' THEN RAISE EXCEPTION 'the database "
                              "refused this record'; END IF; RETURN NEW; END $$ "
                              "LANGUAGE plpgsql"))
            conn.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW "
                              "EXECUTE FUNCTION refuse()"))


def test_strict_and_dry_run_jobs_write_nothing(queued_app):
    before = counted(queued_app)
    strict = import_in_process(queued_app, feed(50), strict=True)
    assert strict["status"] == "failed" and "strict: nothing was imported" in strict["detail"]
    dry = import_in_process(queued_app, feed(50), dry_run=True)
    assert dry["status"] == "done" and dry["result"]["dry_run"] is True
    assert dry["summary"] == "47 new, 0 updated, 0 unchanged, 2 held, 1 rejected"
    assert dry["index_task"] is None
    assert counted(queued_app) == before


def test_a_job_runs_once_restarts_after_a_lost_worker_and_shows_when_it_stalled(queued_app):
    first = import_in_process(queued_app, feed(50))
    after = counted(queued_app)
    with queued_app.app_context():
        session = db.session()
        again = run_job(queued_app.extensions["db"], first["id"])  # a second delivery
        assert (again["status"], again["finished_at"]) == ("done", first["finished_at"])
        assert counted(queued_app) == after

        # left running by a worker that died before its import committed: starts afresh
        job = create_job(session, source_name="again.jsonl", payload_text=feed(50),
                         format="jsonl")
        job.status, job.read, job.detail = "running", 30, "reading"
        job.options = {"attempts": 1}
        job.heartbeat_at = utcnow() - STALE_AFTER - timedelta(seconds=1)
        session.commit()
        assert stalled(job) and job_view(job)["stalled"]
        rerun = run_job(queued_app.extensions["db"], job.id)
        assert (rerun["status"], rerun["attempts"], rerun["stalled"]) == ("done", 2, False)
        assert rerun["summary"] == "0 new, 0 updated, 47 unchanged, 2 held, 1 rejected"

        # its worker was lost after the import committed: finished, not imported twice
        job = create_job(session, source_name="late.jsonl", payload_text=feed(50),
                         format="jsonl")
        job.status = "written"
        session.commit()
        late = run_job(queued_app.extensions["db"], job.id)
        assert late["status"] == "done" and "worker stopped" in late["detail"]

        # a feed that kills its worker every time stops being retried
        job = create_job(session, source_name="deadly.jsonl", payload_text=feed(50),
                         format="jsonl", options={"attempts": 3})
        job.status = "running"
        session.commit()
        deadly = run_job(queued_app.extensions["db"], job.id)
        assert deadly["status"] == "failed" and "lost 3 times" in deadly["detail"]
    assert counted(queued_app)["resources"] == after["resources"]


def test_the_cli_says_when_no_worker_starts_its_job_and_no_job_imports_here(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": "",
           "IMPORT_JOB_THRESHOLD": "10"}
    runner = CliRunner()
    for command in (["db", "upgrade"], ["load-framework"]):
        assert runner.invoke(main, command, env=env).exit_code == 0
    path = tmp_path / "courses.jsonl"
    path.write_text(feed(11))
    waited = runner.invoke(main, ["import", str(path), "--wait-start", "0.5"], env=env)
    assert waited.exit_code == 1, waited.output
    job_id = re.search(r"import job ([0-9a-f]{32})", waited.output).group(1)
    assert "no worker started import job" in waited.output
    assert f"GET /api/v1/imports/{job_id}" in waited.output and "--no-job" in waited.output
    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))
    try:
        with app.app_context():
            job = db.session().get(ImportJob, job_id)
            assert (job.status, job.total) == ("queued", 11)
        assert counted(app)["resources"] == 0
        here = runner.invoke(main, ["import", str(path), "--no-job"], env=env)
        assert "9 new, 0 updated, 0 unchanged, 1 held, 1 rejected" in here.output
        assert counted(app)["resources"] == 9
    finally:
        app.extensions["db"].kw["bind"].dispose()


def test_several_sources_and_a_profile_file_make_one_job_the_worker_can_run_alone(tmp_path):
    """The job holds every source's text and the profile's, so the worker needs neither the
    files nor the network; the sources are imported together (a URL repeated across them is
    rejected, as in one process)."""
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    runner = CliRunner()
    for command in (["db", "upgrade"], ["load-framework"]):
        assert runner.invoke(main, command, env=env).exit_code == 0
    profile = tmp_path / "ours.yaml"
    profile.write_text("format: jsonl\ncolumns: {title: t, url: u, licence: l, description: d}\n")
    sources = []
    for name, numbers in (("a.jsonl", range(0, 6)), ("b.jsonl", range(5, 9))):
        path = tmp_path / name
        path.write_text("".join(json.dumps({"t": r["title"], "u": r.get("url"),
                                            "l": r.get("licence"), "d": r["description"]})
                                + "\n" for r in map(record, numbers)))
        sources.append(str(path))
    queued = runner.invoke(main, ["import", *sources, "--profile", str(profile), "--job",
                                  "--wait-start", "0.3"], env=env)
    assert "no worker started import job" in queued.output, queued.output
    job_id = re.search(r"import job ([0-9a-f]{32})", queued.output).group(1)
    profile.unlink()
    for source in sources:
        Path(source).unlink()
    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))
    try:
        with app.app_context():
            job = db.session().get(ImportJob, job_id)
            assert job.options["locations"] == sources and job.total == 10
            done = run_job(app.extensions["db"], job_id)
        # 10 records: 3 has no URL and 5 comes twice (rejected), 7 has no licence (held)
        assert done["status"] == "done", done["detail"]
        assert done["summary"] == "7 new, 0 updated, 0 unchanged, 1 held, 2 rejected"
        assert any("duplicates record 6 of" in r for r in done["result"]["rejected_reasons"])
    finally:
        app.extensions["db"].kw["bind"].dispose()


# -- a real worker -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A redis-server of this module's own: no other test's worker can take its tasks."""
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live(tmp_path, framework, broker):
    """An app configured as in production (keys checked) over Redis database N of the private
    server, and a way to start a worker for it that takes only the default queue: the index
    updates the imports queue stay queued (no model load, no build in these tests)."""
    env = {"VAR_DIR": str(tmp_path), "REDIS_URL": broker.url(next(_numbers)),
           "LOG_FORMAT": "text",
           "BROKER_VISIBILITY_SECONDS": "3"}
    app = create_app({**from_environment(env), "RATE_LIMIT_ENABLED": False})
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
        key = create_key(db.session(), "importer", ["catalogue:write"]).key
    workers = []
    log = (tmp_path / "worker.log").open("ab")

    def start_worker() -> subprocess.Popen:
        command = ["celery" if arg == "celery,indexing" else arg for arg in worker_command()]
        workers.append(subprocess.Popen(command, env={**os.environ, **env}, stdout=log,
                                        stderr=subprocess.STDOUT))
        return workers[-1]

    yield app, env, {"Authorization": f"Bearer {key}"}, start_worker
    for worker in workers:
        stop(worker)
    log.close()
    app.extensions["db"].kw["bind"].dispose()


def job_row(app, job_id: str) -> ImportJob:
    with app.app_context():
        session = db.session()
        job = session.get(ImportJob, job_id)
        session.expunge(job)
        return job


@pytest.mark.services
def test_a_10000_record_feed_imports_through_the_api_with_its_progress_visible(live):
    app, _, headers, start_worker = live
    client = app.test_client()
    body = feed(FEED).encode()
    assert client.post("/api/v1/imports", data=body,
                       content_type="application/x-ndjson").status_code == 401
    began = time.monotonic()
    posted = client.post("/api/v1/imports?name=catalogue.jsonl", data=body, headers=headers,
                         content_type="application/x-ndjson")
    assert posted.status_code == 202, posted.get_json()
    # the request only stores the file: no worker runs yet, so the answer is a queued job
    assert posted.get_json()["status"] == "queued"
    location = posted.headers["Location"]
    start_worker()
    seen = []

    def finished():
        view = client.get(location, headers=headers).get_json()
        seen.append(view)
        return view["status"] in ("done", "failed") and view

    done = wait_for(finished, 120, "the import job to finish", every=0.05)
    took = time.monotonic() - began
    running = [v for v in seen if v["status"] == "running" and v["counts"]["read"] > 0]
    assert running, "no progress was visible while the job ran"
    progress = [(v["counts"]["read"], v["detail"]) for v in running]
    assert len(set(progress)) >= 2, progress  # it moved while we watched
    reads = [v["counts"]["read"] for v in seen]
    assert reads == sorted(reads)
    admitted = FEED - HELD - REJECTED
    assert done["status"] == "done", done["detail"]
    assert done["counts"] == {"total": FEED, "read": FEED, "admitted": admitted, "held": HELD,
                              "rejected": REJECTED}
    assert done["summary"] == (f"{admitted} new, 0 updated, 0 unchanged, {HELD} held, "
                               f"{REJECTED} rejected")
    assert len(done["result"]["rejected_reasons"]) == REJECTED
    assert len(done["result"]["held_reasons"]) == 100  # the first 100 of 250
    assert counted(app)["resources"] == admitted
    with app.app_context():
        held = db.session().scalar(select(func.count()).select_from(HeldRecord).where(
            HeldRecord.import_job_id == done["id"], HeldRecord.status == "held"))
        assert held == HELD
        assert db.session().get(IndexBuild, done["index_task"]).status == "queued"
    ran = (datetime.fromisoformat(done["finished_at"])
           - datetime.fromisoformat(done["started_at"])).total_seconds()
    print(f"\n{FEED} records through the API on a worker: {took:.1f} s from POST to done, "
          f"with the worker's start; the job itself {ran:.1f} s ({FEED / ran:.0f} records/s)")


@pytest.mark.services
def test_the_cli_imports_a_large_feed_as_a_job_and_follows_it(live, tmp_path):
    app, env, _, start_worker = live
    path = tmp_path / "catalogue.jsonl"
    path.write_text(feed(FEED))
    start_worker()
    began = time.monotonic()
    result = CliRunner().invoke(main, ["import", str(path)],  # over IMPORT_JOB_THRESHOLD
                                env={**env, "DATABASE_URL": "", "INDEX_DIR": ""})
    took = time.monotonic() - began
    admitted = FEED - HELD - REJECTED
    assert result.exit_code == 1, result.output  # records were rejected, as in-process
    assert re.search(r"import job [0-9a-f]{32}: 10000 records queued", result.stderr)
    shown = [line for line in result.stderr.splitlines() if line.startswith("read ")]
    assert len(set(shown)) >= 2, result.stderr  # the bar moved with the job's counts
    reads = [int(re.match(r"read ([\d,]+)", line)[1].replace(",", "")) for line in shown]
    assert reads == sorted(reads) and reads[-1] == FEED
    assert result.stdout.splitlines()[0] == (f"{admitted} new, 0 updated, 0 unchanged, "
                                             f"{HELD} held, {REJECTED} rejected")
    assert f"{HELD} held for review" in result.stdout and "index update queued" in result.stdout
    assert len([line for line in result.stderr.splitlines()
                if line.startswith("rejected: ")]) == REJECTED
    assert counted(app)["resources"] == admitted
    print(f"\n{FEED} records through the CLI on a worker: {took:.1f} s ({FEED / took:.0f} "
          "records/s)")


@pytest.mark.services
def test_a_worker_killed_mid_import_changes_nothing_and_the_job_runs_again(live):
    app, _, headers, start_worker = live
    assert import_in_process(app, feed(50))["status"] == "done"  # what was there before
    before = counted(app)
    client = app.test_client()
    posted = client.post("/api/v1/imports?name=revised.jsonl", headers=headers,
                         data=feed(FEED, revised=True).encode(),
                         content_type="application/x-ndjson")
    job_id = posted.get_json()["id"]
    worker = start_worker()
    wait_for(lambda: (job_row(app, job_id).detail or "").startswith("writing"), 120,
             "the job to start writing")
    worker.send_signal(signal.SIGKILL)  # mid-transaction: the upsert takes seconds
    worker.wait()
    left = job_row(app, job_id)
    assert left.status == "running" and left.read == FEED
    assert counted(app) == before  # nothing of the import, nothing changed

    start_worker()  # Redis delivers the unacknowledged task again after 3 s
    wait_for(lambda: job_row(app, job_id).status in ("done", "failed"), 120,
             "the job to run again")
    done = client.get(f"/api/v1/imports/{job_id}", headers=headers).get_json()
    assert (done["status"], done["attempts"]) == ("done", 2), done
    admitted = FEED - HELD - REJECTED
    assert done["summary"] == (f"{admitted - 47} new, 47 updated, 0 unchanged, {HELD} held, "
                               f"{REJECTED} rejected")
    assert counted(app)["resources"] == before["resources"] + admitted - 47
