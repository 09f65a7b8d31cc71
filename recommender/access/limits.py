"""Request limits: body size (413) and request rate per API key or client address (429).

Rates are counted by Flask-Limiter in Redis when ``REDIS_URL`` is set, so that every web
process and replica shares one count, and in the process's memory otherwise. Every limited
answer carries the IETF draft headers ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds until the window resets); a 429 adds ``Retry-After``.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from werkzeug.exceptions import RequestEntityTooLarge

from recommender.access.auth import ENDPOINTS, OPEN, client_identity
from recommender.problems import Problem

# endpoints that take a whole catalogue file: config key of their own body cap
LARGE_BODIES = {"imports.create_import": "IMPORT_MAX_BYTES",
                "curator.start_import": "IMPORT_MAX_BYTES"}


def init_app(app: Flask) -> None:
    # one byte over the cap: a chunked body (no Content-Length) is read up to it and then
    # refused by _chunked_body_cap; werkzeug alone would cut it at the cap without a word
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"] + 1
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.before_request(_body_cap)
    enabled = app.config.get("RATE_LIMIT_ENABLED")
    if enabled is None:  # tests opt in: their many quick requests all come from one address
        enabled = not app.testing
    app.config["RATE_LIMIT_ENABLED"] = enabled
    if not enabled:
        return
    try:  # a typo should stop the start, not fail every request
        parse_many(app.config["RATE_LIMIT"])
    except ValueError as exc:
        raise ValueError(f"RATE_LIMIT: {exc}") from exc
    limiter = Limiter(
        client_identity,
        # one budget per key or address across the whole API, not one per endpoint
        application_limits=[app.config["RATE_LIMIT"]],
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        # Redis away: count in memory rather than fail requests
        in_memory_fallback_enabled=True,
        key_prefix="recommender",
        headers_enabled=False,  # _headers writes the draft's names and values
    )
    limiter.request_filter(_exempt)
    limiter.init_app(app)
    app.extensions["rate_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.after_request(_headers)


def _exempt() -> bool:
    """Probes, metrics and CORS preflights are never limited."""
    return request.method == "OPTIONS" or (request.endpoint in ENDPOINTS
                                           and ENDPOINTS[request.endpoint] is OPEN)


def body_cap() -> int:
    """The largest body this request may send: MAX_REQUEST_BYTES, or a catalogue file's cap."""
    key = LARGE_BODIES.get(request.endpoint or "")
    return current_app.config[key] if key else current_app.config["MAX_REQUEST_BYTES"]


def _body_cap() -> None:
    """Refuse a body over its cap (``body_cap``): by its Content-Length, or, sent without one
    (chunked), by reading it here at most one byte past the cap (the view gets the data)."""
    cap = body_cap()
    if request.endpoint in LARGE_BODIES:
        request.max_content_length = cap + 1  # werkzeug's own check, for this request only
    if request.content_length is not None:
        too_large = request.content_length > cap
    else:
        too_large = bool(request.environ.get("wsgi.input_terminated")) and \
            len(request.get_data(cache=True)) > cap
    if too_large:
        raise RequestEntityTooLarge()


def _too_large(_exc: RequestEntityTooLarge) -> Response:
    return Problem(413, "Content Too Large", f"the request body is larger than "
                   f"{body_cap()} bytes", kind="too-large").to_response()


def _too_many(exc: RateLimitExceeded) -> Response:
    return Problem(429, "Too Many Requests",
                   f"more than {exc.limit.limit} for this API key or client address; retry "
                   "after the number of seconds in the Retry-After header",
                   kind="rate-limited").to_response()


def _headers(response: Response) -> Response:
    limiter: Limiter = current_app.extensions["rate_limiter"]
    try:
        evaluated = limiter.current_limits
        if not evaluated:
            return response
        # the tightest limit: fewest requests left, then the longest wait
        tightest = min(evaluated, key=lambda lim: (lim.remaining, -lim.window.reset_time))
        reset = max(0, math.ceil(tightest.window.reset_time - time.time()))
    except Exception:  # headers are advice: never fail an answer over them
        current_app.logger.warning("rate limit headers skipped", exc_info=True)
        return response
    response.headers["RateLimit-Limit"] = str(tightest.limit.amount)
    response.headers["RateLimit-Remaining"] = str(tightest.remaining)
    response.headers["RateLimit-Reset"] = str(reset)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, reset))
    return response
