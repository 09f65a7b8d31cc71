"""``/api/v1/openapi.json`` and the interactive docs page ``/api/docs``.

The page is Swagger UI, whose files come with the ``flask-swagger-ui`` package and are served
from here: nothing is loaded from another site, and no script is inline (the page's own
start-up code is ``/api/docs/docs.js``), so its Content-Security-Policy allows scripts from
this origin only.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, current_app, jsonify, send_file, url_for
from markupsafe import escape

from recommender.contract.openapi.document import document
from recommender.contract.openapi.operations import Reply, operation
from recommender.problems import Problem

bp = Blueprint("openapi", __name__)
SWAGGER_UI = Path(flask_swagger_ui.__file__).parent / "dist"
HERE = Path(__file__).parent
ASSETS = {  # name -> (file, media type)
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "favicon-32x32.png": (SWAGGER_UI / "favicon-32x32.png", "image/png"),
    "docs.js": (HERE / "docs.js", "text/javascript"),
}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>DART-Ed learning recommender API</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{icon}">
</head>
<body data-spec="{spec}">
  <noscript>The interactive documentation needs JavaScript; the OpenAPI document itself is
    at <a href="{spec}">{spec}</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script src="{start}"></script>
</body>
</html>
"""


@bp.get("/api/v1/openapi.json")
@operation("This OpenAPI 3.1 document", {200: Reply("The document", "OpenAPI")})
def openapi_document():
    """The API's contract: every operation, its schemas, examples, problems and scopes."""
    return jsonify(document(current_app))


@bp.get("/api/docs")
@operation("Interactive API documentation",
           {200: Reply("An HTML page (Swagger UI) for this document", "Text", ("text/html",))})
def docs():
    """Browse the document and try the operations from a browser; every file is served by
    this service."""
    links = {name: escape(url_for("openapi.asset", name=file)) for name, file in (
        ("css", "swagger-ui.css"), ("icon", "favicon-32x32.png"),
        ("bundle", "swagger-ui-bundle.js"), ("start", "docs.js"))}
    html = PAGE.format(spec=escape(url_for("openapi.openapi_document")), **links)
    return _secured(Response(html, mimetype="text/html"))


@bp.get("/api/docs/<name>")
@operation("A file of the docs page",
           {200: Reply("The file", "Text", ("text/css", "text/javascript", "image/png"))},
           path={"name": "The file's name"})
def asset(name: str):
    """Swagger UI's script, style sheet and icon, and the page's start-up script."""
    if name not in ASSETS:
        raise Problem(404, "Not Found", f"no docs file {name!r}", kind="not-found")
    path, media = ASSETS[name]
    response = send_file(path, mimetype=media, max_age=3600)
    return _secured(response)


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
