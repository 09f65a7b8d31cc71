"""The quick schema checks never pass a body that the JSON Schema validator refuses, and they
pass the everyday recommendation request, so that it is not walked by jsonschema."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.contract import schema_check
from recommender.contract.openapi import schemas
from recommender.contract.validation import schema_errors, validator

REQUEST = schemas.recommendation_request(50)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 120) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6)


def near(*values) -> st.SearchStrategy:
    """Values a field takes in valid bodies, and any JSON value now and then."""
    return st.sampled_from(values) | JSON


GAP = st.fixed_dictionaries({}, optional={
    "capability": near("6.0.1", "1.2", "6", "6.0.", ""),
    "text": near("robots", " ", "", "x" * 501),
    "domain": near("1", "6", "7", 6),
    "severity": near(1, 2, 3, 0, 2.0, True),
    "extra": JSON})
BODY = st.fixed_dictionaries({}, optional={
    "archetype": near("user", "driver", None, "nurse"),
    "gaps": st.lists(GAP, max_size=4) | near(None, []),
    "assessment_id": near("a1", "", None),
    "free_text": near("safe AI on my ward", None, "x" * 1001),
    "limit": near(1, 10, 50, 51, 0, 10.0, True),
    "page": near(1, 2, 100, 101, 1.0),
    "learner_id": near("learner-0001", "short", None),
    "filters": st.fixed_dictionaries({}, optional={
        "formats": st.lists(near("video", "course", "film"), max_size=3),
        "max_duration_minutes": near(1, 60, 0, None, 30.0),
        "providers": near(["NHS England"], [""], []),
        "exclude_completed": near(True, False, 1)}) | near(None),
    "preferences": st.fixed_dictionaries({}, optional={
        "formats": st.lists(near("video", "podcast", "radio"), max_size=2),
        "duration_minutes": near(30, 0, None),
        "level": near("baseline", "specialist", "expert", None)}) | near(None),
    "unknown": JSON})


@given(BODY)
def test_a_body_the_quick_checks_pass_has_no_schema_errors(body):
    if schema_check.valid(body, REQUEST):
        assert list(validator(REQUEST).iter_errors(body)) == []


@given(JSON)
def test_no_value_the_quick_checks_pass_breaks_the_schema(value):
    for schema in (REQUEST, schemas.FEEDBACK, schemas.ASSESSMENT, schemas.batch_request(10)):
        if schema_check.valid(value, schema):
            assert list(validator(schema).iter_errors(value)) == []


def test_the_everyday_request_passes_the_quick_checks():
    body = {"archetype": "user", "limit": 10, "free_text": "clinical safety",
            "gaps": [{"capability": "6.0.1", "severity": 2}, {"text": "robots in theatre"}],
            "filters": {"formats": ["video"], "max_duration_minutes": 60},
            "preferences": {"level": "specialist"}}
    assert schema_check.valid(body, REQUEST)
    assert schema_errors(body, REQUEST) == []


@pytest.mark.parametrize("change, pointers", [
    ({"limit": 10.0}, ["/limit"]),                      # 1.0 is not a whole number here
    ({"gaps": [{"text": "   "}]}, ["/gaps/0/text"]),
    ({"colour": "red"}, ["/colour"]),
    # stricter than JSON Schema, where 2.0 is the enum's 2: the schema validator decides
    ({"gaps": [{"capability": "6.0.1", "severity": 2.0}]}, []),
])
def test_what_the_quick_checks_refuse_the_schema_validator_decides(change, pointers):
    body = {"archetype": "user", "gaps": [{"capability": "6.0.1"}], **change}
    assert not schema_check.valid(body, REQUEST)
    assert [e["pointer"] for e in schema_errors(body, REQUEST)] == pointers
