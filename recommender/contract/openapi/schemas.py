"""JSON Schemas (2020-12) of the request bodies: the validators check bodies against these,
and the OpenAPI document publishes the same dicts, so the contract cannot drift from the code.

Rules a schema cannot state (a capability id must be in the current framework, a resource
must exist, ``gaps`` and ``assessment_id`` exclude each other) stay in the validators and are
named in the descriptions. ``x-error`` gives a field's message when its generic one would be
unclear.
"""

from __future__ import annotations

from functools import lru_cache

from catalogue.framework import ARCHETYPE_BADGES
from catalogue.licences import ACCESS
from catalogue.resources import FORMATS, LEVELS, MAPPING_SOURCES
from recommender.learners.rules import RATINGS

ARCHETYPES = list(ARCHETYPE_BADGES)  # shaper, driver, creator, embedder, user
DOMAIN_ID = {"type": "string", "pattern": "^[0-9]{1,9}$",
             "description": "A domain of the framework; DART-Ed's are 1-6",
             "x-error": "must be a domain number such as 2"}
FRAMEWORK = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$", "default": "dart-ed",
             "description": "A framework's id (GET /api/v1/frameworks); DART-Ed's when left out",
             "x-error": "must be a framework id: lower-case letters, digits and hyphens"}
# a role of the request's framework, checked against its data (DART-Ed's are ARCHETYPES)
ROLE = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,39}$",
        "description": "One of the framework's roles (archetypes), as GET /api/v1/frameworks "
                       "lists them; DART-Ed's are " + ", ".join(ARCHETYPES),
        "examples": ARCHETYPES,
        "x-error": "must be a role id: lower-case letters, digits and hyphens"}
MAX_GAPS = 60
DEFAULT_LIMIT = 10  # items per list when a request gives no limit
MAX_FREE_TEXT = 1000
MAX_PAGE = 100
SEVERITIES = (1, 2, 3)
DOMAINS = ("1", "2", "3", "4", "5", "6")
VERDICTS = ("useful", "not_useful", "started", "completed")
FLAG_STATUSES = ("open", "dismissed", "confirmed")
MAX_RESOURCES = 500  # per POST /resources

CAPABILITY_ID = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)+$",
                 "description": "A capability statement id of the current framework version "
                                "(see GET /api/v1/framework)", "examples": ["6.0.1"],
                 "x-error": "must be a capability statement id such as '6.0.1'"}
LEARNER_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
              "description": "The learner's opaque id in the calling platform: 8-64 letters, "
                             "digits, hyphens or underscores, never a name or an email",
              "examples": ["learner-0001"],
              "x-error": "must be 8-64 letters, digits, hyphens or underscores (an opaque id, "
                         "never a name or email)"}
MINUTES = {"type": "integer", "minimum": 1, "description": "Minutes",
           "x-error": "must be a positive whole number of minutes"}
TEXTS = {"type": "array", "items": {"type": "string", "minLength": 1}}


def text(most: int, **more) -> dict:
    """A string that is not blank, of at most ``most`` characters."""
    return {"type": "string", "minLength": 1, "maxLength": most, "pattern": r"\S",
            "x-error": f"must be text (not blank) of at most {most} characters", **more}


def nullable(schema: dict) -> dict:
    """The schema, or JSON null (which the validators treat as the field left out)."""
    if "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    widened = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        widened["enum"] = [*schema["enum"], None]
    return widened


