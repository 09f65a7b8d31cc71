"""What every page answer carries and every page form must send back.

Headers: a Content-Security-Policy that allows scripts, styles and images from this origin
only (no inline script or style, no framing), nosniff, no referrer sent to other sites (a
learner's page address holds their id), and no caching of pages that hold learner or
catalogue data. Forms: every POST to a page carries the session's CSRF token.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from recommender.access.auth import PAGES

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid while the session lasts
    app.before_request(_check_csrf)
    app.after_request(_headers)


def is_page() -> bool:
    return request.blueprint in PAGES


def _check_csrf() -> None:
    if not is_page() or request.method in SAFE_METHODS:
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        current_app.logger.info("page form refused: %s", exc)
        raise CSRFError(str(exc)) from exc


def _headers(response: Response) -> Response:
    if is_page():
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.blueprint != "site" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
    return response
