"""The OpenAPI 3.1 document, built from the app's routes, their ``@operation`` declarations,
the request schemas the validators use and the scopes in recommender.access.auth."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import Rule

from recommender.access import auth
from recommender.content import held as held_records
from recommender.contract.openapi import curator_schemas, plan_schemas, schemas
from recommender.contract.openapi import responses as out
from recommender.contract.openapi.operations import Operation, Reply, of

PREFIX = "/api/"
PROBLEM = "application/problem+json"
LIMITED_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
HEADERS = {
    "ETag": "Send it back in If-None-Match: an unchanged answer is then an empty 304",
    "Retry-After": "Seconds to wait before trying again",
    "RateLimit-Limit": "Requests allowed in the current window",
    "RateLimit-Remaining": "Requests left in the current window",
    "RateLimit-Reset": "Seconds until the window resets",
    "WWW-Authenticate": "The Bearer challenge (RFC 6750)",
    "Content-Disposition": "The file name to save the answer under",
    "Location": "Where to follow what was made",
}
PROBLEMS = {
    400: ("The body is not valid JSON", ()),
    401: ("No API key where one is needed, or a key that is not valid (unknown, wrong or "
          "revoked: one answer for all)", ("WWW-Authenticate",)),
    403: ("The API key does not have this operation's scope", ("WWW-Authenticate",)),
    404: ("Nothing has this id", ()),
    409: ("It was already decided: the answer says how", ()),
    413: ("The body is larger than MAX_REQUEST_BYTES", ()),
    415: ("The body is not sent as Content-Type: application/json", ()),
    422: ("Fields or parameters are invalid or unknown: `errors` names each one", ()),
    429: ("Over the rate limit for this key or address", ("Retry-After", *LIMITED_HEADERS)),
    503: ("The service cannot answer now: no index is built yet, or the database or the task "
          "queue is unavailable", ("Retry-After",)),
}
TAGS = {  # blueprint -> (tag, what its operations are for), in the document's order
    "api": ("recommendations", "Recommendations for learners' gaps, the framework, the index"),
    "batch": ("recommendations", ""),
    "assessments": ("learners", "Self-assessments, feedback and learners' own data"),
    "feedback": ("learners", ""),
    "plans": ("learners", ""),
    "resources": ("catalogue", "The catalogue of learning resources and its curation"),
    "curation": ("catalogue", ""),
    "imports": ("catalogue", ""),
    "held": ("catalogue", ""),
    "coverage": ("coverage", "Supply and demand for commissioners"),
    "openapi": ("contract", "This document and its interactive page"),
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An API key made with `recommender keys create`, sent as "
                              "`Authorization: Bearer <key>`"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "The same key in the X-API-Key header"},
}
DESCRIPTION = """\
Recommendations of open learning resources for the capability gaps of the healthcare
workforce, against the DART-Ed capability framework for AI and digital healthcare
technologies (6 domains; archetypes shaper, driver, creator, embedder, user).

**Keys.** Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Each
operation names the scope it needs (`x-scope`); an `admin` key may call everything. Reads
listed in the service's `OPEN_READ` setting need no key; a key that is sent must be valid.

**Errors.** Every error is `application/problem+json` (RFC 9457) with `type`, `title`,
`status`, `detail` and, for invalid input, `errors`: one `{pointer, detail}` per field at
fault (a JSON pointer into the body, or `?name` for a query parameter).