MAX_GAP_TEXT = 500
GAP = {
    "type": "object", "additionalProperties": False,
    "description": "One capability gap and how far the learner is from it: a statement id "
                   "(`capability`), or the gap in the learner's or platform's own words "
                   "(`text`, optionally with the `domain` it belongs to), which the service "
                   "maps to the statements it matches and also uses as a query. Give one of "
                   "`capability` and `text`. Gaps that come to the same statement are merged, "
                   "keeping the worst severity.",
    "properties": {
        "capability": CAPABILITY_ID,
        "text": text(MAX_GAP_TEXT, description="The gap in words, for example 'Critically "
                     "appraise supplier claims about AI performance'"),
        "domain": {"enum": list(DOMAINS), "description": "With `text`: match only statements "
                   "of this framework domain (1-6)"},
        "severity": {"enum": list(SEVERITIES), "default": 2,
                     "description": "1 a little short, 2 short, 3 far short"},
    },
}
FILTERS = {
    "type": "object", "additionalProperties": False,
    "description": "Hard constraints: a resource that fails one is never shown",
    "properties": {
        "formats": {"type": "array", "items": {"enum": list(FORMATS)}},
        "max_duration_minutes": nullable(MINUTES),
        "licences": {**TEXTS, "description": "SPDX-style licence ids", "examples": [
            ["CC-BY-4.0", "OGL-UK-3.0"]]},
        "providers": TEXTS,
        "languages": {**TEXTS, "examples": [["en"]]},
        "exclude_completed": {"type": "boolean", "default": True,
                              "description": "Leave out what the learner marked completed"},
    },
}
PREFERENCES = {
    "type": "object", "additionalProperties": False,
    "description": "Soft wishes: they lift matching resources and never hide others",
    "properties": {
        "formats": {"type": "array", "items": {"enum": list(FORMATS)}},
        "duration_minutes": nullable(MINUTES),
        "level": nullable({"type": "string", "enum": list(LEVELS),
                           "description": "Overrides the rule that level 1-2 gaps get "
                                          "baseline and level 3-4 gaps specialist learning"}),
    },
}


@lru_cache
def recommendation_request(max_limit: int) -> dict:
    """A recommendation request; ``limit`` is bounded by RECOMMENDATION_MAX_LIMIT."""
    return {
        "type": "object", "additionalProperties": False,
        "description": "A learner's archetype and gaps. Give `gaps`, or `assessment_id` to use "
                       "a stored self-assessment's gaps (then `archetype` may be left out), or "
                       "neither for a starter path for the archetype; not both. Capability ids "
                       "must be in the framework's current version (`framework`, DART-Ed by "
                       "default), each listed once.",
        "properties": {
            "framework": FRAMEWORK,
            "archetype": nullable(ROLE),
            "gaps": nullable({"type": "array", "minItems": 1, "maxItems": MAX_GAPS,
                              "items": GAP}),
            "assessment_id": nullable({"type": "string", "minLength": 1, "maxLength": 64,
                                       "description": "The id of a stored assessment"}),
            "free_text": nullable({"type": "string", "maxLength": MAX_FREE_TEXT,
                                   "description": "The learner's goal in their own words"}),
            "limit": {"type": "integer", "minimum": 1, "maximum": max_limit,
                      "default": DEFAULT_LIMIT, "description": "Items per list"},
            "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            "learner_id": nullable(LEARNER_ID),
            "filters": nullable(FILTERS),
            "preferences": nullable(PREFERENCES),
        },
        "examples": [{"archetype": "user", "limit": 3,
                      "gaps": [{"capability": "6.0.1", "severity": 2},
                               {"capability": "6.3.2", "severity": 3}],
                      "free_text": "how to tell whether an AI tool is safe to use on my ward"},
                     {"archetype": "driver", "limit": 3,
                      "gaps": [{"text": "Critically appraise supplier claims about AI "
                                        "performance", "severity": 3, "domain": "6"}]}],
    }


@lru_cache
def batch_request(max_items: int, *, documented: bool = False) -> dict:
    """The batch body. The document shows each item as a recommendation request; the
    validator takes any value there, since each item is validated and answered on its own."""
    item = {"$ref": "#/components/schemas/RecommendationRequest"} if documented else {}
    return {
        "type": "object", "additionalProperties": False, "required": ["requests"],
        "properties": {"requests": {"type": "array", "minItems": 1, "maxItems": max_items,
                                    "items": item}},
        "examples": [{"requests": [{"archetype": "user", "limit": 2,
                                    "gaps": [{"capability": "6.0.1"}]},
                                   {"archetype": "driver", "limit": 2}]}],
    }


