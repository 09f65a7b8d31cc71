"""JSON API, version 1."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, request

from recommender import db
from recommender.assessments_store import mapped
from recommender.framework_store import current_version
from recommender.models import Assessment, FrameworkVersion, IndexBuild
from recommender.openapi.operations import Reply, operation
from recommender.openapi.schemas import MAX_GAPS
from recommender.problems import Problem, invalid
from recommender.ranking import DEFAULT_WEIGHTS
from recommender.recommend import recommend
from recommender.requests import (
    Gap,
    RecommendationRequest,
    json_body,
    parse_recommendation,
)
from recommender.services import encoder, index_holder, snapshot, statements

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.post("/recommendations")
@operation("Recommend learning for a learner's gaps",
           {200: Reply("Baseline and specialist lists, each item saying which gap it serves "
                       "and why", "Recommendations")},
           body="RecommendationRequest")
def recommendations():
    """Rank baseline and specialist resources for a learner's gaps and archetype."""
    return jsonify(recommend_body(json_body(request)))


def recommend_body(body: dict) -> dict:
    """The answer to one recommendation request body; raises a Problem when it cannot be
    answered (shared by the single and the batch endpoints)."""
    index = index_holder().get()
    known = statements(index)
    req = parse_recommendation(body, set(known), current_app.config["RECOMMENDATION_MAX_LIMIT"])
    if req.assessment_id is not None:
        req = _from_assessment(req)
        known = statements()  # an assessment's gaps are mapped to the current framework
        if not req.gaps:
            return {"assessment_id": req.assessment_id, "archetype": req.archetype,
                    "baseline": [], "specialist": [],
                    "detail": "this assessment shows no gaps"}
    if index is None:
        raise Problem(503, "Index not ready", "no search index has been built yet; try again "
                      "when the indexing worker has finished", kind="index-not-ready",
                      headers={"Retry-After": "10"})
    weights = {**DEFAULT_WEIGHTS, **current_app.config.get("RANKING_WEIGHTS", {})}
    model = encoder() if req.free_text else None
    if model is not None and index.manifest.get("model") != model.name:
        raise Problem(503, "Index model mismatch", f"the index was built with "
                      f"{index.manifest.get('model')}, not {model.name}; rebuild the index",
                      kind="index-model-mismatch")
    return recommend(req, index, snapshot(index), db.session(), known, weights, model)


def _from_assessment(req: RecommendationRequest) -> RecommendationRequest:
    """The request with the gaps of a stored assessment (mapped to the current framework),
    the most severe first, and the assessment's first archetype unless one was given."""
    session = db.session()
    assessment = session.get(Assessment, req.assessment_id)
    if assessment is None:
        raise invalid([{"pointer": "/assessment_id", "detail": "no such assessment"}])
    gaps = mapped(session, assessment, current_version(session))["gaps"][:MAX_GAPS]
    return replace(req, archetype=req.archetype or assessment.archetypes[0],
                   gaps=tuple(Gap(g["capability"], g["severity"]) for g in gaps))


@bp.get("/framework")
@operation("The capability framework's statements",
           {200: Reply("The current framework version and its statements", "Framework",
                       headers=("ETag",)),
            304: Reply("Unchanged since the ETag sent in If-None-Match")})
def framework():
    """The current framework's capability statements (conditional GET with an ETag)."""
    known = statements()
    session = db.session()
    version = current_version(session)
    checksum = session.get(FrameworkVersion, version).checksum if version else "none"
    if request.if_none_match.contains(checksum):
        return Response(status=304, headers={"ETag": f'"{checksum}"'})
    response = jsonify({
        "version": version,
        "capabilities": [
            {"id": c.id, "text": c.text, "level": c.level, "archetypes": c.archetypes,
             "domain": c.domain_name, "group": c.group_name, "provenance": c.provenance}
            for c in known.values()
        ],
    })
    response.set_etag(checksum)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/index/builds/<build_id>")
@operation("An index build's progress", {200: Reply("The build", "IndexBuild")},
           path={"build_id": "The build's id (its Celery task id)"})
def index_build(build_id: str):
    """One index build or update: its kind, status and progress (done of total)."""
    build = db.session().get(IndexBuild, build_id)
    if build is None:
        raise Problem(404, "Not Found", f"no index build {build_id!r}", kind="not-found")
    return jsonify({
        "id": build.id, "kind": build.kind, "status": build.status, "done": build.done,
        "total": build.total, "version": build.version, "count": build.count,
        "detail": build.detail,
        "requested_at": build.requested_at.isoformat() if build.requested_at else None,
        "finished_at": build.finished_at.isoformat() if build.finished_at else None,
    })


@bp.get("/index")
@operation("The index version served", {200: Reply("Served and published versions",
                                                   "IndexStatus")})
def index_status():
    """The index version this process serves, and the newest published one."""
    holder = index_holder()
    loaded = holder.get()
    return jsonify({
        "serving": loaded.manifest if loaded else None,
        "published": holder.store.current_name(),
        "last_error": holder.last_error,
    })