**Limits.** Requests are limited per key (per client address without one); limited answers
carry `RateLimit-*` headers and a 429 carries `Retry-After`. Bodies over `MAX_REQUEST_BYTES`
get 413. A batch holds at most `BATCH_MAX` recommendation requests.
"""


def document(app: Flask) -> dict:
    """The document for this app and its configuration (built once per app)."""
    built = app.extensions.get("openapi_document")
    if built is None:
        built = app.extensions["openapi_document"] = build(app)
    return built


def build(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX):
            continue
        spec = of(app.view_functions[rule.endpoint])
        if spec is None:
            raise LookupError(f"{rule.rule} ({rule.endpoint}) is not documented: give its view "
                              "an @operation (recommender.contract.openapi.operations)")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(_path(rule), {})[method.lower()] = _operation(app, rule, method,
                                                                           spec)
    config = app.config
    return {
        "openapi": "3.1.0",
        "info": {"title": "DART-Ed learning recommender API", "version": "1.0.0",
                 "description": DESCRIPTION,
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "tags": [{"name": tag, "description": text} for tag, text in TAGS.values() if text],
        "paths": paths,
        "components": {
            "schemas": components(config["RECOMMENDATION_MAX_LIMIT"], config["BATCH_MAX"]),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def components(max_limit: int, batch_max: int) -> dict[str, dict]:
    """Every named schema: the request schemas are the validators' own."""
    resource = schemas.resource_input()
    return {
        "Problem": out.PROBLEM,
        "RecommendationRequest": schemas.recommendation_request(max_limit),
        "BatchRequest": schemas.batch_request(batch_max, documented=True),
        "Recommendations": out.RECOMMENDATIONS,
        "RecommendedResource": out.RECOMMENDED,
        "BatchResults": out.BATCH_RESULTS,
        "ResourceSummary": out.RESOURCE_SUMMARY,
        "Resource": out.RESOURCE,
        "ResourcePage": out.RESOURCE_PAGE,
        "ResourceInput": resource,
        "ResourceImport": {"oneOf": [
            {"$ref": "#/components/schemas/ResourceInput"},
            {"type": "array", "minItems": 1, "maxItems": schemas.MAX_RESOURCES,
             "items": {"$ref": "#/components/schemas/ResourceInput"}}],
            "description": "One resource, or a list imported all or nothing",
            "examples": resource["examples"]},
        "ResourceReplacement": schemas.resource_input(),
        "ImportResult": out.IMPORT_RESULT,
        "ImportJob": out.IMPORT_JOB,
        "Framework": out.FRAMEWORK,
        "Frameworks": out.FRAMEWORKS,
        "Crosswalk": out.CROSSWALK,
        "CrosswalkLink": out.CROSSWALK_LINK,
        "CrosswalkRefresh": out.CROSSWALK_REFRESH,
        "CrosswalkDecision": curator_schemas.CROSSWALK_DECISION,
        "MappingReview": out.MAPPING_REVIEW,
        "MappingReviews": out.MAPPING_REVIEWS,
        "ReviewDecision": curator_schemas.REVIEW_DECISION,
        "Questionnaire": out.QUESTIONNAIRE,
        "AssessmentRequest": schemas.ASSESSMENT,
        "Assessment": out.ASSESSMENT,
        "Learner": out.LEARNER,
        "FeedbackRequest": schemas.FEEDBACK,
        "Feedback": out.FEEDBACK,
        "PlanRequest": plan_schemas.PLAN_REQUEST,
        "Plan": plan_schemas.PLAN,
        "XapiStatements": plan_schemas.XAPI,
        "NearDuplicates": out.NEAR_DUPLICATES,
        "FlagUpdate": curator_schemas.FLAG_UPDATE,
        "SuggestionDecision": curator_schemas.SUGGESTION_DECISION,
        "Flag": out.FLAG,
        "HeldRecord": out.HELD_RECORD,
        "HeldRecordPage": out.HELD_RECORD_PAGE,
        "HeldRecordDecision": curator_schemas.held_decision(held_records.FIXABLE),
        "Coverage": out.COVERAGE,
        "CoverageCell": out.COVERAGE_CELL,
        "CoverageGaps": out.COVERAGE_GAPS,
        "IndexStatus": out.INDEX_STATUS,
        "IndexBuild": out.INDEX_BUILD,
        "OpenAPI": out.OPENAPI,
        "JsonLd": out.JSONLD,
        "Text": {"type": "string"},
    }


