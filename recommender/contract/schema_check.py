"""A quick yes to "is this value valid against this JSON Schema?", for the common case.

``jsonschema`` walks a schema generically: a 10-gap recommendation body took 0.25-0.4 ms to
validate, the largest single cost of a request after ranking. A schema built only of the
keywords below is compiled here, once, into plain Python checks that answer in a few
microseconds. They are stricter than JSON Schema where that is simpler (an enum value must
have its listed value's type: ``2.0`` is not ``2`` here), so they never pass a value that
``jsonschema`` would refuse; what they refuse, and any schema with another keyword, goes to
``jsonschema``, which then words the errors. ``tests/test_schema_check.py`` checks the
first claim against ``jsonschema`` on generated bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Check = Callable[[object], bool]

# annotations: they say nothing about validity ("format" included: the validators are built
# without a format checker, so jsonschema does not assert it either)
_IGNORED = {"description", "default", "examples", "title", "x-error", "deprecated",
            "readOnly", "writeOnly", "format"}
_TYPES: dict[str, Callable[[object], bool]] = {
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,  # not bool, not 1.0 (the service refuses 1.0)
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "array": lambda v: type(v) is list,
    "object": lambda v: type(v) is dict,
    "null": lambda v: v is None,
}
_compiled: dict[int, tuple[dict, Check | None]] = {}


def valid(value: object, schema: dict) -> bool:
    """True only when ``value`` is valid against ``schema``; False when it is not or when the
    quick checks cannot tell (then ask ``jsonschema``)."""
    found = _compiled.get(id(schema))
    if found is None or found[0] is not schema:
        found = _compiled[id(schema)] = (schema, _compile(schema))
    return found[1] is not None and found[1](value)


def _compile(schema: dict) -> Check | None:
    """The schema's checks, or None when it uses a keyword not compiled here."""
    if not isinstance(schema, dict):
        return None
    checks: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in _IGNORED:
            continue
        check = _keyword(keyword, argument, schema)
        if check is None:
            return None
        checks.append(check)
    return lambda v: all(check(v) for check in checks)


def _keyword(keyword: str, argument, schema: dict) -> Check | None:
    if keyword == "type":
        names = [argument] if isinstance(argument, str) else argument
        if not all(n in _TYPES for n in names):
            return None
        tests = [_TYPES[n] for n in names]
        return lambda v: any(t(v) for t in tests)
    if keyword == "enum":
        allowed = {(type(e), e) for e in argument if e is None or type(e) in (str, int, bool)}
        if len(allowed) != len(argument):
            return None
        return lambda v: (type(v), v) in allowed if _hashable(v) else False
    if keyword in ("minLength", "maxLength", "pattern"):
        return _string(keyword, argument)
    if keyword in ("minimum", "maximum"):
        low = keyword == "minimum"
        return lambda v: type(v) not in (int, float) or (v >= argument if low else v <= argument)
    if keyword in ("minItems", "maxItems"):
        low = keyword == "minItems"
        return lambda v: type(v) is not list or (len(v) >= argument if low
                                                 else len(v) <= argument)
    if keyword == "uniqueItems":
        # strings only: JSON Schema's equality of other values (1 and 1.0, nested) differs
        # from Python's
        return None if argument is not True else (
            lambda v: type(v) is not list or (all(type(x) is str for x in v)
                                              and len(set(v)) == len(v)))
    if keyword == "items":
        item = _compile(argument)
        return None if item is None else (
            lambda v: type(v) is not list or all(item(x) for x in v))
    if keyword == "required":
        return lambda v: type(v) is not dict or all(name in v for name in argument)
    if keyword == "properties":
        fields = {name: _compile(sub) for name, sub in argument.items()}
        if any(check is None for check in fields.values()):
            return None
        return lambda v: type(v) is not dict or all(
            fields[k](x) for k, x in v.items() if k in fields)
    if keyword == "additionalProperties":
        if argument is not False:
            return None
        known = set(schema.get("properties", {}))
        return lambda v: type(v) is not dict or all(k in known for k in v)
    return None


def _string(keyword: str, argument) -> Check:
    if keyword == "pattern":
        search = re.compile(argument).search
        return lambda v: type(v) is not str or search(v) is not None
    if keyword == "minLength":
        return lambda v: type(v) is not str or len(v) >= argument
    return lambda v: type(v) is not str or len(v) <= argument


def _hashable(value: object) -> bool:
    return value is None or type(value) in (str, int, bool, float)
