"""GET /metrics: requests, recommendations, the served index, queues and index builds."""

from datetime import timedelta

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from recommender.config import celery_settings
from recommender.storage import db
from recommender.storage.models import IndexBuild, utcnow
from recommender.storage.queue import enqueue_build

TEST_REDIS = "redis://127.0.0.1:6379/10"  # a database number only this test uses
RECOMMEND = "/api/v1/recommendations"
ASK = {"archetype": "user", "gaps": [{"capability": "6.0.1", "severity": 3}], "limit": 3}


def scrape(client) -> dict[tuple, float]:
    """Every sample of /metrics by (name, sorted labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_recommendations_and_the_index_are_measured(served_app):
    client = served_app.test_client()
    before = scrape(client)
    assert client.post(RECOMMEND, json=ASK).status_code == 200
    assert client.post(RECOMMEND, json={**ASK, "limit": 1}).status_code == 200
    assert client.post(RECOMMEND, json={"archetype": "nurse"}).status_code == 422
    assert client.get("/api/v1/resources/no-such-resource").status_code == 404
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"endpoint": RECOMMEND, "method": "POST", "status": "200"}
    assert delta("recommender_http_requests_total", **ok) == 2
    assert delta("recommender_http_requests_total", **{**ok, "status": "422"}) == 1
    assert delta("recommender_http_requests_total", endpoint="/api/v1/resources/<slug>",
                 method="GET", status="404") == 1
    assert delta("recommender_http_request_duration_seconds_count", **ok) == 2
    assert delta("recommender_http_request_duration_seconds_bucket", **ok, le="+Inf") == 2
    assert delta("recommender_http_request_duration_seconds_sum", **ok) > 0
    assert delta("recommender_recommendations_total") == 2  # the 422 is not a recommendation

    store = served_app.extensions["index"].store
    version = store.current_name()
    assert value(after, "recommender_index_info", version=version,
                 model="all-MiniLM-L6-v2") == 1
    assert value(after, "recommender_index_resources") == store.manifest()["count"] > 0
    assert 0 <= value(after, "recommender_index_age_seconds") < 24 * 3600
    assert not [key for key in after if key[0] == "recommender_queue_length"]  # no Redis


def test_index_builds_are_read_from_the_database(empty_app):
    now = utcnow()
    with empty_app.app_context():
        session = db.session()
        session.add_all([
            IndexBuild(id="b1", kind="full", status="built", requested_at=now - timedelta(
                minutes=10), finished_at=now - timedelta(minutes=10, seconds=-42)),
            IndexBuild(id="b2", kind="incremental", status="updated",
                       requested_at=now - timedelta(minutes=5),
                       finished_at=now - timedelta(minutes=5, seconds=-2)),
            IndexBuild(id="b3", kind="incremental", status="failed",
                       requested_at=now - timedelta(minutes=1),
                       finished_at=now - timedelta(minutes=1, seconds=-3)),
            IndexBuild(id="b4", kind="incremental", status="queued", requested_at=now)])
        session.commit()
    samples = scrape(empty_app.test_client())
    builds = {labels: count for (name, labels), count in samples.items()
              if name == "recommender_index_builds"}
    assert builds == {(("kind", "full"), ("status", "built")): 1,
                      (("kind", "incremental"), ("status", "updated")): 1,
                      (("kind", "incremental"), ("status", "failed")): 1,
                      (("kind", "incremental"), ("status", "queued")): 1}
    # the last finished build of each kind, whatever its outcome
    assert value(samples, "recommender_index_last_build_duration_seconds",
                 kind="full", status="built") == pytest.approx(42)
    assert value(samples, "recommender_index_last_build_duration_seconds",
                 kind="incremental", status="failed") == pytest.approx(3)
    assert value(samples, "recommender_index_last_build_finished_timestamp_seconds",
                 kind="incremental", status="failed") == pytest.approx(
        (now - timedelta(seconds=57)).timestamp(), abs=1)
    assert not [key for key in samples if key[0] == "recommender_index_info"]  # no index yet


@pytest.mark.services
def test_queue_lengths_come_from_the_broker(tmp_path, framework, make_app):
    broker = redis.Redis.from_url(TEST_REDIS)
    broker.flushdb()
    app = make_app(tmp_path, framework, [], REDIS_URL=TEST_REDIS,
                   CELERY=celery_settings(TEST_REDIS, tmp_path))
    try:
        with app.app_context():
            enqueue_build()
            enqueue_build(force=True)  # no worker runs: both wait in the indexing queue
        samples = scrape(app.test_client())
        assert value(samples, "recommender_queue_length", queue="indexing") == 2
        assert value(samples, "recommender_queue_length", queue="celery") == 0
        assert value(samples, "recommender_index_builds", kind="full", status="queued") == 2
    finally:
        broker.flushdb()
