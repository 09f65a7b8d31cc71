"""Index files under attack: the disk fills up while a version is written, or a published
version's files are truncated. Each time the previous version keeps serving, the failure shows
in /readyz and /metrics, and the next build succeeds.

(A worker killed in the middle of a build: tests/test_worker_faults.py.)"""

import errno
import os
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from indexes.store import MANIFEST_FILE, RESOURCES_FILE
from recommender.content.store import upsert_resources
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_holder, index_store
from recommender.storage import db
from recommender.storage.models import IndexBuild
from workers.tasks import build_index as build_task

ASK = {"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": 3}], "limit": 3}


def metric(client, name: str, **labels) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v
                                           for k, v in labels.items()):
                return sample.value
    return 0.0


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs of its own for the index folder (skipped where mounting is not allowed)."""
    folder = tmp_path / "indexes"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs",
                              str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder, leave: int = 32 * 1024):
    """Take all but ``leave`` bytes of the file system's free space; returns the ballast."""
    stats = os.statvfs(folder)
    ballast = folder / "ballast"
    with ballast.open("wb") as fh:
        remaining = stats.f_bavail * stats.f_frsize - leave
        while remaining > 0:
            chunk = min(remaining, 1 << 20)
            fh.write(b"\0" * chunk)
            remaining -= chunk
    return ballast


def test_a_full_disk_while_writing_an_index_leaves_the_old_one_serving(
        small_disk, tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path / "app", framework, shipped_resources[:20],
                   INDEX_DIR=str(small_disk))
    client = app.test_client()
    with app.app_context():
        first = build_index(db.session(), index_store(), encoder)
        upsert_resources(db.session(), shipped_resources[20:40])
    assert client.post("/api/v1/recommendations", json=ASK).status_code == 200
    before = sorted(p.name for p in small_disk.iterdir())

    ballast = fill(small_disk)
    with app.app_context():  # the worker's task, run in this process
        failed = build_task.apply(kwargs={"force": True})
        record = db.session().get(IndexBuild, failed.id)
        assert failed.failed() and record.status == "failed"
        assert "No space left on device" in record.detail or \
            os.strerror(errno.ENOSPC) in record.detail, record.detail
        store = index_store()
        assert store.current_name() == first.version
        assert index_holder().get().name == first.version
    ballast.unlink()
    # nothing half-written is left behind: no staging folder, no orphan version or pointer
    assert sorted(p.name for p in small_disk.iterdir()) == before
    assert sorted(p.name for p in (small_disk / "versions").iterdir()) == [first.version]

    assert client.post("/api/v1/recommendations", json=ASK).status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    last = ready.get_json()["checks"]["index"]["last_build"]
    assert last["status"] == "failed" and "No space left" in last["detail"]
    assert metric(client, "recommender_index_builds", kind="full", status="failed") == 1

    with app.app_context():  # space again: the next build succeeds and is served
        rebuilt = build_task.apply(kwargs={"force": False})
        assert rebuilt.successful(), rebuilt.result
        outcome = rebuilt.result
        assert outcome["status"] == "built" and outcome["count"] == 40
        assert index_holder().get().name == outcome["version"] != first.version
        assert db.session().scalars(select(IndexBuild.status)
                                    .order_by(IndexBuild.finished_at)).all() == ["failed",
                                                                                 "built"]
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["checks"]["index"]["last_build"]["status"] == \
        "built"


def damage(store, version: str, how: str) -> None:
    """Truncate one file of a published version (or empty the pointer), then make the web
    process look again (a new stamp on the pointer)."""
    folder = store.versions / version
    if how == "resources truncated":
        path = folder / RESOURCES_FILE
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "manifest truncated":
        path = folder / MANIFEST_FILE
        path.write_bytes(path.read_bytes()[:40])
    else:
        store.pointer.write_text("")
    os.utime(store.pointer, ns=(1, 1))


def test_a_truncated_index_file_is_refused_and_the_old_version_keeps_serving(
        tmp_path, framework, shipped_resources, encoder, make_app):
    app = make_app(tmp_path, framework, shipped_resources[:10])
    client = app.test_client()
    with app.app_context():
        good = build_index(db.session(), index_store(), encoder).version
    added = 10
    for how in ("resources truncated", "manifest truncated", "pointer emptied"):
        with app.app_context():
            assert index_holder().get().name == good
            upsert_resources(db.session(), shipped_resources[added:added + 1])
            added += 1
            broken = build_index(db.session(), index_store(), encoder).version
            damage(index_store(), broken, how)
            assert index_holder().get().name == good, how
            assert index_holder().last_error, how

        assert client.post("/api/v1/recommendations", json=ASK).status_code == 200, how
        ready = client.get("/readyz")
        assert ready.status_code == 200, how
        assert ready.get_json()["checks"]["index"]["version"] == good
        assert ready.get_json()["checks"]["index"]["last_error"]
        assert metric(client, "recommender_index_load_failing") == 1, how

        with app.app_context():  # the next build publishes a sound version, and it is served
            good = build_index(db.session(), index_store(), encoder, force=True).version
            assert index_holder().get().name == good
        assert metric(client, "recommender_index_load_failing") == 0
        assert "last_error" not in client.get("/readyz").get_json()["checks"]["index"]
