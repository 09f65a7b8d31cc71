"""JSON answers are encoded by orjson and mean exactly what Flask's standard-library encoding
meant: same values, same key order, Flask's rules for dates and the other types it knows."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from recommender.contract.encoding import JSONProvider


@dataclass
class Point:
    x: int
    y: float


VALUES = [
    {"z": 1, "a": [0.1, 1e-05, 2.5e20, -0.0, 0.6312345],
     "m": "caf\u00e9 \u201cquoted\u201d \u2026"},
    {"when": datetime(2026, 4, 8, 9, 30, tzinfo=UTC), "day": date(2026, 4, 8)},
    {"point": Point(1, 2.5), "id": UUID(int=7), "price": Decimal("1.10"),
     "html": Markup("<b>x</b>")},
    {1: "int key", None: "null key", 2.5: "float key"},
    {"big": 2**70, "nested": [[{"deep": True}]], "empty": {}},
]


def _old(app, value) -> bytes:
    provider = DefaultJSONProvider(app)
    provider.sort_keys = False
    with app.app_context():
        return provider.response(value).get_data()


@pytest.mark.parametrize("value", VALUES)
def test_an_answer_decodes_to_what_the_standard_library_answer_decodes_to(empty_app, value):
    assert isinstance(empty_app.json, JSONProvider)
    with empty_app.app_context():
        response = empty_app.json.response(value)
    new = response.get_data()
    assert response.mimetype == "application/json" and new.endswith(b"\n")
    assert json.loads(new) == json.loads(_old(empty_app, value))
    assert list(json.loads(new)) == list(json.loads(_old(empty_app, value)))  # key order


def test_text_is_sent_as_utf8_and_what_orjson_refuses_goes_to_the_standard_library(empty_app):
    with empty_app.app_context():
        text = empty_app.json.response({"m": "\u201cquoted\u201d"}).get_data()
        big = empty_app.json.response({"big": 2**70}).get_data()
    assert "\u201cquoted\u201d".encode() in text
    assert big == _old(empty_app, {"big": 2**70})


def test_debug_answers_are_indented_as_before(empty_app):
    empty_app.debug = True
    try:
        with empty_app.app_context():
            assert empty_app.json.response(VALUES[0]).get_data() == _old(empty_app, VALUES[0])
    finally:
        empty_app.debug = False
