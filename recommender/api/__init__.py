"""The JSON API's blueprints, one module per resource, registered by ``init_app`` (as redash's
``handlers``). Blueprints only: each view validates with ``recommender.contract``, calls the
layers below (content, learners, ranking, coverage, indexing) and answers; no logic a page
also needs lives here. May import every layer below; never ``web``, ``cli`` or ``ops``."""

from __future__ import annotations

from flask import Flask

from recommender.api import (
    assessments,
    batch,
    coverage,
    crosswalks,
    curation,
    feedback,
    frameworks,
    held,
    imports,
    plans,
    recommendations,
    resources,
)
from recommender.contract.openapi import docs_page


def init_app(app: Flask) -> None:
    """Register every API blueprint, and the OpenAPI document and docs page."""
    for module in (frameworks, recommendations, batch, resources, curation, imports, held,
                   assessments, feedback, plans, coverage, crosswalks):
        app.register_blueprint(module.bp)
    app.register_blueprint(crosswalks.reviews_bp)
    app.register_blueprint(docs_page.bp)
