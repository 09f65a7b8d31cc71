"""JSON Schemas of learning plans: the request the validator checks (``PLAN_REQUEST``) and the
answer the OpenAPI document publishes (``PLAN``); docs/plans.md explains both."""

from __future__ import annotations

from recommender.contract.openapi.responses import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    TIME,
    maybe,
    obj,
)
from recommender.contract.openapi.schemas import (
    CAPABILITY_ID,
    FRAMEWORK,
    LEARNER_ID,
    ROLE,
    SEVERITIES,
    nullable,
)

MAX_PLAN_GAPS = 250  # more than any framework version's statements
DEFAULT_WEEKLY_MINUTES = 120
MAX_WEEKLY_MINUTES = 40 * 60
MAX_WEEKS = 104

PLAN_GAP = {
    "type": "object", "additionalProperties": False, "required": ["capability"],
    "properties": {
        "capability": CAPABILITY_ID,
        "severity": {"enum": list(SEVERITIES), "default": 2,
                     "description": "1 a little short, 2 short, 3 far short"},
    },
}
PLAN_REQUEST = {
    "type": "object", "additionalProperties": False,
    "description": "Give `assessment_id` (the plan then follows the learner: a later "
                   "assessment re-makes it), or `archetype` and `gaps`; not both. Capability "
                   "ids must be in the framework's current version (`framework`, DART-Ed by "
                   "default), each listed once.",
    "properties": {
        "assessment_id": nullable({"type": "string", "minLength": 1, "maxLength": 64,
                                   "description": "The id of a stored assessment"}),
        "framework": FRAMEWORK,
        "archetype": nullable(ROLE),
        "gaps": nullable({"type": "array", "minItems": 1, "maxItems": MAX_PLAN_GAPS,
                          "items": PLAN_GAP}),
        "learner_id": nullable({**LEARNER_ID, "description": "With `gaps`: the learner the "
                                "plan belongs to (their completions tick it; exporting or "
                                "deleting their data includes it)"}),
        "weekly_minutes": {"type": "integer", "minimum": 15, "maximum": MAX_WEEKLY_MINUTES,
                           "default": DEFAULT_WEEKLY_MINUTES,
                           "description": "The learner's protected learning time a week",
                           "x-error": f"must be a whole number of minutes from 15 to "
                                      f"{MAX_WEEKLY_MINUTES}"},
        "start": nullable({"type": "string", "format": "date",
                           "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                           "description": "The first week's first day (default: today)",
                           "x-error": "must be a date such as 2027-01-04"}),
        "weeks": nullable({"type": "integer", "minimum": 1, "maximum": MAX_WEEKS,
                           "description": "At most this many weeks (default: as many as the "
                                          f"gaps need, up to {MAX_WEEKS})",
                           "x-error": f"must be a whole number of weeks from 1 to "
                                      f"{MAX_WEEKS}"}),
    },
    "examples": [{"archetype": "user", "weekly_minutes": 60, "weeks": 8,
                  "gaps": [{"capability": "1.1.1", "severity": 3},
                           {"capability": "6.0.1", "severity": 2}]}],
}

REASON = obj({"capability": STRING, "statement": STRING, "source": {
    "type": "string", "enum": ["curated", "suggested", "completed"]}, "confidence": NUMBER})
PLAN_ITEM = obj({
    "id": maybe(STRING), "title": STRING, "url": STRING, "licence": STRING, "provider": STRING,
    "format": STRING, "level": STRING, "minutes": INTEGER, "minutes_estimated": BOOLEAN,
    "status": {"type": "string", "enum": ["to_do", "done"]},
    "serves": {"type": "array", "items": REASON,
               "description": "The gaps it is in the plan for, and why it counts for each"},
}, {"completed_at": maybe(STRING), "this_week_minutes": INTEGER,
    "part": {**STRING, "description": "'1 of 3' when an item runs across weeks"}})
PLAN_WEEK = obj({"week": INTEGER, "starts": STRING, "minutes": INTEGER,
                 "items": {"type": "array", "items": PLAN_ITEM}})
PLAN = obj({
    "id": STRING, "archetype": maybe(STRING), "weekly_minutes": INTEGER, "start": STRING,
    "weeks": {"type": "array", "items": PLAN_WEEK},
    "uncovered": {"type": "array", "items": obj({"capability": STRING, "severity": INTEGER,
                                                 "reason": STRING})},
    "total_minutes": INTEGER, "done_minutes": INTEGER, "left_minutes": INTEGER,
    "gaps": {"type": "array", "items": obj({"capability": STRING, "severity": INTEGER,
                                            "covered_by": maybe(STRING)})},
    "created_at": TIME, "updated_at": TIME,
}, {"learner_id": maybe(STRING), "assessment_id": maybe(STRING), "week_limit": maybe(INTEGER),
    "this_week": maybe(INTEGER), "links": obj({}, {"calendar": STRING, "xapi": STRING,
                                                   "page": STRING})},
    description="A learning plan: weeks of items, each with the gaps it serves and why; the "
                "gaps it leaves uncovered, with the reason; the time in total, done and left")
XAPI = {"type": "array", "items": obj({"actor": {"type": "object"}, "verb": {"type": "object"},
                                       "object": {"type": "object"}}, {
    "context": {"type": "object"}, "timestamp": STRING, "result": {"type": "object"}}),
    "description": "xAPI 1.0.3 statements, one per completed item"}
