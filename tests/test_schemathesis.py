"""Schemathesis against the live app's own OpenAPI document (/api/v1/openapi.json).

Every documented operation is called with the document's examples and with generated valid
and invalid input, a bounded number per operation, authenticated with an admin key made in
the test, against a real database and a real index. Each answer must not be a server error,
must have a documented status code and content type, and must match its documented schema.
"""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from recommender.access.keys import create_key
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from tests.conftest import api_document, prepared_app

MAX_EXAMPLES = 25  # per operation and phase: the whole run stays well under two minutes
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, framework, shipped_resources, encoder):
    """An app that checks keys, over part of the shipped catalogue with a built index, whose
    writes queue index updates on the embedded SQLAlchemy broker (no worker consumes them)."""
    folder = tmp_path_factory.mktemp("fuzzed")
    app = prepared_app(folder, framework, shipped_resources[:40], AUTH_REQUIRED=True, CELERY={
        "broker_url": f"sqla+sqlite:///{folder / 'broker.db'}",
        "result_backend": f"db+sqlite:///{folder / 'results.db'}",
        "broker_connection_retry_on_startup": False})
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        key = create_key(db.session(), "fuzzer", ["admin"]).key
    yield app, {"Authorization": f"Bearer {key}"}
    app.extensions["db"].kw["bind"].dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    app, _ = fuzzed
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def operations() -> list[str]:
    """'METHOD /path' of every documented operation."""
    return [f"{method.upper()} {path}" for path, methods in api_document()["paths"].items()
            for method in methods]


@pytest.mark.parametrize("label", operations())
def test_operation_keeps_its_documented_contract(label, api_schema, fuzzed):
    _, headers = fuzzed
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    examples = operation.get_strategies_from_examples()
    for strategy in (*examples, operation.as_strategy(GenerationMode.POSITIVE)):
        _run(strategy, headers)
    # an operation with no body and only free-text parameters has no input that breaks it
    with contextlib.suppress(Unsatisfiable):
        _run(operation.as_strategy(GenerationMode.NEGATIVE), headers)


def _run(strategy, headers: dict) -> None:
    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
