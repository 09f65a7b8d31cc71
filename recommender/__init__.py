"""The recommender service: Flask app factory."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app from environment variables, overridden by ``config`` (used by tests)."""
    from recommender import (
        api,
        assessments_api,
        auth,
        batch_api,
        cors,
        coverage_api,
        curation_api,
        db,
        etags,
        feedback_api,
        health,
        held_api,
        imports_api,
        limits,
        logs,
        metrics,
        problems,
        queue,
        requests,
        resources_api,
        services,
        web,
    )
    from recommender.config import from_environment
    from recommender.openapi import docs_page

    app = Flask(__name__)
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False
    logs.init_app(app)
    metrics.init_app(app)
    db.init_app(app)
    problems.init_app(app)
    services.init_app(app)
    queue.celery_init_app(app)
    limits.init_app(app)  # before auth: a request with a bad key still counts
    auth.init_app(app)
    requests.init_app(app)  # after the key and rate checks
    cors.init_app(app)
    etags.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(batch_api.bp)
    app.register_blueprint(resources_api.bp)
    app.register_blueprint(curation_api.bp)
    app.register_blueprint(imports_api.bp)
    app.register_blueprint(held_api.bp)
    app.register_blueprint(assessments_api.bp)
    app.register_blueprint(feedback_api.bp)
    app.register_blueprint(coverage_api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs_page.bp)
    web.init_app(app)  # the pages' blueprints (recommender/web)
    return app
