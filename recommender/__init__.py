"""The recommender service: Flask app factory.

The package is split by concern (docs/architecture.md has the map; the import-linter contracts
in pyproject.toml keep its layers one way): ``storage`` (database, models, migrations, task
queue) at the bottom; ``content`` (framework and catalogue as stored), ``access`` (keys,
scopes, limits, CORS) and ``contract`` (request validation, the OpenAPI document) above it;
then ``indexing`` and ``learners``; then ``ranking``, ``coverage`` and ``plans``; and on top
``api``, ``web``, ``cli`` and ``ops``, which call the layers below and never each other.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app from environment variables, overridden by ``config`` (used by tests)."""
    # local: importing any recommender module runs this package first, and the worker and the
    # CLI import storage or indexing alone; only building an app needs every layer
    from recommender import api, logs, problems, web
    from recommender.access import auth, cors, limits
    from recommender.config import from_environment
    from recommender.contract import encoding, etags, validation
    from recommender.indexing import serving
    from recommender.ops import health, metrics
    from recommender.storage import db, queue

    app = Flask(__name__)
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    encoding.init_app(app)  # JSON answers encoded by orjson, keys in the order built
    logs.init_app(app)
    metrics.init_app(app)
    db.init_app(app)
    problems.init_app(app)
    serving.init_app(app)
    queue.celery_init_app(app)
    limits.init_app(app)  # before auth: a request with a bad key still counts
    auth.init_app(app)
    validation.init_app(app)  # after the key and rate checks
    cors.init_app(app)
    etags.init_app(app)
    api.init_app(app)  # the JSON API's blueprints (recommender/api)
    app.register_blueprint(health.bp)
    web.init_app(app)  # the pages' blueprints (recommender/web)
    return app
