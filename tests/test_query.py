"""The one query-string validator (recommender.contract.query): declared parameters in, their
values or a 422 naming each one at fault out."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from recommender.contract.query import query_args
from recommender.problems import Problem

DECLARED = {
    "level": {"type": "string", "enum": ["baseline", "specialist"]},
    "q": {"type": "string", "maxLength": 5},
    "status": {"type": "string", "enum": ["held", "admitted"], "default": "held"},
    "page": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
}


def parsed(pairs, **kwargs) -> dict:
    with Flask(__name__).test_request_context():
        return query_args(DECLARED, args=MultiDict(pairs), **kwargs)


def errors(pairs, **kwargs) -> list[dict]:
    with pytest.raises(Problem) as caught:
        parsed(pairs, **kwargs)
    assert caught.value.status == 422
    return caught.value.errors


def test_values_defaults_and_blanks():
    assert parsed([("level", " baseline "), ("page", "3")]) == {
        "level": "baseline", "q": None, "status": "held", "page": 3}
    assert parsed([("status", " "), ("page", ""), ("q", "")]) == {
        "level": None, "q": None, "status": "held", "page": 1}


def test_every_parameter_at_fault_is_named_once_in_one_wording():
    assert errors([("colour", "red"), ("level", "advanced"), ("q", "too long"),
                   ("page", "0"), ("page", "2")]) == [
        {"pointer": "?colour", "detail": "unknown parameter"},
        {"pointer": "?level", "detail": "must be one of baseline, specialist"},
        {"pointer": "?q", "detail": "must be at most 5 characters"},
        {"pointer": "?page", "detail": "must be a whole number from 1 to 10"}]


@pytest.mark.parametrize("raw", ["11", "-1", "1.5", "two", "\u00b2"])
def test_whole_numbers_only_within_range(raw):
    assert errors([("page", raw)]) == [{"pointer": "?page",
                                        "detail": "must be a whole number from 1 to 10"}]


def test_a_nul_is_refused():
    assert errors([("q", "a\x00b")]) == [{"pointer": "?q",
                                          "detail": "must not contain NUL characters"}]


def test_parse_converts_a_checked_value_or_names_it():
    def upper(value: str) -> str:
        if value == "abc":
            raise ValueError("not this one")
        return value.upper()

    assert parsed([("q", "xy")], parse={"q": upper})["q"] == "XY"
    assert errors([("q", "abc")], parse={"q": upper}) == [{"pointer": "?q",
                                                           "detail": "not this one"}]
    assert errors([("q", "toolong")], parse={"q": upper})[0]["detail"].startswith("must be")
