"""Batch recommendations: many learners' requests in one call, each answered on its own."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from recommender.contract.openapi.operations import Reply, operation
from recommender.contract.openapi.schemas import batch_request
from recommender.contract.validation import check, json_body
from recommender.problems import Problem, invalid
from recommender.ranking.answer import recommend_body

bp = Blueprint("batch", __name__, url_prefix="/api/v1")


@bp.post("/recommendations:batch")
@operation("Recommend for many learners in one call",
           {200: Reply("One result per request, in order: `{status: 200, body}` or "
                       "`{status, problem}`", "BatchResults")},
           body="BatchRequest")
def recommendations():
    """Answer up to BATCH_MAX recommendation requests in order: each result carries the
    status and body (or problem) the single endpoint would have given that request alone."""
    body = json_body(request)
    check(body, batch_request(current_app.config["BATCH_MAX"]))
    items = body["requests"]
    served = current_app.extensions["metrics"].recommendations
    results = []
    for item in items:
        try:
            if not isinstance(item, dict):
                raise invalid([{"pointer": "", "detail": "the request must be a JSON object"}])
            results.append({"status": 200, "body": recommend_body(item)})
            served.inc()
        except Problem as problem:  # pointers are relative to the item, as if sent alone
            results.append({"status": problem.status, "problem": problem.body()})
    return jsonify({"results": results})
