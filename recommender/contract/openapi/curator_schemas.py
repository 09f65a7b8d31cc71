"""JSON Schemas of curators' decisions (near-duplicate flags, suggested mappings, crosswalk
links, held records), shared by the validators and the OpenAPI document."""

from __future__ import annotations

from functools import lru_cache

from recommender.contract.openapi.schemas import (
    CAPABILITY_ID,
    FLAG_STATUSES,
    FRAMEWORK,
    MAX_FREE_TEXT,
    RESOURCE_FIELDS,
    text,
)

FLAG_UPDATE = {
    "type": "object", "additionalProperties": False, "required": ["status"],
    "properties": {"status": {"type": "string", "enum": list(FLAG_STATUSES)}},
    "examples": [{"status": "dismissed"}],
}
SUGGESTION_DECISION = {
    "type": "object", "additionalProperties": False, "required": ["decision"],
    "description": "A curator's verdict on a suggested mapping: accept (it becomes curated) or "
                   "reject (it is never suggested for this resource again); both are kept and "
                   "teach later suggestions",
    "properties": {"decision": {"type": "string", "enum": ["accept", "reject"]},
                   "framework": {**FRAMEWORK, "description": "The framework of the "
                                 "suggested statement (DART-Ed's when left out)"}},
    "examples": [{"decision": "reject"},
                 {"decision": "accept", "framework": "northfield-digital"}],
}
CROSSWALK_STATUSES = ("suggested", "confirmed", "rejected")
CROSSWALK_DECISION = {
    "type": "object", "additionalProperties": False, "required": ["from", "to", "decision"],
    "description": "A curator's verdict on one crosswalk link",
    "properties": {"from": CAPABILITY_ID, "to": CAPABILITY_ID,
                   "decision": {"type": "string", "enum": ["confirm", "reject"]}},
    "examples": [{"from": "6.0.1", "to": "2.0.1", "decision": "confirm"}],
}
REVIEW_DECISION = {
    "type": "object", "additionalProperties": False, "required": ["decision"],
    "description": "A curator's verdict on a curated mapping a new framework version put up "
                   "for review: keep it, or remove it (it is not suggested again)",
    "properties": {"decision": {"type": "string", "enum": ["keep", "remove"]}},
    "examples": [{"decision": "keep"}],
}
HELD_DECISIONS = ("admit", "reject")
ONLY_WITH = {"not": {}}  # a field allowed only with another decision (see held_decision)


@lru_cache
def held_decision(fixable: tuple[str, ...]) -> dict:
    """A curator's decision on a held record: admit it, with fixes to the ``fixable`` fields
    (each as the catalogue takes it; the record's own value stays for any field not given),
    or reject it with a reason. Whether the fixed record may enter is checked on admission
    (the licence policy, the statement ids of the current framework)."""
    return {
        "type": "object", "additionalProperties": False, "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "enum": list(HELD_DECISIONS)},
            "fixes": {"type": "object", "additionalProperties": False,
                      "properties": {name: RESOURCE_FIELDS[name] for name in fixable},
                      "description": "Admit only: the fields to change before admitting"},
            "reason": text(MAX_FREE_TEXT, description="Reject only: why, for the record"),
        },
        "allOf": [
            {"if": {"required": ["decision"], "properties": {"decision": {"const": "admit"}}},
             "then": {"properties": {"reason": {**ONLY_WITH,
                                                "x-error": "is only for the decision reject"}}}},
            {"if": {"required": ["decision"], "properties": {"decision": {"const": "reject"}}},
             "then": {"properties": {"fixes": {**ONLY_WITH,
                                               "x-error": "is only for the decision admit"}}}},
        ],
        "examples": [{"decision": "admit", "fixes": {"licence": "CC-BY-4.0"}},
                     {"decision": "reject", "reason": "A paid course, not an open resource"}],
    }