ARGUMENT = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")  # <converter:name> in a Flask rule


def _path(rule: Rule) -> str:
    return ARGUMENT.sub(r"{\2}", rule.rule)


def _operation(app: Flask, rule: Rule, method: str, spec: Operation) -> dict:
    endpoint = rule.endpoint
    blueprint = endpoint.rpartition(".")[0] or None
    scope = auth.required_scope(endpoint, blueprint, method)
    keyed = scope is not None and app.config["AUTH_REQUIRED"]
    answers = {str(status): _reply(reply) for status, reply in spec.responses.items()}
    problems = set(spec.errors)
    if keyed:
        problems |= {401} if scope == auth.FRAMEWORK else {401, 403}
    if scope is not None and app.config["RATE_LIMIT_ENABLED"]:
        problems.add(429)
    if scope is not None:  # it reads the database
        problems.add(503)
    if spec.body:
        problems |= {400, 413, 415, 422}
    if spec.query:
        problems.add(422)
    if rule.arguments:
        problems.add(404)
    for status in sorted(problems):
        text, headers = PROBLEMS[status]
        answers[str(status)] = _reply(Reply(text, "Problem", (PROBLEM,), headers))
    op = {
        "operationId": endpoint.replace(".", "_"),
        "tags": [TAGS[blueprint][0] if blueprint in TAGS else blueprint or "service"],
        "summary": spec.summary,
        "description": _description(app.view_functions[endpoint].__doc__, scope),
        "parameters": _parameters(rule, spec),
        "responses": dict(sorted(answers.items())),
        "security": _security(app, scope),
        "x-scope": scope,
    }
    if spec.body:
        op["requestBody"] = {"required": True, "content": {
            media: {"schema": _ref(spec.body if media == "application/json" else "Text")}
            for media in spec.body_media}}
    if not op["parameters"]:
        del op["parameters"]
    return op


def _description(doc: str | None, scope: str | None) -> str:
    if scope is None:
        needs = "no API key"
    elif scope == auth.FRAMEWORK:
        needs = "no API key while the framework is open to read (OPEN_READ), else any key"
    else:
        needs = f"an API key with the `{scope}` scope (or `admin`), unless OPEN_READ opens it"
    return f"{' '.join((doc or '').split())}\n\nNeeds {needs}."


def _security(app: Flask, scope: str | None) -> list[dict]:
    if scope is None or not app.config["AUTH_REQUIRED"]:
        return []
    scopes = [] if scope == auth.FRAMEWORK else [scope]
    ways = [{"bearer": scopes}, {"apiKey": scopes}]
    return [{}, *ways] if scope in app.config["OPEN_READ"] else ways


def _parameters(rule: Rule, spec: Operation) -> list[dict]:
    params = []
    for converter, name in ARGUMENT.findall(rule.rule):
        kind = {"type": "string", "minLength": 1}
        if converter.startswith("int"):  # int or int(max=N)
            bound = re.search(r"max=(\d+)", converter)
            kind = {"type": "integer", "minimum": 0,
                    "maximum": int(bound[1]) if bound else 2**63 - 1}
        params.append({"name": name, "in": "path", "required": True, "schema": kind,
                       "description": spec.path.get(name, "")})
    for query in spec.query:
        schema = {"type": "array", "items": query.schema} if query.repeated else query.schema
        params.append({"name": query.name, "in": "query", "required": False,
                       "schema": schema, "description": query.description})
    return params


def _reply(reply: Reply) -> dict:
    answer: dict = {"description": reply.description}
    if reply.schema:
        answer["content"] = {media: {"schema": _ref(reply.schema if "json" in media
                                                    else "Text")}
                             for media in reply.media}
    if reply.headers:
        answer["headers"] = {name: {"description": HEADERS[name], "schema": {"type": "string"}}
                             for name in reply.headers}
    return answer


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}
