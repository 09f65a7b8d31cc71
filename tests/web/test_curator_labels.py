"""A curator confirms or corrects the labels the service inferred for a resource from an
external feed: what they save is curated, shown as such, and no later import changes it."""

from __future__ import annotations

import json

from sqlalchemy import select

from recommender.content.imports import read_batch, write_batch
from recommender.storage import db
from recommender.storage.models import Resource
from tests.web.conftest import sign_in, submit

FEED = {"@context": "https://schema.org", "@graph": [{
    "@type": "LearningResource", "name": "Spotting automation bias when a tool advises you",
    "description": "A short open module on why people over-trust decision support and how to "
                   "keep checking an AI tool's advice against the patient in front of you.",
    "url": "https://example.org/labels/automation-bias", "license": "CC-BY-4.0",
    "isAccessibleForFree": True}]}


def import_feed(app, feed: dict) -> Resource:
    with app.app_context():
        batch = read_batch(["feed.jsonld"], format="jsonld", fetch=lambda _: json.dumps(feed))
        write_batch(db.session(), batch)
        return db.session().scalar(select(Resource.slug).where(
            Resource.url == feed["@graph"][0]["url"]))


def test_inferred_labels_are_marked_and_a_curators_choice_outlives_a_reimport(
        browser, pages_app):
    sign_in(browser, pages_app, "catalogue:write")
    slug = import_feed(pages_app, FEED)
    page = f"/curator/resources/{slug}"
    shown = browser.get(page).get_data(as_text=True)
    assert 'id="label-level"' in shown and "Inferred</strong> not stated by the source" in shown
    assert 'id="label-licence"' in shown and "As the source states it" in shown

    wrong = submit(browser, page, {"level": "expert", "format": "course"},
                   action=f"{page}/labels")
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert 'id="level-error"' in text and 'id="archetypes-error"' in text

    saved = submit(browser, page, {"level": "specialist", "format": "course",
                                   "archetypes": ["user", "embedder"]}, action=f"{page}/labels")
    assert saved.status_code == 303
    after = browser.get(page).get_data(as_text=True)
    assert "The labels were saved as curated" in after
    assert after.count("Curated</strong> imports never change it") == 3

    changed = json.loads(json.dumps(FEED))
    changed["@graph"][0]["educationalLevel"] = "beginner"
    changed["@graph"][0]["learningResourceType"] = "video"
    changed["@graph"][0]["description"] += " Now with a worked example."
    import_feed(pages_app, changed)
    with pages_app.app_context():
        row = db.session().scalar(select(Resource).where(Resource.slug == slug))
        assert (row.level, row.format, row.archetypes) == ("specialist", "course",
                                                           ["embedder", "user"])
        assert row.description.endswith("Now with a worked example.")  # not curated
        assert {row.labels[f]["source"] for f in ("level", "format", "archetypes")} == {
            "curated"}
