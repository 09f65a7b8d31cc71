"""One error format everywhere: every operation that takes a JSON body, read from the OpenAPI
document, refuses bad bodies with application/problem+json naming the field at fault."""

from __future__ import annotations

import json

import pytest

from tests.conftest import api_document, prepared_app

PROBLEM = "application/problem+json"
LIMIT = 8192  # MAX_REQUEST_BYTES of the app under test
PATH_VALUES = {"{slug}": "example-open-course", "{flag_id}": "1", "{held_id}": "1",
               "{review_id}": "1"}


def body_operations() -> list[tuple[str, str, str]]:
    """(method, concrete path, request schema name) of every operation with a JSON body (not
    POST /api/v1/imports, whose body is a catalogue file)."""
    found = []
    for path, ops in api_document()["paths"].items():
        for method, op in ops.items():
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                for name, value in PATH_VALUES.items():
                    path = path.replace(name, value)
                found.append((method, path, ref.rsplit("/", 1)[1]))
    return found


OPERATIONS = body_operations()
IDS = [f"{method.upper()} {path}" for method, path, _ in OPERATIONS]


@pytest.fixture(scope="module")
def api(tmp_path_factory, framework, shipped_resources):
    app = prepared_app(tmp_path_factory.mktemp("errors"), framework, shipped_resources[:3],
                       MAX_REQUEST_BYTES=LIMIT)
    examples = {name: schema["examples"][0] for name, schema in
                app.test_client().get("/api/v1/openapi.json").get_json()["components"]
                ["schemas"].items() if schema.get("examples")}
    yield app.test_client(), examples
    app.extensions["db"].kw["bind"].dispose()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


def pointers(response) -> list[str]:
    return [e["pointer"] for e in problem(response, 422)["errors"]]


@pytest.mark.parametrize(("method", "path", "schema"), OPERATIONS, ids=IDS)
def test_transport_errors_are_problems(api, method, path, schema):
    client, examples = api
    send = getattr(client, method)
    text = json.dumps(examples[schema])
    problem(send(path, data=text, content_type="text/plain"), 415)
    problem(send(path, data="{not json", content_type="application/json"), 400)
    problem(send(path, data=b'{"x": "\xff"}', content_type="application/json"), 400)
    problem(send(path, data="[" * (LIMIT - 100), content_type="application/json"), 400)  # deep
    problem(send(path, data="[" + "0," * LIMIT + "0]", content_type="application/json"), 413)


@pytest.mark.parametrize(("method", "path", "schema"), OPERATIONS, ids=IDS)
def test_unknown_fields_wrong_types_and_nul_are_named(api, method, path, schema):
    client, examples = api
    send = getattr(client, method)
    example = examples[schema]
    assert "/colour" in pointers(send(path, json={**example, "colour": "red"}))
    for field, value in example.items():
        # a field that is an object itself names the unknown key inside it: /fixes/x
        found = pointers(send(path, json={**example, field: {"x": 1}}))
        assert f"/{field}" in found or f"/{field}/x" in found, field
        if isinstance(value, str):
            assert f"/{field}" in pointers(send(path, json={**example, field: value + "\0"}))
    if schema != "ResourceImport":  # which also takes a list of resources
        assert pointers(send(path, json=[example])) == [""]
    assert pointers(send(path, data="null", content_type="application/json")) == [""]


def test_query_parameters_are_checked_against_the_document(api):
    client, _ = api
    for path in ("/api/v1/near-duplicates", "/api/v1/resources",
                 "/api/v1/assessments/questionnaire?archetype=user"):
        joiner = "&" if "?" in path else "?"
        assert pointers(client.get(f"{path}{joiner}colour=red")) == ["?colour"]
    assert pointers(client.get("/api/v1/resources?q=a%00b")) == ["?q"]
    assert pointers(client.get("/api/v1/resources?page=%C2%B2")) == ["?page"]  # a superscript 2
    assert pointers(client.get("/api/v1/coverage/gaps?limit=%C2%B2")) == ["?limit"]
    problem(client.get("/api/v1/resources/a%00b"), 422)
    assert client.get("/api/v1/frameworks?_=123").status_code == 200  # declares no parameters


def test_csv_assessments_that_cannot_be_read_are_problems(api):
    client, _ = api
    for text, where in (("capability,rating\n6.0.1,\0\n", "/answers/0/rating"),
                        ("capability,rating\n6.0.1,²\n", "/answers/0/rating"),
                        ("capability;rating\n6.0.1;2\n", "")):
        response = client.post("/api/v1/assessments?archetype=user", data=text.encode(),
                               content_type="text/csv")
        assert where in pointers(response), text
