"""Who may call what: every endpoint's scope in one table, checked before every request.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Writes, learner
data and administration always need a key with the right scope; the reads named in
``OPEN_READ`` are open to callers without a key. An app built with ``TESTING`` checks nothing
unless its config sets ``AUTH_REQUIRED``.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from recommender.access import keys as api_keys
from recommender.problems import Problem
from recommender.storage.models import ApiKey

OPEN = None  # probes and metrics: never need a key
FRAMEWORK = "framework"  # reference data: open by default; closed, any valid key reads it
READ_METHODS = frozenset({"GET", "HEAD"})
# endpoint -> scope; an endpoint listed here is decided here whatever its blueprint
ENDPOINTS: dict[str, str | None] = {
    "health.healthz": OPEN,
    "health.readyz": OPEN,
    "metrics": OPEN,
    "static": OPEN,
    "api.recommendations": "recommend",
    "batch.recommendations": "recommend",
    "frameworks.framework": FRAMEWORK,
    "frameworks.frameworks": FRAMEWORK,
    "frameworks.one_framework": FRAMEWORK,
    "assessments.questionnaire": FRAMEWORK,
    "api.index_build": "admin",
    "api.index_status": "admin",
    "openapi.openapi_document": OPEN,  # the API's contract and its docs page
    "openapi.docs": OPEN,
    "openapi.asset": OPEN,
    "site.static": OPEN,  # the pages' stylesheets, scripts and images
    "site.assets": OPEN,
}
# blueprint -> (scope to read with GET or HEAD, scope for every other method)
BLUEPRINTS: dict[str, tuple[str, str]] = {
    "resources": ("catalogue:read", "catalogue:write"),
    "curation": ("catalogue:write", "catalogue:write"),  # a curator's work list
    "imports": ("catalogue:write", "catalogue:write"),  # import jobs name sources and reasons
    "held": ("catalogue:write", "catalogue:write"),  # held records: a curator's too
    "assessments": ("assessments", "assessments"),
    "feedback": ("assessments", "assessments"),
    "plans": ("assessments", "assessments"),  # a learner's plan is their data
    "coverage": ("coverage:read", "admin"),
    "crosswalks": ("catalogue:read", "catalogue:write"),  # links curators decide
    "reviews": ("catalogue:write", "catalogue:write"),  # mapping reviews: a curator's work list
}
# web pages (recommender/web): blueprint -> scope. A browser sends no API key: a page with a
# scope needs a signed-in session whose key holds it (recommender.web.access checks it), or
# the scope to be in OPEN_READ (for GET pages). Learner pages are open: a learner's id in the
# URL is their capability.
PAGES: dict[str, str | None] = {
    "site": OPEN,
    "signin": OPEN,
    "learner": OPEN,
    "commissioner": "coverage:read",
    "curator": "catalogue:write",
}
FALLBACK = "admin"  # an endpoint missing from both tables is closed, not open
REALM = 'Bearer realm="recommender"'


def init_app(app: Flask) -> None:
    app.config.setdefault("AUTH_REQUIRED", not app.testing)
    app.before_request(_check)


def required_scope(endpoint: str, blueprint: str | None, method: str) -> str | None:
    """The scope a request to ``endpoint`` needs, or None when it is always open."""
    if endpoint in ENDPOINTS:
        return ENDPOINTS[endpoint]
    if blueprint in BLUEPRINTS:
        read, other = BLUEPRINTS[blueprint]
        return read if method in READ_METHODS else other
    return FALLBACK


def allows(key: ApiKey, scope: str) -> bool:
    return scope == FRAMEWORK or scope in key.scopes or "admin" in key.scopes


def authenticate() -> ApiKey | None:
    """The valid key this request carries, or None when it carries none.

    Raises a 401 problem when it carries a key that is not valid (unknown, wrong or revoked:
    one answer for all three, so that a caller learns nothing about which ids exist).
    """
    if "api_key" not in g:
        presented = _presented()
        row = None
        if presented is not None:
            # a session of its own: the view's session starts clean
            session = current_app.extensions["db"]()
            try:
                row = api_keys.verify(session, presented)
                if row is not None:
                    session.expunge(row)  # kept for the request, whatever touch does
                    api_keys.touch(session, row)
            finally:
                session.close()
        g.api_key = row if presented is None or row is not None else False
    if g.api_key is False:
        raise Problem(401, "Unauthorized", "the API key is not valid", kind="invalid-key",
                      headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    return g.api_key


def client_identity() -> str:
    """Whom a request counts against for rate limits: its valid key, else its address."""
    try:
        key = authenticate()
    except (Problem, SQLAlchemyError):
        key = None
    return f"key:{key.id}" if key is not None else f"address:{request.remote_addr}"


def _check() -> None:
    req = request._get_current_object()  # one context lookup, not one per attribute
    # unmatched URLs answer 404/405 themselves; CORS preflights never carry credentials
    if req.endpoint is None or req.method == "OPTIONS":
        return
    if req.blueprint in PAGES and req.endpoint not in ENDPOINTS:
        return  # a page: recommender.web.access checks the signed-in session
    scope = required_scope(req.endpoint, req.blueprint, req.method)
    if scope is None or not current_app.config["AUTH_REQUIRED"]:
        return
    key = authenticate()
    if key is None:
        if scope in current_app.config["OPEN_READ"]:
            return
        raise Problem(401, "Unauthorized", "this endpoint needs an API key: send it as "
                      "'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                      kind="unauthorized", headers={"WWW-Authenticate": REALM})
    if not allows(key, scope):
        raise Problem(403, "Forbidden", f"this API key does not have the {scope!r} scope",
                      kind="insufficient-scope", headers={
                          "WWW-Authenticate": f'{REALM}, error="insufficient_scope", '
                                              f'scope="{scope}"'})


def _presented() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    # another scheme (Basic to a proxy, say) is not ours to judge
    return request.headers.get("X-API-Key")
