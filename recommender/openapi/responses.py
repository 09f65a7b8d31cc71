"""JSON Schemas of the answers, published in the OpenAPI document.

They name the fields a client may rely on; objects stay open (more fields may appear, so that
adding one is not a breaking change). Schemathesis checks every answer against them.
"""

from __future__ import annotations

from catalogue.resources import FORMATS, LEVELS
from recommender.openapi.schemas import ARCHETYPES, FLAG_STATUSES, VERDICTS

STRING, INTEGER, NUMBER, BOOLEAN = ({"type": t} for t in ("string", "integer", "number",
                                                          "boolean"))
STRINGS = {"type": "array", "items": STRING}
TIME = {"type": "string", "description": "ISO 8601 date and time"}


def maybe(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def obj(required: dict, optional: dict | None = None, **extra) -> dict:
    """An object whose ``required`` fields are always present."""
    return {"type": "object", "required": list(required),
            "properties": {**required, **(optional or {})}, **extra}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def listing(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


PROBLEM = obj({
    "type": {**STRING, "description": "A URI naming the kind of problem"},
    "title": STRING,
    "status": {**INTEGER, "minimum": 100, "maximum": 599},
    "detail": {**STRING, "description": "What went wrong, for a person to read"},
}, {"errors": {"type": "array", "description": "One entry per field at fault",
               "items": obj({"detail": STRING}, {
                   "pointer": {**STRING, "description": "JSON pointer into the body "
                               "('/gaps/0/capability'), or '?name' for a query parameter"}})}},
    description="RFC 9457 problem details (application/problem+json)",
    examples=[{"type": "https://dart-ed-recommender.example/problems/validation",
               "title": "Invalid request", "status": 422,
               "detail": "1 field(s) are invalid: /archetype",
               "errors": [{"pointer": "/archetype", "detail": "must be one of shaper, driver, "
                           "creator, embedder, user"}]}])
RESOURCE_SUMMARY = obj({
    "id": STRING, "title": STRING, "url": STRING, "provider": STRING, "description": STRING,
    "format": {"type": "string", "enum": list(FORMATS)},
    "duration_minutes": maybe(INTEGER),
    "level": {"type": "string", "enum": list(LEVELS)},
    "archetypes": {"type": "array", "items": {"type": "string", "enum": ARCHETYPES}},
    "licence": STRING, "openly_licensed": BOOLEAN, "access": STRING, "language": STRING,
})
MAPPING = obj({"id": STRING, "source": {"type": "string", "enum": ["curated", "suggested"]},
               "confidence": NUMBER})
RESOURCE = {"allOf": [ref("ResourceSummary"), obj({
    "topics": STRINGS, "version": INTEGER, "updated_at": maybe(TIME),
    "capabilities": {"type": "array", "items": MAPPING}})]}
RESOURCE_PAGE = obj({"items": listing("Resource"), "page": INTEGER, "per_page": INTEGER,
                     "total": INTEGER,
                     "links": obj({}, {"next": {**STRING, "description": "The next page"}})})
IMPORT_RESULT = obj({"new": STRINGS, "updated": STRINGS, "unchanged": STRINGS,
                     "index_task": {**maybe(STRING), "description": "The index update queued, "
                                    "or null when nothing changed or the broker is away"}})
BECAUSE = obj({
    "capability": STRING, "statement": STRING, "domain": STRING, "capability_level": INTEGER,
    "severity": INTEGER,
    "match": {"type": "string", "enum": ["curated", "similar", "weak"]},
    "score": NUMBER,
    "signals": obj({"similarity": NUMBER, "lexical_rank": maybe(INTEGER), "curated": BOOLEAN,
                    "archetype_fit": BOOLEAN, "level_fit": BOOLEAN,
                    "goal_similarity": maybe(NUMBER)}),
    "reason": {**STRING, "description": "Why, in a sentence"},
})
RECOMMENDED = {"allOf": [ref("ResourceSummary"), obj({
    "score": maybe(NUMBER), "because": {"type": "array", "items": BECAUSE},
    "also_serves": {**STRINGS, "description": "Further gaps it serves"}})]}
RECOMMENDATIONS = obj({
    "archetype": STRING, "baseline": listing("RecommendedResource"),
    "specialist": listing("RecommendedResource"),
}, {"recommendation_id": {**STRING, "description": "Send it back with feedback"},
    "assessment_id": STRING, "framework_version": maybe(STRING), "index_version": STRING,
    "page": INTEGER, "note": STRING, "detail": STRING})
BATCH_RESULTS = obj({"results": {"type": "array", "items": {"oneOf": [
    obj({"status": {"const": 200}, "body": ref("Recommendations")}),
    obj({"status": {**INTEGER, "minimum": 400, "maximum": 599},
         "problem": ref("Problem")})]}}})
FRAMEWORK = obj({"version": maybe(STRING), "capabilities": {"type": "array", "items": obj({
    "id": STRING, "text": STRING, "level": INTEGER, "archetypes": STRINGS, "domain": STRING,
    "group": maybe(STRING), "provenance": STRING})}})
QUESTIONNAIRE = obj({
    "framework_version": maybe(STRING), "archetypes": STRINGS,
    "scale": {"type": "array", "items": obj({"rating": INTEGER, "label": STRING,
                                             "meaning": STRING})},
    "domains": {"type": "array", "items": obj({"id": STRING, "name": STRING, "groups": {
        "type": "array", "items": obj({"id": STRING, "name": STRING, "statements": {
            "type": "array", "items": obj({"id": STRING, "level": INTEGER,
                                           "expected": INTEGER, "text": STRING})}})}})},
})
ROLL_UP = {"type": "object", "additionalProperties": obj({"name": STRING})}
ASSESSMENT = obj({
    "id": STRING, "learner_id": maybe(STRING), "framework_version": STRING,
    "archetypes": STRINGS, "skipped_domains": STRINGS, "created_at": TIME,
    "answers": {"type": "array", "items": obj({"capability": STRING, "rating": INTEGER})},
    "gaps": {"type": "array", "items": obj({"capability": STRING, "severity": INTEGER})},
    "domains": ROLL_UP, "groups": ROLL_UP,
})
LEARNER = obj({"learner_id": STRING, "created_at": TIME, "assessments": listing("Assessment"),
               "feedback": {"type": "array", "items": obj({
                   "resource": maybe(STRING), "verdict": STRING, "capability": maybe(STRING),
                   "recommendation_id": maybe(STRING), "created_at": TIME})}})
FEEDBACK = obj({"id": INTEGER, "learner_id": STRING, "resource": STRING,
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "capability": maybe(STRING)})
STATUS = {"type": "string", "enum": list(FLAG_STATUSES)}
NEAR_DUPLICATES = obj({"items": {"type": "array", "items": obj({
    "id": INTEGER, "similarity": NUMBER, "status": STATUS,
    "resources": {"type": "array", "items": ref("ResourceSummary")}})}})
FLAG = obj({"id": INTEGER, "status": STATUS})
SUPPLY = {"statements": INTEGER, "statements_served": INTEGER, "resources": INTEGER,
          "weighted_supply": NUMBER, "called_for": BOOLEAN, "demand_learners": maybe(INTEGER),
          "mean_severity": maybe(NUMBER), "demand_suppressed": BOOLEAN}
COVERAGE_HEAD = {"framework_version": maybe(STRING), "filters": {"type": "object"},
                 "min_learners": INTEGER}
COVERAGE = obj({**COVERAGE_HEAD, "group": STRING, "learners_assessed": maybe(INTEGER),
                "learners_suppressed": BOOLEAN, "cells": {"type": "array", "items": obj({
                    "unit": STRING, "id": STRING, "archetype": STRING, "level": STRING,
                    **SUPPLY})}})
CELL_RESOURCE = obj({"id": STRING, "title": STRING, "weight": NUMBER, "counted": BOOLEAN})
COVERAGE_CELL = obj({**COVERAGE_HEAD, "statement": STRING, "archetype": STRING,
                     "level": STRING, **SUPPLY,
                     "resources_serving": {"type": "array", "items": CELL_RESOURCE},
                     "resources_excluded": {"type": "array", "items": CELL_RESOURCE}})
COVERAGE_GAPS = obj({**COVERAGE_HEAD, "index_version": maybe(STRING), "gaps": {
    "type": "array", "items": obj({"rank": INTEGER, "tier": STRING, "statement": STRING,
                                   "archetype": STRING, "level": STRING,
                                   "priority": maybe(NUMBER), "brief": {"type": "object"},
                                   **SUPPLY})}})
INDEX_STATUS = obj({"serving": {"type": ["object", "null"],
                                "description": "The manifest of the version served"},
                    "published": maybe(STRING), "last_error": maybe(STRING)})
INDEX_BUILD = obj({"id": STRING, "kind": STRING, "status": STRING, "done": maybe(INTEGER),
                   "total": maybe(INTEGER), "version": maybe(STRING), "count": maybe(INTEGER),
                   "detail": maybe(STRING), "requested_at": maybe(TIME),
                   "finished_at": maybe(TIME)})
OPENAPI = obj({"openapi": STRING, "info": {"type": "object"}, "paths": {"type": "object"}})
JSONLD = obj({"@context": STRING, "@graph": {"type": "array", "items": {"type": "object"}}},
             description="schema.org LearningResource records (JSON-LD)")
