"""CORS for the browser origins listed in ``CORS_ORIGINS``; with none listed, no CORS headers.

Keys travel in headers (never cookies), so no credentials mode is offered.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

ALLOW_HEADERS = "Authorization, X-API-Key, Content-Type, If-None-Match, X-Request-ID"
EXPOSE_HEADERS = ("ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
                  "X-Request-ID, Content-Disposition")
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
MAX_AGE = 600  # seconds a browser may reuse a preflight's answer


def init_app(app: Flask) -> None:
    if app.config.get("CORS_ORIGINS"):
        app.after_request(_cors)


def _cors(response: Response) -> Response:
    allowed = current_app.config["CORS_ORIGINS"]
    response.vary.add("Origin")  # the answer depends on it: caches must keep them apart
    origin = request.headers.get("Origin")
    if not origin or not ("*" in allowed or origin.rstrip("/") in allowed):
        return response  # no CORS headers: the browser refuses the answer to that page
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        # Flask's automatic OPTIONS answer names the route's methods in Allow
        response.headers["Access-Control-Allow-Methods"] = (response.headers.get("Allow")
                                                            or ALL_METHODS)
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = str(MAX_AGE)
    else:
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response
