"""Parse and validate request bodies, collecting every error with a JSON pointer.

Bodies are checked against the JSON Schemas in ``recommender.contract.openapi.schemas`` (the
ones the OpenAPI document publishes); the checks a schema cannot state follow in code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from flask import Flask, Request, current_app, request
from jsonschema import Draft202012Validator, validators

from catalogue.framework import ARCHETYPE_BADGES, DEFAULT_FRAMEWORK
from recommender.contract import schema_check
from recommender.contract.openapi import schemas
from recommender.contract.openapi.operations import of
from recommender.contract.openapi.schemas import DEFAULT_LIMIT, recommendation_request
from recommender.contract.query import NUL, refused
from recommender.contract.statement_errors import role_error, statement_error
from recommender.problems import Problem, invalid

# JSON Schema counts 1.0 as an integer; the service does not
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
_Validator = validators.extend(Draft202012Validator, type_checker=_TYPES)
_validators: dict[int, tuple[dict, Draft202012Validator]] = {}
LEARNER_ID = re.compile(schemas.LEARNER_ID["pattern"])  # for the web pages' own forms
TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number",
              "boolean": "true or false", "array": "a list", "object": "an object"}


@dataclass(frozen=True)
class Gap:
    capability: str
    severity: int


@dataclass(frozen=True)
class TextGap:
    """A gap in words; ranking maps it to the statements it matches (``ranking.text_gaps``).
    ``position`` is its place in the request's ``gaps`` list."""

    text: str
    severity: int
    domain: str | None = None
    position: int = 0


@dataclass(frozen=True)
class Filters:
    """Hard constraints: a resource that fails one is never shown."""

    formats: tuple[str, ...] = ()
    max_duration_minutes: int | None = None
    licences: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    exclude_completed: bool = True


@dataclass(frozen=True)
class Preferences:
    """Soft wishes: they lift matching resources, never hide others."""

    formats: tuple[str, ...] = ()
    duration_minutes: int | None = None
    level: str | None = None  # baseline or specialist, overriding the level rule


@dataclass(frozen=True)
class RecommendationRequest:
    archetype: str | None
    gaps: tuple[Gap, ...]
    free_text: str | None
    limit: int
    assessment_id: str | None = None
    page: int = 1
    learner_id: str | None = None
    filters: Filters = Filters()
    preferences: Preferences = Preferences()
    text_gaps: tuple[TextGap, ...] = ()
    framework: str = DEFAULT_FRAMEWORK


def init_app(app: Flask) -> None:
    app.before_request(_check_query)


def json_body_any(request: Request) -> object:
    """The request's JSON value, or a 415/400 problem saying what is wrong with it."""
    if not request.is_json:
        raise Problem(415, "Unsupported Media Type",
                      "send the request body as JSON with Content-Type: application/json",
                      kind="unsupported-media-type")
    data = request.get_data()
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Problem(400, "Malformed JSON", "the request body is not valid JSON",
                      kind="malformed-json") from exc
    # a string can only hold a NUL written as the escape \u0000 (json refuses raw control
    # characters), so most bodies need no walk; UTF-16 and UTF-32 bodies hold zero bytes
    if b"\x00" in data or b"\\u0000" in data:
        nul = _nul_pointers(body)
        if nul:
            raise invalid([{"pointer": p, "detail": NUL} for p in nul])
    return body


def json_body(request: Request) -> dict:
    """The request's JSON object, or a problem saying what is wrong with it."""
    body = json_body_any(request)
    if not isinstance(body, dict):
        raise invalid([{"pointer": "", "detail": "the body must be a JSON object"}])
    return body


def schema_errors(value: object, schema: dict, prefix: str = "") -> list[dict]:
    """Every way ``value`` breaks ``schema``, as ``{pointer, detail}`` entries (pointers
    under ``prefix``). A value the quick checks pass (``schema_check``) has none."""
    if schema_check.valid(value, schema):
        return []
    errors: list[dict] = []
    for error in validator(schema).iter_errors(value):
        pointer = prefix + "".join(f"/{_escape(str(p))}" for p in error.absolute_path)
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            errors += [{"pointer": f"{pointer}/{_escape(name)}", "detail": "unknown field"}
                       for name in error.instance if name not in known]
        elif error.validator == "required":
            errors += [{"pointer": f"{pointer}/{_escape(name)}", "detail": "is required"}
                       for name in error.validator_value if name not in error.instance]
        else:
            errors.append({"pointer": pointer,
                           "detail": error.schema.get("x-error") or _message(error)})
    return list({(e["pointer"], e["detail"]): e for e in errors}.values())


def check(value: object, schema: dict) -> None:
    """Raise a 422 naming every field of ``value`` that breaks ``schema``."""
    errors = schema_errors(value, schema)
    if errors:
        raise invalid(errors)


def at_fault(errors: list[dict], pointer: str) -> bool:
    """Whether an error names ``pointer`` or a field inside it."""
    return any(e["pointer"] == pointer or e["pointer"].startswith(pointer + "/")
               for e in errors)


