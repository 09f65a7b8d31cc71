"""Error pages: a page that fails answers with an HTML page in the service's style (the JSON
API keeps its problem+json), with the same status code."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from werkzeug.exceptions import HTTPException

from recommender.problems import Problem

TITLES = {400: "There is a problem with your request", 403: "You cannot see this page",
          404: "Page not found", 405: "This page cannot do that",
          413: "The file is too large", 422: "There is a problem with your request",
          429: "Too many requests", 503: "This service is not ready yet"}


def error_pages(bp: Blueprint) -> None:
    """Answer this blueprint's errors with HTML pages."""
    bp.register_error_handler(Problem, _problem)
    bp.register_error_handler(HTTPException, _http)
    bp.register_error_handler(413, _http)  # before the app's problem+json for this code
    bp.register_error_handler(Exception, _unexpected)


def error_page(status: int, detail: str, headers: dict | None = None):
    title = TITLES.get(status, "Sorry, there is a problem with the service")
    return render_template("error.html", title=title, detail=detail, status=status), status, \
        headers or {}


def _problem(problem: Problem):
    return error_page(problem.status, problem.detail, problem.headers)


def _http(exc: HTTPException):
    response = error_page(exc.code or 500, exc.description or exc.name)
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response[2]["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unexpected(exc: Exception):
    current_app.logger.exception("unhandled error on a page")
    return error_page(500, "The page could not be shown; the error has been logged. Try again "
                           "later.")
