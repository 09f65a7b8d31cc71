"""Fixtures for the web pages: an app over part of the shipped catalogue with a real index
built by the real model, that checks sign-ins as production does; and form helpers."""

from __future__ import annotations

import re
import uuid

import pytest

from recommender.access.keys import create_key
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from tests.conftest import prepared_app

CATALOGUE = 80  # resources: the first shipped files cover all six domains
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def pages_config(**extra) -> dict:
    """Production's checks (sign-in for curators and commissioners), no rate limit, and
    tasks queued on an in-memory broker that no worker reads (they stay queued; the
    browser tests run a real worker)."""
    return {"AUTH_REQUIRED": True, "RATE_LIMIT_ENABLED": False,
            "CELERY": {"broker_url": "memory://", "result_backend": "cache+memory://",
                       "include": ["workers.tasks"], "task_ignore_result": True},
            **extra}


@pytest.fixture(scope="session")
def pages_app(tmp_path_factory, framework, shipped_resources, encoder):
    app = prepared_app(tmp_path_factory.mktemp("pages"), framework,
                       shipped_resources[:CATALOGUE], **pages_config())
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    yield app
    app.extensions["db"].kw["bind"].dispose()


@pytest.fixture
def browser(pages_app):
    """A test client that keeps its cookies, like a browser."""
    return pages_app.test_client()


def make_key(app, *scopes: str, name: str | None = None) -> str:
    with app.app_context():
        return create_key(db.session(), name or f"web-{uuid.uuid4().hex[:8]}",
                          list(scopes)).key


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def submit(client, page: str, data: dict, action: str | None = None, **kwargs):
    """GET ``page``, then POST ``data`` with that page's CSRF token to ``action`` (default:
    the page itself), as a browser submits a form."""
    html = client.get(page).get_data(as_text=True)
    return client.post(action or page, data={"csrf_token": token(html), **data}, **kwargs)


def sign_in(client, app, *scopes: str) -> str:
    key = make_key(app, *scopes)
    response = submit(client, "/signin", {"api_key": key, "next": "/"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return key


def start(browser, *archetypes: str, learner_id: str = "") -> str:
    """Choose archetypes; return the first domain page's path."""
    response = submit(browser, "/assessment", {"archetypes": list(archetypes),
                                               "learner_id": learner_id})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]