def parse_recommendation(body: dict, capabilities: set[str], max_limit: int,
                         roles: Collection[str] = tuple(ARCHETYPE_BADGES)
                         ) -> RecommendationRequest:
    """Validate a recommendation request against its framework's statement ids and roles.

    With neither ``gaps`` nor ``assessment_id`` the request asks for a starter path for the
    archetype.
    """
    errors = schema_errors(body, recommendation_request(max_limit))
    archetype, assessment_id = body.get("archetype"), body.get("assessment_id")
    raw_gaps = body.get("gaps")
    if isinstance(archetype, str) and not at_fault(errors, "/archetype") and \
            archetype not in roles:
        errors.append(role_error("/archetype", archetype, roles))
    if archetype is None and assessment_id is None:
        errors.append({"pointer": "/archetype", "detail": "is required unless assessment_id "
                       "is given"})
    if assessment_id is not None and raw_gaps is not None:
        errors.append({"pointer": "/gaps", "detail": "give gaps or assessment_id, not both"})
    gaps: dict[str, Gap] = {}
    text_gaps: list[TextGap] = []
    if isinstance(raw_gaps, list) and not at_fault(errors, "/gaps"):
        for i, raw in enumerate(raw_gaps):
            code, words = raw.get("capability"), raw.get("text")
            severity = raw.get("severity", 2)
            if (code is None) == (words is None):
                errors.append({"pointer": f"/gaps/{i}", "detail": "give capability or text "
                               "(one of them)"})
            elif words is not None:
                text_gaps.append(TextGap(" ".join(words.split()), severity, raw.get("domain"),
                                         i))
            elif "domain" in raw:
                errors.append({"pointer": f"/gaps/{i}/domain",
                               "detail": "goes with text, not with capability"})
            elif (error := statement_error(code, i, capabilities, gaps)) is not None:
                errors.append(error)
            else:
                gaps[code] = Gap(code, severity)
    if errors:
        raise invalid(errors)
    filters, preferences = body.get("filters") or {}, body.get("preferences") or {}
    return RecommendationRequest(
        archetype=archetype, gaps=tuple(gaps.values()), text_gaps=tuple(text_gaps),
        free_text=(body.get("free_text") or "").strip() or None,
        limit=body.get("limit", DEFAULT_LIMIT), assessment_id=assessment_id,
        page=body.get("page", 1),
        learner_id=body.get("learner_id"),
        framework=body.get("framework") or DEFAULT_FRAMEWORK,
        filters=Filters(
            formats=_unique(filters.get("formats")),
            max_duration_minutes=filters.get("max_duration_minutes"),
            licences=_unique(filters.get("licences")),
            providers=_unique(filters.get("providers")),
            languages=_unique(filters.get("languages")),
            exclude_completed=filters.get("exclude_completed") is not False),
        preferences=Preferences(formats=_unique(preferences.get("formats")),
                                duration_minutes=preferences.get("duration_minutes"),
                                level=preferences.get("level")))


def _check_query() -> None:
    """For API operations: a query parameter the operation does not declare (when it declares
    any) is a 422, and so is a NUL in the query or path (never a database error)."""
    req = request._get_current_object()  # one context lookup, not one per attribute
    if not req.path.startswith("/api/") or req.endpoint is None or req.method == "OPTIONS":
        return
    errors = []
    if req.query_string:  # most API calls send none: nothing to refuse
        spec = of(current_app.view_functions[req.endpoint])
        known = {q.name for q in spec.query} if spec is not None and spec.query else None
        errors = refused(req.args, known)
    if "\x00" in req.path:
        errors.append({"pointer": "", "detail": f"the URL path {NUL}"})
    if errors:
        raise invalid(errors)


def _nul_pointers(value: object) -> list[str]:
    """Pointers to the strings (and keys) in a JSON value that hold a NUL character."""
    found, stack = [], [("", value)]
    while stack:  # not recursive: the value may nest as deep as the parser allowed
        pointer, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(pointer)
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((f"{pointer}/{_escape(key)}", child))
                if "\x00" in key:
                    found.append(f"{pointer}/{_escape(key)}")
        elif isinstance(item, list):
            stack.extend((f"{pointer}/{i}", child) for i, child in enumerate(item))
    return sorted(set(found))


def _unique(values: list | None) -> tuple:
    return tuple(dict.fromkeys(values or ()))


def validator(schema: dict) -> Draft202012Validator:
    """The compiled validator of a schema (schemas are module-level or cached objects)."""
    found = _validators.get(id(schema))
    if found is None or found[0] is not schema:
        found = _validators[id(schema)] = (schema, _Validator(schema))
    return found[1]


def _escape(name: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def _message(error) -> str:
    rule, value, node = error.validator, error.validator_value, error.schema
    if rule == "type":
        names = [value] if isinstance(value, str) else value
        return "must be " + " or ".join(TYPE_NAMES[t] for t in names if t != "null")
    if rule == "enum":
        return "must be one of " + ", ".join(str(v) for v in value if v is not None)
    if rule in ("minimum", "maximum"):
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None:
            return f"must be a whole number from {low} to {high}"
        return f"must be at least {low}" if rule == "minimum" else f"must be at most {high}"
    if rule == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if rule == "maxLength":
        return f"must be at most {value} characters"
    if rule == "minItems":
        return "must be a non-empty list" if value == 1 else f"must have at least {value} items"
    if rule == "maxItems":
        return f"must have at most {value} items"
    if rule == "uniqueItems":
        return "has duplicates"
    return error.message
