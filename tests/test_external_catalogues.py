"""Catalogues we did not write: records with none of our labels get in, what they leave out is
inferred and marked so, a curator's value always wins, and they reach recommendations and
coverage. The feed is real: resources of the shipped catalogue written as a provider's
schema.org JSON-LD would carry them, with every one of our labels left out."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from catalogue.licences import DEFAULT_ALLOWED
from recommender import create_app
from recommender.cli import main
from recommender.config import from_environment
from recommender.content.framework import load_framework
from recommender.storage import db, migrate
from recommender.storage.models import HeldRecord, IndexBuild, Resource
from recommender.storage.queue import notify_index_changes
from recommender.storage.worker_process import running_worker

# statements whose curated resources, unlabelled, must still be found for a learner
GAP = "6.3.2"
CONDITIONS = {"free-registration": "Register for a free account",
              "application": "Apply for a place"}


def provider_feed(resources, *, licence_every: int = 2) -> dict:
    """The resources as a provider's feed: name, description, url, provider, keywords, type,
    free to access; a licence on every other one; no audience, level or framework mapping."""
    graph = []
    for i, r in enumerate(resources):
        node = {"@type": "LearningResource", "name": r.title, "description": r.description,
                "url": r.url, "provider": {"@type": "Organization", "name": r.provider},
                "keywords": ", ".join(r.topics), "learningResourceType": r.format,
                "isAccessibleForFree": True}
        if r.access != "open":
            node["conditionsOfAccess"] = CONDITIONS[r.access]
        if i % licence_every == 0 or r.licence == "LicenseRef-Proprietary-Free":
            node["license"] = r.licence
        graph.append(node)
    return {"@context": "https://schema.org", "@graph": graph}


@pytest.fixture
def cli_app(tmp_path, framework):
    """A migrated app with the framework, driven by the real `recommender` command."""
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": "", "INDEX_DIR": ""}
    app = create_app(from_environment({"VAR_DIR": str(tmp_path)}))
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
    runner = CliRunner()
    yield app, lambda *args: runner.invoke(main, list(args), env=env, catch_exceptions=False)
    app.extensions["db"].kw["bind"].dispose()


def chosen(shipped_resources, count: int = 40):
    """Resources curated for GAP first, then others: a feed that has something for the gap."""
    serving = [r for r in shipped_resources if GAP in r.capabilities]
    rest = [r for r in shipped_resources if GAP not in r.capabilities]
    return serving + rest[: count - len(serving)]


def test_an_unlabelled_feed_is_admitted_with_what_it_leaves_out_inferred(
        cli_app, tmp_path, shipped_resources):
    app, invoke = cli_app
    resources = chosen(shipped_resources)
    feed = tmp_path / "provider.jsonld"
    feed.write_text(json.dumps(provider_feed(resources)))
    result = invoke("import", str(feed))
    assert result.exit_code == 0, result.output
    assert f"{len(resources)} new, 0 updated, 0 unchanged, 0 held, 0 rejected" in result.output
    with app.app_context():
        rows = db.session().scalars(select(Resource)).all()
        for row in rows:
            assert {"archetypes", "level", "capabilities"} <= set(row.labels)
            assert row.labels["archetypes"]["source"] == "suggested"
            assert row.labels["archetypes"]["note"] == "not stated by the source"
            assert row.archetypes == []  # until the indexer has read the text
        free = [row for row in rows if row.licence == "LicenseRef-Proprietary-Free" and
                "licence" in row.labels]
        assert free and all("licence not stated by the source" in row.labels["licence"]["note"]
                            for row in free)
    again = invoke("import", str(feed))
    assert f"0 new, 0 updated, {len(resources)} unchanged, 0 held, 0 rejected" in again.output


def test_a_curators_values_win_over_inferred_ones_and_survive_a_reimport(
        database_url, tmp_path, framework, shipped_resources, make_app):
    app = make_app(tmp_path, framework, [], database_url=database_url)
    client = app.test_client()
    resources = chosen(shipped_resources, 3)
    assert import_feed(app, provider_feed(resources, licence_every=1)).new
    slug = _slug_of(app, resources[0].url)
    edited = client.get(f"/api/v1/resources/{slug}").get_json()
    assert set(edited["inferred"]) >= {"archetypes", "level"}
    put = client.put(f"/api/v1/resources/{slug}", json={
        "title": edited["title"], "url": edited["url"], "archetypes": ["driver"],
        "level": "specialist", "licence": edited["licence"]})
    assert put.status_code == 200, put.get_json()
    assert {"archetypes", "level", "licence", "title", "url"} <= set(
        put.get_json()["curated_fields"])
    assert "archetypes" not in put.get_json()["inferred"]

    changed = provider_feed(resources, licence_every=1)
    changed["@graph"][0]["description"] += " Updated by the provider."
    changed["@graph"][0]["educationalLevel"] = "beginner"  # the source now states a level
    assert import_feed(app, changed).updated == [slug]
    shown = client.get(f"/api/v1/resources/{slug}").get_json()
    assert shown["description"].endswith("Updated by the provider.")  # not curated: updated
    assert (shown["archetypes"], shown["level"]) == (["driver"], "specialist")  # curated: kept
    assert "archetypes" in shown["curated_fields"] and "level" in shown["curated_fields"]


def import_feed(app, feed: dict):
    """The feed through the one import path (as the CLI, the pages and the worker's jobs)."""
    from recommender.content.imports import read_batch, write_batch

    with app.app_context():
        batch = read_batch(["feed.jsonld"], format="jsonld", fetch=lambda _: json.dumps(feed))
        return write_batch(db.session(), batch)


def _slug_of(app, url: str) -> str:
    from catalogue.urls import canonical_url

    with app.app_context():
        return db.session().scalar(select(Resource.slug).where(
            Resource.canonical_url == canonical_url(url)))


@pytest.mark.services
def test_unlabelled_resources_reach_recommendations_and_coverage_through_the_worker(
        tmp_path, framework, shipped_resources):
    env = {"VAR_DIR": str(tmp_path)}  # embedded defaults: SQLite and the SQLAlchemy broker
    app = create_app({**from_environment(env), "AUTH_REQUIRED": False,
                      "RATE_LIMIT_ENABLED": False})
    client = app.test_client()
    with app.app_context():
        migrate.upgrade(db.engine())
        load_framework(db.session(), framework)
    resources = chosen(shipped_resources)
    feed = provider_feed(resources)
    # two records the policy refuses: a licence we do not know, and no licence nor free access
    feed["@graph"][1]["license"] = "Ask the author"
    feed["@graph"][2].pop("license", None)
    feed["@graph"][2]["isAccessibleForFree"] = None
    with app.app_context():
        from recommender.content.imports import read_batch, write_batch

        batch = read_batch(["provider.jsonld"], format="jsonld",
                           fetch=lambda _: json.dumps(feed))
        result = write_batch(db.session(), batch)
        assert (len(result.new), result.held, result.rejected) == (len(resources) - 2, 2, 0)
    with (tmp_path / "worker.log").open("wb") as log, running_worker(env, log_file=log), \
            app.app_context():
        task = notify_index_changes()
        assert task
        _wait_for_build(task)
    with app.app_context():
        rows = db.session().scalars(select(Resource)).all()
        assert all(row.archetypes for row in rows)  # inferred, never empty
        assert all(isinstance(row.labels["level"].get("confidence"), float) for row in rows)
        assert all(set(row.labels["archetypes"]["scores"]) == {
            "shaper", "driver", "creator", "embedder", "user"} for row in rows)
        held_urls = set(db.session().scalars(select(HeldRecord.canonical_url)))
        assert len(held_urls) == 2
    serving = {r.url for r in resources if GAP in r.capabilities}
    answer = client.post("/api/v1/recommendations", json={
        "archetype": "user", "gaps": [{"capability": GAP, "severity": 3}], "limit": 10})
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["baseline"] + answer.get_json()["specialist"]
    found = [item for item in items if item["url"] in serving]
    assert found, [item["title"] for item in items]
    assert all(item["because"][0]["match"] != "curated" for item in items)  # nobody mapped them
    assert all({"archetypes", "level"} <= set(item["inferred"]) for item in items)
    assert all("archetypes" in b["inferred"] for item in items for b in item["because"])
    assert any("inferred from its text" in b["reason"] for item in items for b in item["because"])
    shown = {item["url"] for item in items}
    assert not shown & {feed["@graph"][1]["url"], feed["@graph"][2]["url"]}  # held: never shown

    # coverage counts it where the indexer mapped it, weighted by how sure each inference is:
    # the suggested mapping's confidence x the inferred archetype's x the inferred level's
    resource = client.get(f"/api/v1/resources/{found[0]['id']}").get_json()
    mapping = resource["capabilities"][0]
    assert mapping["source"] == "suggested"
    archetype, level = resource["archetypes"][0], resource["level"]
    expected = mapping["confidence"] * resource["inferred"]["archetypes"]["scores"][archetype] \
        * resource["inferred"]["level"]["confidence"]
    cell = client.get(f"/api/v1/coverage/cells/{mapping['id']}/{archetype}/{level}").get_json()
    [counted] = [r for r in cell["resources_serving"] if r["id"] == resource["id"]]
    assert counted["weight"] == pytest.approx(expected, abs=1e-3)
    assert 0 < counted["weight"] < mapping["confidence"]
    coverage = client.get("/api/v1/coverage", query_string={"group": "statement"}).get_json()
    [row] = [c for c in coverage["cells"] if (c["id"], c["archetype"], c["level"]) == (
        mapping["id"], archetype, level)]
    assert row["resources"] >= 1 and 0 < row["weighted_supply"] < row["resources"]


def _wait_for_build(task_id: str, timeout: float = 300) -> None:
    """Until the worker has recorded the build as finished (its row, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session().expire_all()
        build = db.session().get(IndexBuild, task_id)
        if build is not None and build.status in ("built", "updated", "unchanged", "failed"):
            assert build.status != "failed", build.detail
            return
        time.sleep(0.2)
    raise AssertionError(f"the build {task_id} did not finish in {timeout} s")


def test_the_count_of_resources_is_unchanged_when_a_feed_cannot_be_read(cli_app, tmp_path):
    app, invoke = cli_app
    bad = tmp_path / "broken.jsonld"
    bad.write_text('{"@graph": [ {"name": "x"}, ]}')
    result = invoke("import", str(bad))
    assert result.exit_code == 1 and "nothing was imported" in result.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Resource)) == 0


EXTERNAL = Path(__file__).parent / "data" / "external" / "nfdi4bioimage"  # CC BY 4.0 sample


@pytest.mark.parametrize("name, profile, summary, admitted, held", [
    ("DALIA_training_materials.csv", "dalia",
     "224 new, 0 updated, 0 unchanged, 43 held, 0 rejected", 224, 43),
    # one record repeats an earlier one's URL: rejected as a duplicate, the first one kept
    ("nfdi4bioimage.yml", "nfdi4bioimage",
     "750 new, 0 updated, 0 unchanged, 209 held, 1 rejected", 750, 209),
])
def test_real_third_party_catalogues_import_through_their_profiles(
        cli_app, name, profile, summary, admitted, held):
    app, invoke = cli_app
    result = invoke("import", str(EXTERNAL / name), "--profile", profile, "--no-job")
    assert summary in result.output, result.output[-2000:]
    with app.app_context():
        session = db.session()
        rows = session.scalars(select(Resource)).all()
        held_rows = session.scalars(select(HeldRecord)).all()
    assert (len(rows), len(held_rows)) == (admitted, held)
    # admitted: a licence the source stated that the policy allows; held: why not, in words
    assert all(row.licence in DEFAULT_ALLOWED and "licence" not in row.labels for row in rows)
    assert {h.field for h in held_rows} == {"licence"}
    reasons = {h.reason.split(";")[0].split(" '")[0] for h in held_rows}
    assert reasons == {"licence not stated by the source, and it does not declare the resource "
                       "free to access", "unknown licence"}
    assert all(h.data.get("title") and h.data.get("url") and h.status == "held"
               for h in held_rows)
    again = invoke("import", str(EXTERNAL / name), "--profile", profile, "--no-job")
    assert f"0 new, 0 updated, {admitted} unchanged, {held} held" in again.output
    with app.app_context():  # held again: the same held rows, not new ones
        assert db.session().scalar(select(func.count()).select_from(HeldRecord)) == held
