"""Curator pages, server side: sign-in, catalogue search with checked filters, editing a
mapping (and what the next index update does with it), suggestions, near-duplicates,
imports and the index."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from recommender.access.keys import revoke_key
from recommender.content.import_jobs import run_job
from recommender.indexing.build import apply_changes
from recommender.indexing.serving import index_store
from recommender.ranking.answer import recommend_body
from recommender.storage import db
from recommender.storage.models import IndexBuild, NearDuplicate, Resource, ResourceCapability
from tests.factories import GOOD
from tests.web.conftest import make_key, sign_in, submit, token


def test_sign_in_refuses_bad_keys_and_a_revoked_key_signs_out(browser, pages_app):
    assert browser.get("/curator/").headers["Location"] == "/signin?next=/curator/"
    empty = submit(browser, "/signin", {"api_key": ""})
    assert empty.status_code == 422 and "Enter your API key" in empty.get_data(as_text=True)
    wrong = submit(browser, "/signin", {"api_key": "rk_0000_nope"})
    assert "This API key is not valid" in wrong.get_data(as_text=True)
    key = sign_in(browser, pages_app, "catalogue:write")
    assert browser.get("/curator/").status_code == 200
    with pages_app.app_context():
        revoke_key(db.session(), key.split("_")[1])
    assert browser.get("/curator/").status_code == 302  # signed out at once


def test_sign_in_only_returns_to_this_site(browser, pages_app):
    key = make_key(pages_app, "admin")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = submit(browser, "/signin", {"api_key": key, "next": target})
        assert response.headers["Location"] == "/", target


def test_the_catalogue_is_searched_with_filters_checked(browser, pages_app):
    sign_in(browser, pages_app, "catalogue:write")
    page = browser.get("/curator/resources?q=data&level=baseline").get_data(as_text=True)
    found = int(re.search(r'id="results-heading">(\d+) resource', page).group(1))
    assert 0 < found < 80
    assert page.count('href="/curator/resources/') == min(found, 20)
    bad = browser.get("/curator/resources?level=expert&format=holiday")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="level-error"' in text and 'id="format-error"' in text


def test_a_curated_mapping_reaches_the_recommendations_after_the_index_update(
        browser, pages_app, encoder):
    sign_in(browser, pages_app, "catalogue:write")
    gap = {"capability": "6.0.1", "severity": 3}
    with pages_app.app_context():
        before = recommend_body({"archetype": "user", "gaps": [gap], "limit": 30})
    outside = before["baseline"][10]["id"]  # just outside a list of ten
    page = f"/curator/resources/{outside}"
    unknown = submit(browser, page, {"add": "6.0.1, 9.9.9"})
    assert unknown.status_code == 422
    assert "Unknown statement id: 9.9.9" in unknown.get_data(as_text=True)
    saved = submit(browser, page, {"add": "6.0.1"})
    assert saved.status_code == 303
    shown = browser.get(page).get_data(as_text=True)
    assert "The mapping was saved" in shown
    assert re.search(r'value="6\.0\.1" checked', shown)
    with pages_app.app_context():
        apply_changes(db.session(), index_store(), encoder)  # what the worker does
        after = recommend_body({"archetype": "user", "gaps": [gap], "limit": 10})
    item = next(i for i in after["baseline"] if i["id"] == outside)
    assert item["because"][0]["match"] == "curated"


def test_suggestions_are_accepted_or_rejected(browser, pages_app):
    sign_in(browser, pages_app, "catalogue:write")
    with pages_app.app_context():
        session = db.session()
        resource = session.scalars(select(Resource).order_by(Resource.slug)).first()
        session.query(ResourceCapability).filter_by(resource_id=resource.id).delete()
        session.add_all([ResourceCapability(resource_id=resource.id, capability_code=code,
                                            source="suggested", confidence=c)
                         for code, c in (("6.0.1", 0.41), ("6.0.3", 0.39))])
        session.commit()
        slug = resource.slug
    listing = browser.get("/curator/suggestions").get_data(as_text=True)
    assert f'id="resource-{slug}"' in listing
    base = f"/curator/resources/{slug}/suggestions"
    rejected = browser.post(f"{base}/6.0.3", data={"csrf_token": token(listing),
                                                   "decision": "reject", "back": "suggestions"})
    assert rejected.headers["Location"] == "/curator/suggestions"
    accepted = browser.post(f"{base}/6.0.1", data={"csrf_token": token(listing),
                                                   "decision": "accept"})
    assert accepted.status_code == 303
    with pages_app.app_context():
        mapped = {(m.capability_code, m.source) for m in db.session().scalars(
            select(ResourceCapability).join(Resource).where(Resource.slug == slug))}
    assert mapped == {("6.0.1", "curated")}
    again = browser.post(f"{base}/6.0.3", data={"csrf_token": token(listing),
                                                "decision": "accept"})
    assert again.status_code == 400  # no longer a suggestion


def test_near_duplicates_are_decided(browser, pages_app):
    sign_in(browser, pages_app, "catalogue:write")
    with pages_app.app_context():
        session = db.session()
        one, two = session.scalars(select(Resource.id).order_by(Resource.id).limit(2))
        flag = NearDuplicate(resource_id=one, other_id=two, similarity=0.95)
        session.add(flag)
        session.commit()
        flag_id = flag.id
    page = browser.get("/curator/duplicates").get_data(as_text=True)
    assert f'id="flag-{flag_id}"' in page
    decided = browser.post(f"/curator/duplicates/{flag_id}",
                           data={"csrf_token": token(page), "status": "dismissed"})
    assert decided.status_code == 303
    assert f'id="flag-{flag_id}"' not in browser.get("/curator/duplicates").get_data(
        as_text=True)
    assert browser.post("/curator/duplicates/999999", data={
        "csrf_token": token(page), "status": "confirmed"}).status_code == 404


def test_an_import_reports_each_rejected_record_and_queues_the_index_update(browser,
                                                                           pages_app):
    sign_in(browser, pages_app, "catalogue:write")
    no_url = {k: v for k, v in GOOD.items() if k != "url"}
    lines = "\n".join(json.dumps(r) for r in (
        {**GOOD, "id": "web-import-good", "url": "https://example.org/web-import"},
        {**no_url, "id": "web-import-bad"},  # rejected: nothing to link to
        {**GOOD, "id": "web-import-held", "url": "https://example.org/web-held",
         "licence": None}))  # held: no licence stated
    page = browser.get("/curator/imports").get_data(as_text=True)

    def post(name: str, **form):
        return browser.post("/curator/imports", content_type="multipart/form-data", data={
            "csrf_token": token(page), "file": (io.BytesIO(lines.encode()), name), **form})

    strict = post("new.jsonl", strict="yes")
    assert strict.status_code == 422
    assert "nothing was imported" in strict.get_data(as_text=True)
    unknown = post("new.txt")
    assert "cannot be told from the file name" in unknown.get_data(as_text=True)

    done = post("new.jsonl")
    assert done.status_code == 303
    status = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert re.search(r"New</dt><dd[^>]*>1<", status)
    assert re.search(r"Held for review</dt><dd[^>]*>1 \(<a href=\"/curator/held\">", status)
    assert re.search(r'id="rejected"><li>[^<]*record 2, field &#39;url&#39;', status)
    assert re.search(r'id="held"><li>[^<]*licence', status)
    assert 'data-progress-url="/curator/index/builds/' in status
    build_id = re.search(r"/curator/index/builds/([^\"]+)\.json", status).group(1)
    progress = browser.get(f"/curator/index/builds/{build_id}.json").get_json()
    assert progress["status"] == "queued" and "Update queued" in progress["summary"]
    assert browser.get("/curator/imports/nosuchimport").status_code == 404


def test_a_large_import_runs_on_the_worker_and_its_page_follows_it(browser, pages_app):
    """A file of more than IMPORT_JOB_THRESHOLD records is queued, never imported in the
    request; its page shows the counts (kept current by static/js/progress.js, or a refresh
    link without it), then the outcome."""
    sign_in(browser, pages_app, "catalogue:write")
    lines = "\n".join(json.dumps(r) for r in (
        {**GOOD, "id": "web-job-good", "url": "https://example.org/web-job"},
        {**GOOD, "id": "web-job-held", "url": "https://example.org/web-job-held",
         "licence": None}))
    page = browser.get("/curator/imports").get_data(as_text=True)
    pages_app.config["IMPORT_JOB_THRESHOLD"] = 1
    try:
        queued = browser.post("/curator/imports", content_type="multipart/form-data", data={
            "csrf_token": token(page), "file": (io.BytesIO(lines.encode()), "big.jsonl")})
    finally:
        pages_app.config["IMPORT_JOB_THRESHOLD"] = 500
    assert queued.status_code == 303
    job_id = queued.headers["Location"].rsplit("/", 1)[1]
    waiting = browser.get(queued.headers["Location"]).get_data(as_text=True)
    assert f'data-progress-url="/curator/imports/{job_id}.json" data-progress-reload' in waiting
    assert "Import queued" in waiting and "Refresh this page" in waiting
    state = browser.get(f"/curator/imports/{job_id}.json").get_json()
    assert (state["status"], state["total"]) == ("queued", 2)
    with pages_app.app_context():
        assert db.session().scalar(select(Resource).where(Resource.slug == "web-job-good")) \
            is None
        run_job(pages_app.extensions["db"], job_id)  # what the worker does
    state = browser.get(f"/curator/imports/{job_id}.json").get_json()
    assert state["status"] == "done" and "1 new, 0 updated, 0 unchanged, 1 held" in \
        state["summary"]
    finished = browser.get(queued.headers["Location"]).get_data(as_text=True)
    assert re.search(r"New</dt><dd[^>]*>1<", finished) and 'href="/curator/held"' in finished
    assert "data-progress-reload" not in finished


def test_the_index_page_shows_what_is_served_and_queues_a_rebuild(browser, pages_app):
    sign_in(browser, pages_app, "admin")
    page = browser.get("/curator/index").get_data(as_text=True)
    assert "resources, model all-MiniLM-L6-v2" in page
    queued = browser.post("/curator/index/rebuild", data={"csrf_token": token(page)})
    assert queued.status_code == 303
    build_id = queued.headers["Location"].rsplit("/", 1)[1]
    with pages_app.app_context():
        assert db.session().get(IndexBuild, build_id).kind == "full"
    assert "Full build queued" in browser.get(queued.headers["Location"]).get_data(
        as_text=True)
