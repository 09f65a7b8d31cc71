"""``@operation``: what a view takes and answers, declared beside it for the OpenAPI document.

A view under ``/api`` without one makes the document refuse to build (and its test fail). The
view's docstring becomes the operation's description; its scope comes from recommender.access.auth;
the problems every operation of its kind can answer (401, 403, 429 for keyed endpoints; 400,
413, 415, 422 for JSON bodies; 404 for path parameters; 422 for query parameters) are added
by the document builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    """One response: a description, and a component schema name per media type."""

    description: str
    schema: str | None = None
    media: tuple[str, ...] = (JSON,)
    headers: tuple[str, ...] = ()  # names in recommender.contract.openapi.document.HEADERS


@dataclass(frozen=True)
class Query:
    """A query parameter; ``repeated`` ones may be given more than once."""

    name: str
    schema: dict
    description: str = ""
    repeated: bool = False


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: dict[int, Reply]
    body: str | None = None  # component schema name of the request body
    body_media: tuple[str, ...] = (JSON,)
    query: tuple[Query, ...] = ()
    errors: tuple[int, ...] = ()  # further problem statuses this operation may answer
    path: dict[str, str] = field(default_factory=dict)  # path parameter descriptions


def operation(summary: str, responses: dict[int, Reply], **details) -> Callable:
    """Mark a view with its Operation (see the module docstring)."""
    spec = Operation(summary, responses, **details)

    def mark(view: Callable) -> Callable:
        view.openapi = spec
        return view

    return mark


def of(view: Callable) -> Operation | None:
    return getattr(view, "openapi", None)
