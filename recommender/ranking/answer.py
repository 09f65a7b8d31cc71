"""The answer to one recommendation request: the body parsed and checked against the served
index's framework, a stored assessment's gaps read when it names one, then the ranked lists
(shared by the single and the batch endpoints and the learner pages)."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app

from recommender.content.framework import current_version
from recommender.content.frameworks import cached_roles, framework_of
from recommender.contract.openapi.schemas import MAX_GAPS
from recommender.contract.statement_errors import naming_renames
from recommender.contract.validation import Gap, RecommendationRequest, parse_recommendation
from recommender.indexing import views
from recommender.indexing.serving import encoder, framework_view, index_holder, statements
from recommender.learners.assessments import mapped
from recommender.problems import Problem, invalid
from recommender.ranking.recommend import recommend
from recommender.ranking.scoring import DEFAULT_WEIGHTS
from recommender.storage import db
from recommender.storage.models import Assessment


def recommend_body(body: dict) -> dict:
    """The answer to one recommendation request body; raises a Problem when it cannot be
    answered."""
    index = index_holder().get()
    framework = framework_of(body)
    known = statements(index, framework)
    try:
        req = parse_recommendation(body, set(known),
                                   current_app.config["RECOMMENDATION_MAX_LIMIT"],
                                   _role_ids(framework, index))
    except Problem as problem:  # an old statement id: named by its new one
        version = (views.version_of(index, framework) if index is not None else None) or \
            current_version(db.session(), framework)
        raise naming_renames(problem, db.session(), framework, version) from None
    if req.assessment_id is not None:
        req = _from_assessment(req)
        known = statements(framework=framework)  # assessments map to the current version
        if not req.gaps and not req.text_gaps:
            return {"assessment_id": req.assessment_id, "archetype": req.archetype,
                    "baseline": [], "specialist": [],
                    "detail": "this assessment shows no gaps"}
    if index is None:
        raise Problem(503, "Index not ready", "no search index has been built yet; try again "
                      "when the indexing worker has finished", kind="index-not-ready",
                      headers={"Retry-After": "10"})
    weights = {**DEFAULT_WEIGHTS, **current_app.config.get("RANKING_WEIGHTS", {})}
    model = encoder() if req.free_text or req.text_gaps else None
    if model is not None and index.manifest.get("model") != model.name:
        raise Problem(503, "Index model mismatch", f"the index was built with "
                      f"{index.manifest.get('model')}, not {model.name}; rebuild the index",
                      kind="index-model-mismatch")
    if views.version_of(index, framework) is None:
        raise Problem(503, "Index not ready", f"the index does not hold framework "
                      f"{framework}'s statements yet; try again when the indexing worker has "
                      "finished", kind="index-not-ready", headers={"Retry-After": "10"})
    served, catalogue = framework_view(index, framework)
    return recommend(req, served, catalogue, db.session(), known, weights, model)


def _from_assessment(req: RecommendationRequest) -> RecommendationRequest:
    """The request with the gaps of a stored assessment (mapped to the current framework),
    the most severe first, and the assessment's first archetype unless one was given."""
    session = db.session()
    assessment = session.get(Assessment, req.assessment_id)
    if assessment is None:
        raise invalid([{"pointer": "/assessment_id", "detail": "no such assessment"}])
    if assessment.framework != req.framework:
        raise invalid([{"pointer": "/assessment_id", "detail": f"this assessment is against "
                        f"framework {assessment.framework}, not {req.framework}"}])
    gaps = mapped(session, assessment, current_version(session, req.framework))["gaps"][
        :MAX_GAPS]
    return replace(req, archetype=req.archetype or assessment.archetypes[0],
                   gaps=tuple(Gap(g["capability"], g["severity"]) for g in gaps))


def _role_ids(framework: str, index) -> list[str]:
    """The framework's role ids: those of the version the served index holds (so no query
    for the current version: a new framework version always builds a new index), else of its
    current version."""
    version = views.version_of(index, framework) if index is not None else None
    return [r.id for r in cached_roles(framework, version)]
