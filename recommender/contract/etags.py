"""Conditional GETs for the catalogue: an ETag on every answer, 304 when it is unchanged.

The ETag is a hash of the answer itself, so it changes exactly when the answer does (a new
resource, a changed mapping, another page or filter) and a client that sends it back in
``If-None-Match`` gets an empty 304 instead of the same list again.
"""

from __future__ import annotations

from flask import Flask, Response, request

ENDPOINTS = frozenset({"resources.list_resources", "resources.get_resource",
                       "resources.export"})


def init_app(app: Flask) -> None:
    app.after_request(_conditional)


def _conditional(response: Response) -> Response:
    if (request.endpoint in ENDPOINTS and request.method in ("GET", "HEAD")
            and response.status_code == 200):
        response.add_etag()
        response.make_conditional(request)
    return response