RESOURCE_FIELDS = {
    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,79}$",
           "x-error": "must be 2-80 lowercase letters, digits or hyphens"},
    "title": text(400),  # the lengths are the database columns
    "url": {"type": "string", "maxLength": 2000, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[!-Z^-~]+$",
            "description": "Absolute http(s) URL, ASCII (percent-encode other characters); "
                           "resources match by canonical URL",
            "x-error": "must be an absolute http(s) URL of at most 2000 ASCII characters"},
    "provider": text(200),
    "licence": text(60, description="SPDX-style id (common spellings are normalised); "
                                     "LicenseRef-Proprietary-Free for free-to-access content"),
    "access": {"type": "string", "enum": list(ACCESS)},
    "description": {"type": "string", "maxLength": 10_000},
    "format": {"type": "string", "enum": list(FORMATS)},
    "level": {"type": "string", "enum": list(LEVELS)},
    "archetypes": {"type": "array", "uniqueItems": True,
                   "items": {"type": "string", "enum": ARCHETYPES}},
    "capabilities": {"type": "array", "uniqueItems": True, "items": CAPABILITY_ID,
                     "description": "Statements it teaches; left empty, the indexer suggests "
                                    "some"},
    "duration_minutes": nullable(MINUTES),
    "mapping": {"type": "string", "enum": list(MAPPING_SOURCES), "default": "curated"},
    "topics": {"type": "array", "uniqueItems": True,
               "items": {"type": "string", "minLength": 1, "maxLength": 200}},
    "language": {"type": "string", "minLength": 1, "maxLength": 10, "default": "en",
                 "description": "BCP 47 language tag"},
}
# a title and a URL are all a resource needs: what it leaves out is inferred and marked so
# (the id from the URL, archetypes and level from the text, ...; docs/catalogue-formats.md)
RESOURCE_REQUIRED = ["title", "url"]
RESOURCE_EXAMPLE = {
    "id": "example-open-course", "title": "An example open course",
    "url": "https://www.example.org/course", "provider": "Example University",
    "licence": "CC-BY-4.0", "access": "open", "format": "course", "level": "baseline",
    "description": "A short open course on how machine learning models are trained and "
                   "tested, for clinicians new to AI.",
    "archetypes": ["user"], "capabilities": ["6.0.1"], "duration_minutes": 60,
}


@lru_cache
def resource_input() -> dict:
    """One catalogue resource as a client sends it (without an id, POST makes one from the
    URL; PUT takes it from the path)."""
    return {"type": "object", "additionalProperties": False, "required": RESOURCE_REQUIRED,
            "properties": RESOURCE_FIELDS, "examples": [RESOURCE_EXAMPLE]}


FEEDBACK = {
    "type": "object", "additionalProperties": False,
    "required": ["learner_id", "resource", "verdict"],
    "properties": {
        "learner_id": LEARNER_ID,
        "resource": {"type": "string", "minLength": 1, "maxLength": 80,
                     "description": "The resource's id", "x-error": "must be a resource's id"},
        "verdict": {"type": "string", "enum": list(VERDICTS)},
        "capability": nullable({**CAPABILITY_ID, "description": "The statement it was "
                                "recommended for, when known"}),
        "framework": {**FRAMEWORK, "description": "The framework of `capability` (DART-Ed's "
                      "when left out)"},
        "recommendation_id": nullable({"type": "string", "maxLength": 36,
                                       "x-error": "must be the id a recommendation response "
                                                  "gave"}),
    },
    "examples": [{"learner_id": "learner-0001", "resource": "example-open-course",
                  "verdict": "completed", "capability": "6.0.1"}],
}
ASSESSMENT = {
    "type": "object", "additionalProperties": False, "required": ["archetypes", "answers"],
    "description": "Ratings of the statements badged for the learner's archetypes. Each "
                   "capability must be in the framework's current version (`framework`, "
                   "DART-Ed by default), answered once and not in a skipped domain.",
    "properties": {
        "framework": FRAMEWORK,
        "learner_id": nullable(LEARNER_ID),
        "archetypes": {"type": "array", "minItems": 1, "items": ROLE},
        "answers": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["capability", "rating"],
            "properties": {"capability": CAPABILITY_ID,
                           "rating": {"enum": list(RATINGS),
                                      "description": "0 not aware ... 4 expert"}}}},
        "skipped_domains": nullable({"type": "array", "items": DOMAIN_ID}),
    },
    "examples": [{"learner_id": "learner-0001", "archetypes": ["user"],
                  "answers": [{"capability": "6.0.1", "rating": 1},
                              {"capability": "6.0.3", "rating": 3}]}],
}
