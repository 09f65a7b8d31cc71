"""Web pages for learners, commissioners and curators.

Server-rendered Jinja templates with the NHS.UK design system (its CSS and JavaScript served
by us, its components from ``nhsuk-frontend-jinja``); every page works without JavaScript.
One blueprint per audience (``learner``, ``commissioner``, ``curator``), plus ``site`` (home
and assets) and ``signin``. Who may see which is declared in
``recommender.access.auth.PAGES``. The pages call the same service functions as the JSON API
(in the layers below), never the API's blueprints nor the API over HTTP: on top, beside
``api``, ``cli`` and ``ops``, may import every layer below and none of those.
"""

from __future__ import annotations

from flask import Flask

from recommender.web import (
    access,
    commissioner,
    curator,
    learner,
    security,
    session_key,
    site,
    templating,
)


def init_app(app: Flask) -> None:
    templating.init_app(app)
    session_key.init_app(app)
    access.init_app(app)
    security.init_app(app)
    for blueprint in (site.bp, access.bp, learner.bp, commissioner.bp, curator.bp):
        app.register_blueprint(blueprint)
