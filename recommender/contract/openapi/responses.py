"""JSON Schemas of the answers, published in the OpenAPI document.

They name the fields a client may rely on; objects stay open (more fields may appear, so that
adding one is not a breaking change). Schemathesis checks every answer against them.
"""

from __future__ import annotations

from catalogue.resources import FORMATS, LEVELS
from recommender.content.held import STATUSES as HELD_STATUSES
from recommender.contract.openapi.schemas import ARCHETYPES, FLAG_STATUSES, VERDICTS

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
}, {"inferred": {"type": "object", "description": "Labels the source did not state, inferred "
                 "by us: each with a note and, once indexed, a confidence (0-1; per archetype "
                 "under 'scores')", "additionalProperties": obj({"note": STRING}, {
                     "confidence": maybe(NUMBER), "scores": {"type": "object"}})}})
MAPPING = obj({"id": STRING, "source": {"type": "string", "enum": ["curated", "suggested"]},
               "confidence": NUMBER})
RESOURCE = {"allOf": [ref("ResourceSummary"), obj({
    "topics": STRINGS, "version": INTEGER, "updated_at": maybe(TIME),
    "curated_fields": {**STRINGS, "description": "Fields a curator set: imports never change "
                       "them"},
    "capabilities": {"type": "array", "items": MAPPING}}, {
        "frameworks": {"type": "object", "additionalProperties": {"type": "array",
                                                                  "items": MAPPING},
                       "description": "Mappings to the other frameworks loaded, by framework "
                                      "id (`capabilities`: DART-Ed's)"}})]}
RESOURCE_PAGE = obj({"items": listing("Resource"), "page": INTEGER, "per_page": INTEGER,
                     "total": INTEGER,
                     "links": obj({}, {"next": {**STRING, "description": "The next page"}})})
IMPORT_RESULT = obj({"new": STRINGS, "updated": STRINGS, "unchanged": STRINGS,
                     "index_task": {**maybe(STRING), "description": "The index update queued, "
                                    "or null when nothing changed or the broker is away"}})
COUNT = {**INTEGER, "minimum": 0}
IMPORT_JOB = obj({
    "id": STRING,
    "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "not-queued"]},
    "stalled": {**BOOLEAN, "description": "Running, but its worker stopped reporting: it runs "
                "again from scratch if its task is delivered again"},
    "attempts": {**COUNT, "description": "How often a worker started it"},
    "source": STRING, "format": maybe(STRING), "profile": maybe(STRING),
    "options": obj({"free_access": BOOLEAN, "strict": BOOLEAN, "dry_run": BOOLEAN}),
    "counts": obj({"total": {**maybe(INTEGER), "description": "Records in the source, once "
                             "counted"},
                   "read": COUNT, "admitted": COUNT, "held": COUNT, "rejected": COUNT}),
    "detail": {**maybe(STRING), "description": "What it is doing, or why it failed"},
    "summary": {**maybe(STRING), "description": "N new, N updated, N unchanged, N held, "
                "N rejected"},
    "result": {"type": ["object", "null"], "description": "Once done", "properties": {
        "new": STRINGS, "updated": STRINGS, "unchanged": COUNT, "held": COUNT,
        "rejected": COUNT, "dry_run": BOOLEAN,
        "rejected_reasons": {**STRINGS, "description": "The first 100"},
        "held_reasons": {**STRINGS, "description": "The first 100"}}},
    "index_task": {**maybe(STRING), "description": "The index update it queued"},
    "created_at": TIME, "started_at": maybe(TIME), "heartbeat_at": maybe(TIME),
    "finished_at": maybe(TIME),
    "links": obj({"self": STRING}, {"index_build": STRING}),
})
BECAUSE = obj({
    "capability": STRING, "statement": STRING, "domain": STRING, "capability_level": INTEGER,
    "severity": INTEGER,
    "match": {"type": "string", "enum": ["curated", "similar", "weak"]},
    "score": NUMBER,
    "signals": obj({"similarity": NUMBER, "lexical_rank": maybe(INTEGER), "curated": BOOLEAN,
                    "archetype_fit": BOOLEAN, "level_fit": BOOLEAN,
                    "goal_similarity": maybe(NUMBER)}),
    "reason": {**STRING, "description": "Why, in a sentence"},
    "inferred": {**STRINGS, "description": "The resource's labels that were inferred from its "
                 "text because the source did not state them (archetypes, level, ...)"},
}, {"gap_text": {**STRING, "description": "For a gap given in words: the words (merged gaps "
                 "joined by ' / ')"},
    "statement_matched": {**BOOLEAN, "description": "For a gap given in words: whether "
                          "`capability` matches the words (false: it is only the nearest "
                          "statement, and the gap was ranked by its words alone)"}})
TEXT_GAP = obj({
    "position": {**INTEGER, "description": "Its place in the request's `gaps`"},
    "text": STRING, "severity": INTEGER,
    "matches": {"type": "array", "description": "The statements the words match, best first, "
                "with cosine similarity", "items": obj({"capability": STRING,
                                                        "statement": STRING,
                                                        "similarity": NUMBER})},
    "ranked_as": {**maybe(STRING), "description": "The statement it was ranked as (merged "
                  "with any other gap on it, the worst severity kept), or null"},
    "note": maybe(STRING),
}, {"domain": STRING})
RECOMMENDED = {"allOf": [ref("ResourceSummary"), obj({
    "score": maybe(NUMBER), "because": {"type": "array", "items": BECAUSE},
    "also_serves": {**STRINGS, "description": "Further gaps it serves"}})]}
