"""Curators' decisions on suggested mappings stick and teach later suggestions; a record that
matches nothing in the framework gets no mapping and is never recommended for a gap. Real
database, model, FAISS and index builds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from sqlalchemy import select

from catalogue.importers import read_resources
from catalogue.importers.profiles import load_profile
from recommender.content import curation
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.indexing.suggestions import Examples, Suggester
from recommender.ranking.evaluation import load_distractors
from recommender.storage import db
from recommender.storage.models import Resource, ResourceCapability, SuggestionDecision

DALIA = Path(__file__).parent / "data" / "external" / "nfdi4bioimage" / \
    "DALIA_training_materials.csv"


def off_topic_records(framework):
    """DALIA's real records (CC BY 4.0) that the judged set lists as off-topic for every
    clinical learner (tests/data/judged/distractors.yaml), read through the DALIA profile."""
    off = load_distractors()
    read = read_resources([DALIA], framework, profile=load_profile("dalia"))
    return [r for r in read.resources if r.url in off]


def unlabelled(record, slug, url, title, description):
    return replace(record, id=slug, url=url, title=title, description=description,
                   capabilities=(), topics=(), mapping="suggested")


def suggested(session, slug) -> dict[str, float]:
    rid = session.scalar(select(Resource.id).where(Resource.slug == slug))
    return {m.capability_code: m.confidence for m in session.scalars(
        select(ResourceCapability).where(ResourceCapability.resource_id == rid,
                                         ResourceCapability.source == "suggested"))}


def test_a_rejected_suggestion_is_not_suggested_again_and_an_accepted_one_is_curated(
        tmp_path, framework, shipped_resources, encoder, make_app):
    base = shipped_resources[0]
    record = unlabelled(base, "feed-ai-safety", "https://example.org/ai-safety",
                        "Is this AI tool safe for my patients?",
                        "How clinicians can judge whether an AI decision-support tool is "
                        "safe: evidence of performance, bias across patient groups, and "
                        "reporting incidents when it goes wrong.")
    app = make_app(tmp_path, framework, [*shipped_resources, record])
    with app.app_context():
        session = db.session()
        build_index(session, index_store(), encoder)
        first = suggested(session, record.id)
        assert first and all(0 < c <= 1 for c in first.values())
        rejected, accepted = sorted(first, key=first.get)[0], max(first, key=first.get)
        row = session.scalar(select(Resource).where(Resource.slug == record.id))
        assert curation.decide_suggestion(session, row, rejected, "rejected")
        assert curation.decide_suggestion(session, row, accepted, "accepted")
        assert not curation.decide_suggestion(session, row, rejected, "rejected")  # gone
        build_index(session, index_store(), encoder, force=True)
        session.expire_all()
        row = session.scalar(select(Resource).where(Resource.slug == record.id))
        assert rejected not in suggested(session, record.id)
        assert accepted in curation.curated_codes(row)
        verdicts = dict(session.execute(select(SuggestionDecision.capability_code,
                                               SuggestionDecision.verdict)).all())
        assert verdicts == {rejected: "rejected", accepted: "accepted"}


def test_off_topic_records_get_no_mapping_and_are_never_recommended(
        tmp_path, framework, shipped_resources, encoder, make_app):
    records = off_topic_records(framework)
    assert len(records) > 100
    app = make_app(tmp_path, framework, [*shipped_resources, *records])
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        mapped = [r.id for r in records if suggested(db.session(), r.id)]
    # the in-scope threshold keeps about 95% of them out (benchmarks/suggest_capabilities.py)
    assert len(mapped) <= 0.1 * len(records), mapped
    client = app.test_client()
    requests = [("creator", [{"capability": "6.1.7", "severity": 3}]),
                ("user", [{"capability": "6.0.2", "severity": 2}]),
                ("creator", [{"text": "train a deep learning model to segment tumours on CT "
                                      "scans", "severity": 3}])]
    for archetype, gaps in requests:
        body = client.post("/api/v1/recommendations", json={
            "archetype": archetype, "gaps": gaps, "limit": 10}).get_json()
        shown = {i["id"] for i in body["baseline"] + body["specialist"]}
        assert shown and not shown & {r.id for r in records}, (gaps, shown)


def test_labelled_examples_pull_a_statement_towards_what_curators_mapped(
        framework, shipped_resources, encoder):
    statements = list(framework.capabilities)
    vectors = encoder.encode([s.embedding_text() for s in statements])
    code = "6.3.7"
    mapped = [r for r in shipped_resources if code in r.capabilities]
    assert len(mapped) >= 3
    examples = encoder.encode([r.embedding_text() for r in mapped[1:]])
    alone = Suggester(statements, vectors)
    taught = Suggester(statements, vectors, Examples(examples, [(code,)] * len(examples)))
    held_out = encoder.encode([mapped[0].embedding_text()])
    j = [s.id for s in statements].index(code)
    assert float(held_out[0] @ taught.prototypes[j]) > float(held_out[0] @ alone.prototypes[j])
    untouched = [i for i, s in enumerate(statements) if s.id != code]
    np.testing.assert_allclose(taught.prototypes[untouched], alone.prototypes[untouched],
                               atol=1e-6)


def test_the_api_takes_a_curators_verdict_and_refuses_bad_ones(
        tmp_path, framework, shipped_resources, encoder, make_app):
    record = unlabelled(shipped_resources[0], "feed-ai-evidence",
                        "https://example.org/ai-evidence", "Reading the evidence behind an AI tool",
                        "How to appraise studies of AI diagnostic tools: reporting guidelines, "
                        "external validation, bias and what a supplier's accuracy claims mean.")
    app = make_app(tmp_path, framework, [*shipped_resources, record])
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        first = suggested(db.session(), record.id)
    assert first
    client = app.test_client()
    code = next(iter(first))
    path = f"/api/v1/resources/{record.id}/suggestions/{code}"
    bad = client.post(path, json={"decision": "maybe"})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert [e["pointer"] for e in bad.get_json()["errors"]] == ["/decision"]
    answer = client.post(path, json={"decision": "reject"})
    assert answer.status_code == 200, answer.get_json()
    assert code not in {m["id"] for m in answer.get_json()["capabilities"]}
    again = client.post(path, json={"decision": "reject"})
    assert again.status_code == 404 and again.content_type == "application/problem+json"
    missing = client.post(f"/api/v1/resources/nope/suggestions/{code}",
                          json={"decision": "accept"})
    assert missing.status_code == 404
    with app.app_context():
        build_index(db.session(), index_store(), encoder, force=True)
        assert code not in suggested(db.session(), record.id)
