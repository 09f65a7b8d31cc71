"""What a valid import profile is: its fields and keys, the JSON schema that checks a profile
document, and the checks the schema cannot express, each problem worded as 'dotted.key: what is
wrong' (catalogue/importers/profiles.py reads profiles; docs/catalogue-formats.md describes
them)."""

from __future__ import annotations

import yaml
from jsonschema import Draft202012Validator

from catalogue.errors import DataError

SOURCE_FORMATS = ("csv", "yaml", "json", "jsonl")
FIELDS = ("id", "title", "url", "provider", "licence", "access", "description", "format",
          "level", "archetypes", "capabilities", "duration_minutes", "topics", "language")
LIST_FIELDS = frozenset({"archetypes", "capabilities", "topics"})
REQUIRED_COLUMNS = ("title", "url")
# the most values one field of one record may hold once lists are flattened: YAML aliases can
# make a few bytes stand for millions of items
MAX_VALUES = 10_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TEXT = {"type": "string", "minLength": 1}
_DOTTED = {"type": "string", "pattern": r"^[^.]+(\.[^.]+)*$"}
_COLUMN_SPEC = {
    # a column name, or a mapping; the object keywords only apply to a mapping
    "type": ["string", "object"], "minLength": 1,
    "required": ["column"], "additionalProperties": False,
    "properties": {
        "column": _TEXT,
        "separator": _TEXT,
        "map": {"type": "object", "additionalProperties": _TEXT},
        "drop": {"type": "array", "items": {"type": "string"}},
        "first": {"type": "boolean"},
    },
}
_DEFAULT = {"anyOf": [_TEXT, {"type": "integer"}, {"type": "array", "items": _TEXT}]}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "columns"],
    "additionalProperties": False,
    "properties": {
        "format": {"enum": list(SOURCE_FORMATS)},
        "description": {"type": "string"},
        "records": _DOTTED,
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "free_access": {"type": "boolean"},
        "defaults": {"type": "object", "propertyNames": {"enum": list(FIELDS)},
                     "additionalProperties": _DEFAULT},
        "columns": {"type": "object", "propertyNames": {"enum": list(FIELDS)},
                    "required": list(REQUIRED_COLUMNS), "additionalProperties": _COLUMN_SPEC},
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)
_TYPE_WORDS = {"string": "a string", "object": "a mapping", "array": "a list",
               "boolean": "true or false", "integer": "a whole number"}


def problems(document: dict, name: str) -> list[str]:
    """Every problem of a parsed profile document, each starting with the dotted key at fault;
    DataError at once for a key that is not text."""
    check_keys(document, name)
    errors = sorted(_VALIDATOR.iter_errors(document), key=_error_order)
    messages = list(dict.fromkeys(_message(e) for e in errors))
    return messages + [m for m in _semantic_problems(document) if m not in messages]


def check_keys(document: object, name: str) -> None:
    """Every mapping key in the profile must be text (YAML reads ``yes:`` as true, ``1:`` as
    a number); walked without recursion, so any nesting depth is safe."""
    stack: list[tuple[object, str]] = [(document, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    at = f"{where}: " if where else ""
                    raise DataError(f"{at}keys must be text; quote {key!r}", source=name)
                stack.append((value, f"{where}.{key}" if where else key))
        elif isinstance(node, list):
            stack.extend((item, where) for item in node)


def _error_order(error) -> tuple:
    return tuple(str(p) for p in error.absolute_path), error.validator


def _message(error) -> str:
    """A jsonschema error as 'dotted.key: what is wrong'."""
    path = [str(p) for p in error.absolute_path]
    where = ".".join(path)
    kind = error.validator
    if "propertyNames" in error.relative_schema_path:
        return f"{where}.{error.instance}: not one of our fields ({', '.join(FIELDS)})"
    if kind == "required":
        if path == ["columns"]:
            missing = [k for k in REQUIRED_COLUMNS if k not in error.instance]
            return f"columns: {' and '.join(REQUIRED_COLUMNS)} are required (missing " \
                   f"{', '.join(missing)})"
        if len(path) == 2 and path[0] == "columns":
            return f"{where}: needs column: (the source column or key)"
        missing = [k for k in error.validator_value if k not in error.instance]
        return "; ".join(f"{k}: is required" for k in missing)
    if kind == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in known)
        what = "a column spec" if len(path) == 2 and path[0] == "columns" else "a profile"
        return "; ".join(f"{'.'.join([*path, k])}: not a key of {what} ({', '.join(known)})"
                         for k in extra)
    if kind == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        return f"{where}: must be {' or '.join(_TYPE_WORDS.get(w, w) for w in wanted)}"
    if kind == "enum":
        return f"{where}: must be one of {', '.join(map(str, error.validator_value))}"
    if kind == "minLength":
        return f"{where}: must not be empty"
    if kind == "maxLength":
        return f"{where}: must be one character"
    if kind == "pattern":
        return f"{where}: must be a dotted key path such as data.items"
    if kind == "anyOf" and path[:1] == ["defaults"]:
        return f"{where}: must be a string, a whole number or a list of strings"
    return f"{where or 'profile'}: {error.message}"


def _semantic_problems(document: dict) -> list[str]:
    """What the schema alone does not say: keys that only make sense for some formats, and
    map keys that repeat once case is ignored."""
    problems = []
    fmt = document.get("format")
    if "records" in document and fmt in ("csv", "jsonl"):
        problems.append(f"records: only for yaml and json sources (a {fmt} source is its "
                        "records)")
    if "delimiter" in document and fmt in SOURCE_FORMATS and fmt != "csv":
        problems.append("delimiter: only for csv sources")
    columns = document.get("columns")
    for name, spec in (columns.items() if isinstance(columns, dict) else []):
        mapping = spec.get("map") if isinstance(spec, dict) else None
        if not isinstance(mapping, dict):
            continue
        seen: dict[str, str] = {}
        for key, value in mapping.items():
            if not isinstance(key, str) or not isinstance(value, str):
                continue
            folded = key.strip().casefold()
            if folded in seen and seen[folded] != value:
                problems.append(f"columns.{name}.map.{key}: repeats another key (keys ignore "
                                "case) with a different value")
            seen.setdefault(folded, value)
    return problems


def safe_yaml(text: str) -> object:
    """YAML with the safe loader only (libyaml's when built in): plain data, no objects."""
    return yaml.load(text, Loader=_Loader)


def yaml_where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}" if mark else ""
