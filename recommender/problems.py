"""RFC 9457 problem details: one error format for every endpoint."""

from __future__ import annotations

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "https://dart-ed-recommender.example/problems/"
CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An error to return as application/problem+json.

    ``errors`` lists ``{"pointer": "/gaps/0/capability", "detail": "..."}`` entries (JSON
    pointers into the request body) so that callers can show each message beside its field.
    """

    def __init__(self, status: int, title: str, detail: str, *, kind: str = "invalid-request",
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.errors = errors or []
        self.headers = headers or {}

    def body(self) -> dict:
        body = {"type": PROBLEM_TYPE + self.kind, "title": self.title, "status": self.status,
                "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return body

    def to_response(self) -> Response:
        response = Response(json.dumps(self.body()), status=self.status, mimetype=CONTENT_TYPE)
        response.headers.update(self.headers)
        return response


def invalid(errors: list[dict]) -> Problem:
    """A 422 naming every field at fault."""
    fields = ", ".join(e["pointer"] or "/" for e in errors)
    return Problem(422, "Invalid request", f"{len(errors)} field(s) are invalid: {fields}",
                   kind="validation", errors=errors)


def init_app(app: Flask) -> None:
    app.register_error_handler(Problem, lambda problem: problem.to_response())
    app.register_error_handler(HTTPException, _http_problem)
    app.register_error_handler(Exception, _unexpected)


def _http_problem(exc: HTTPException) -> Response:
    kind = (exc.name or "error").lower().replace(" ", "-")
    problem = Problem(exc.code or 500, exc.name, exc.description or exc.name, kind=kind)
    response = problem.to_response()
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unexpected(exc: Exception) -> Response:
    from flask import current_app

    current_app.logger.exception("unhandled error")
    return Problem(500, "Internal Server Error", "The server failed to handle this request; "
                   "the error has been logged.", kind="internal").to_response()
