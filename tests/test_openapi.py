"""The OpenAPI 3.1 document: generated from the routes, complete, valid, served without a
key, and built from the very schemas the validators use; the offline docs page."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from schemathesis.specs.openapi.definitions import OPENAPI_31

from recommender import create_app
from recommender.access import auth
from recommender.contract.openapi.document import build
from recommender.contract.openapi.schemas import recommendation_request
from tests.conftest import app_config

DOC = "/api/v1/openapi.json"
IGNORED = {"HEAD", "OPTIONS"}


@pytest.fixture
def app(tmp_path, framework, make_app):
    """An app configured as in production: keys checked (recommendations open to read),
    rate limits on."""
    return make_app(tmp_path, framework, [], AUTH_REQUIRED=True, RATE_LIMIT_ENABLED=True,
                    RECOMMENDATION_MAX_LIMIT=25)


@pytest.fixture
def doc(app):
    response = app.test_client().get(DOC)  # no key: the contract is public
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def component(doc: dict, name: str) -> Draft202012Validator:
    """A validator for one of the document's schemas, resolving its $refs in the document."""
    registry = Registry().with_resource("urn:doc", DRAFT202012.create_resource(doc))
    return Draft202012Validator({"$ref": f"urn:doc#/components/schemas/{name}"},
                                registry=registry)


def test_every_api_route_and_method_is_documented(app, doc):
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routes = {(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - IGNORED}
    assert routes == documented
    assert ("/api/v1/recommendations:batch", "POST") in documented


def test_a_route_added_without_documentation_fails_the_build(tmp_path):
    app = create_app(app_config(tmp_path))
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/api/v1/undocumented", "undocumented", lambda: "")
    app.register_blueprint(extra)
    with pytest.raises(LookupError, match="/api/v1/undocumented"):
        build(app)


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    Draft202012Validator(OPENAPI_31).validate(doc)
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_example_matches_its_schema(doc):
    checked = 0
    for name, schema in doc["components"]["schemas"].items():
        validator = component(doc, name)
        for example in schema.get("examples", []):
            errors = [e.message for e in validator.iter_errors(example)]
            assert not errors, (name, errors)
            checked += 1
    assert checked >= 8


def test_each_operation_states_its_scope_security_and_problems(app, doc):
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "X-API-Key")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            endpoint = op["operationId"].replace("_", ".", 1)
            scope = auth.required_scope(endpoint, endpoint.rpartition(".")[0], method.upper())
            assert op["x-scope"] == scope, (path, method)
            assert op["summary"] and op["description"], (path, method)
            codes = set(op["responses"])
            problems = [r for code, r in op["responses"].items() if code >= "400"]
            assert all("application/problem+json" in r["content"] for r in problems)
            if scope is None:
                assert op["security"] == [] and not codes & {"401", "403", "429"}
                continue
            assert {"401", "429"} <= codes, (path, method)
            assert {"bearer": [scope] if scope != "framework" else []} in op["security"]
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= codes, (path, method)
    recommend = doc["paths"]["/api/v1/recommendations"]["post"]
    assert {} in recommend["security"]  # open to read by default (OPEN_READ)
    assert {} not in doc["paths"]["/api/v1/resources"]["post"]["security"]
    assert doc["paths"]["/api/v1/index"]["get"]["x-scope"] == "admin"


def test_published_request_schemas_are_the_ones_the_validators_use(app, doc):
    published = doc["components"]["schemas"]["RecommendationRequest"]
    assert published == recommendation_request(25)
    assert published["properties"]["limit"]["maximum"] == 25  # RECOMMENDATION_MAX_LIMIT
    body = {"archetype": "user", "limit": 26}
    refused = app.test_client().post("/api/v1/recommendations", json=body).get_json()
    assert refused["errors"] == [{"pointer": "/limit",
                                  "detail": "must be a whole number from 1 to 25"}]


def test_the_docs_page_is_served_from_here_without_inline_script(app):
    client = app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert not re.search(r"https?:|//", re.sub(r"<!DOCTYPE[^>]*>", "", html)), \
        "the page names another site"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    policy = page.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy)[1]
    assert script_src == "'self'" and "default-src 'none'" in policy
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert DOC in links
    for link in links:
        with client.get(link) as asset:
            assert asset.status_code == 200, link
            assert asset.mimetype in ("text/css", "text/javascript", "image/png",
                                      "application/json"), link
            assert asset.get_data()
    with client.get("/api/docs/docs.js") as start:
        script = start.get_data(as_text=True)
    assert "validatorUrl: null" in script and "http" not in script
    missing = client.get("/api/docs/secrets.txt")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
