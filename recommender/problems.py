"""RFC 9457 problem details: one error format for every endpoint."""

from __future__ import annotations

from flask import Flask, Response, current_app, json
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "https://dart-ed-recommender.example/problems/"
CONTENT_TYPE = "application/problem+json"


class BrokerUnavailable(RuntimeError):
    """A task could not be queued: the broker (or the result backend) did not answer."""


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
    app.register_error_handler(sa_exc.SQLAlchemyError, _database_problem)
    app.register_error_handler(BrokerUnavailable, _broker_problem)
    app.register_error_handler(Exception, _unexpected)


def _http_problem(exc: HTTPException) -> Response:
    kind = (exc.name or "error").lower().replace(" ", "-")
    problem = Problem(exc.code or 500, exc.name, exc.description or exc.name, kind=kind)
    response = problem.to_response()
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


# the database is down, restarting, unreachable or busy: worth retrying, not a server bug
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                sa_exc.TimeoutError)


def _database_problem(exc: sa_exc.SQLAlchemyError) -> Response:
    unavailable = isinstance(exc, _UNAVAILABLE) or (
        isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)
    if not unavailable:
        return _unexpected(exc)
    # the driver's first line says why (refused, terminated, locked); never the SQL or values
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
    current_app.logger.warning("database unavailable: %s", reason[:300])
    return Problem(503, "Database unavailable", "the database did not answer; retry after the "
                   "seconds in Retry-After",
                   kind="database-unavailable", headers={"Retry-After": "5"}).to_response()


def _broker_problem(exc: Exception) -> Response:
    current_app.logger.warning("broker unavailable: %s", str(exc)[:300])
    return Problem(503, "Broker unavailable", "this request needs the task queue, which did "
                   "not answer; retry after the seconds in Retry-After",
                   kind="broker-unavailable", headers={"Retry-After": "10"}).to_response()


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error")
    return Problem(500, "Internal Server Error", "The server failed to handle this request; "
                   "the error has been logged.", kind="internal").to_response()
