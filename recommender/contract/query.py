"""The one query-string validator: declared parameters in, their values out, or a 422 that
names every parameter at fault (pointer ``?name``) in one wording.

A declaration maps each parameter's name to the JSON Schema of its value, in the subset a
query string needs (the fragment the OpenAPI document publishes for it)::

    {"page": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1},
     "level": {"type": "string", "enum": ["baseline", "specialist"]},
     "q": {"type": "string", "maxLength": 200}}

Declarations are plain data, so the module that owns a concept declares its filters without
importing this one; the API and the pages pass them here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from flask import request
from werkzeug.datastructures import MultiDict

from recommender.problems import invalid

UNKNOWN = "unknown parameter"
NUL = "must not contain NUL characters"  # PostgreSQL refuses them in text


def query_args(declared: Mapping[str, Mapping], *,
               parse: Mapping[str, Callable[[str], object]] | None = None,
               args: MultiDict | None = None) -> dict:
    """The declared parameters' values from the query string (``request.args`` unless
    ``args``), each by its name: text stripped of surrounding spaces, whole numbers as ints,
    the ``default`` (else None) when a parameter is absent or blank. ``parse`` may convert a
    checked value further, raising ValueError with the detail when it cannot. A 422 names
    every parameter at fault, an undeclared one too."""
    given = request.args if args is None else args
    values, errors = {}, refused(given, declared)
    for name, schema in declared.items():
        raw = given.get(name, "").strip()
        if not raw:
            values[name] = schema.get("default")
            continue
        if "\x00" in raw:
            continue  # named by refused()
        value, detail = _value(raw, schema)
        if detail is None and parse is not None and name in parse:
            try:
                value = parse[name](value)
            except ValueError as exc:
                detail = str(exc)
        if detail is not None:
            errors.append({"pointer": f"?{name}", "detail": detail})
        values[name] = value
    if errors:
        raise invalid(errors)
    return values


def refused(given: MultiDict, known: Iterable[str] | None) -> list[dict]:
    """Errors for the parameters not in ``known`` (None: any name is known) and for a NUL in
    any name or value."""
    known = None if known is None else set(known)
    errors = [{"pointer": f"?{name}", "detail": UNKNOWN}
              for name in sorted(set(given) - known)] if known is not None else []
    nul = {name for name, value in given.items(multi=True) if "\x00" in name + value}
    return errors + [{"pointer": f"?{name}", "detail": NUL} for name in sorted(nul)]


def _value(raw: str, schema: Mapping) -> tuple[object, str | None]:
    """A parameter's text as its declared type, and the detail of what is wrong with it."""
    if schema.get("type") == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        number = int(raw) if raw.isascii() and raw.isdigit() else None
        if number is None or (low is not None and number < low) or \
                (high is not None and number > high):
            return None, _whole_number(low, high)
        return number, None
    if "enum" in schema and raw not in schema["enum"]:
        return raw, "must be one of " + ", ".join(str(v) for v in schema["enum"])
    if "maxLength" in schema and len(raw) > schema["maxLength"]:
        return raw, f"must be at most {schema['maxLength']} characters"
    return raw, None


def _whole_number(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"must be a whole number from {low} to {high}"
    if low is not None:
        return f"must be a whole number of at least {low}"
    return "must be a whole number" + (f" of at most {high}" if high is not None else "")