RECOMMENDATIONS = obj({
    "archetype": STRING, "baseline": listing("RecommendedResource"),
    "specialist": listing("RecommendedResource"),
}, {"recommendation_id": {**STRING, "description": "Send it back with feedback"},
    "assessment_id": STRING, "framework": STRING, "framework_version": maybe(STRING),
    "index_version": STRING,
    "page": INTEGER, "note": STRING, "detail": STRING,
    "text_gaps": {"type": "array", "items": TEXT_GAP,
                  "description": "How each gap given in words was read"}})
BATCH_RESULTS = obj({"results": {"type": "array", "items": {"oneOf": [
    obj({"status": {"const": 200}, "body": ref("Recommendations")}),
    obj({"status": {**INTEGER, "minimum": 400, "maximum": 599},
         "problem": ref("Problem")})]}}})
ROLE = obj({"id": STRING, "badge": STRING, "name": STRING, "description": STRING})
FRAMEWORK = obj({"framework": STRING, "version": maybe(STRING), "title": maybe(STRING),
                 "archetypes": {"type": "array", "items": ROLE},
                 "capabilities": {"type": "array", "items": obj({
                     "id": STRING, "text": STRING, "level": INTEGER, "archetypes": STRINGS,
                     "domain": STRING, "group": maybe(STRING), "provenance": STRING})}})
CROSSWALK_LINK = obj({"from": STRING, "to": STRING, "similarity": NUMBER, "status": STRING,
                     "decided_at": maybe(TIME)})
CROSSWALK = obj({"from": STRING, "to": STRING,
                 "links": {"type": "array", "items": ref("CrosswalkLink")}})
CROSSWALK_REFRESH = obj({"from": STRING, "to": STRING, "suggested": INTEGER,
                         "decided": INTEGER, "statements": INTEGER})
MAPPING_REVIEW = obj({"id": INTEGER, "resource": maybe(STRING), "capability": STRING,
                     "framework_version": STRING, "change": STRING, "reason": STRING,
                     "status": STRING})
MAPPING_REVIEWS = obj({"framework": STRING,
                       "items": {"type": "array", "items": ref("MappingReview")}})
FRAMEWORKS = obj({"default": STRING, "frameworks": {"type": "array", "items": obj({
    "id": STRING, "default": BOOLEAN, "version": STRING, "title": STRING,
    "source_url": STRING, "archetypes": {"type": "array", "items": ROLE},
    "statements": INTEGER, "domains": INTEGER, "versions": STRINGS,
    "indexed_version": maybe(STRING)})}})
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
GAPS = {"type": "array", "items": obj({"capability": STRING, "severity": INTEGER})}
ASSESSMENT = obj({
    "id": STRING, "learner_id": maybe(STRING), "framework": STRING,
    "framework_version": STRING, "archetypes": STRINGS, "skipped_domains": STRINGS,
    "created_at": TIME,
    "answers": {"type": "array", "items": obj({"capability": STRING, "rating": INTEGER})},
    "gaps": GAPS, "domains": ROLL_UP, "groups": ROLL_UP,
}, {"in_framework": {**obj({
    "framework": STRING, "framework_version": maybe(STRING), "unreached": STRINGS,
    "answers": {"type": "array", "items": obj({"capability": STRING, "rating": INTEGER,
                                               "from": STRINGS})},
    "gaps": GAPS}), "description": "With ?framework=: the assessment read against that "
                                   "framework through confirmed crosswalk links"}})
LEARNER = obj({"learner_id": STRING, "created_at": TIME, "assessments": listing("Assessment"),
               "plans": listing("Plan"),
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
HELD_RECORD = obj({
    "id": INTEGER, "status": {"type": "string", "enum": list(HELD_STATUSES)},
    "source": {**STRING, "description": "The file or URL it was read from"},
    "record": {**maybe(STRING), "description": "Its place in the source"},
    "title": maybe(STRING), "url": maybe(STRING),
    "field": {**maybe(STRING), "description": "The field that keeps it out"},
    "reason": {**STRING, "description": "Why it was held, for a person to read"},
    "data": {"type": "object", "description": "What the source said, in our field names"},
    "resource": {**maybe(STRING), "description": "The resource it became, once admitted"},
    "import": {**maybe(STRING), "description": "The import job that held it"},
    "created_at": maybe(TIME), "updated_at": maybe(TIME), "decided_at": maybe(TIME),
}, {"index_task": {**maybe(STRING), "description": "On admission: the index update queued, "
                   "or null when the broker is away"}})
HELD_RECORD_PAGE = obj({
    "items": listing("HeldRecord"), "page": INTEGER, "per_page": INTEGER,
    "total": {**INTEGER, "description": "How many match the filters"},
    "counts": obj({status: INTEGER for status in HELD_STATUSES},
                  description="How many there are in each status, whatever the filters"),
    "links": obj({}, {"next": {**STRING, "description": "The next page"}})})
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
