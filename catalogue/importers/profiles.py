"""Import profiles: a small YAML file that says how a third-party catalogue maps onto our fields.

A profile names the source's format (csv, yaml, json or jsonl), where its records are, and for
each of our fields the source column or key that fills it, with optional splitting, value maps
and values to leave out (docs/catalogue-formats.md, "Import profiles"). ``read`` yields
``(record_number, mapping)`` pairs in our field names, or ``(record_number, DataError)`` for a
record that cannot be read at all, like the other readers; the values are the source's own
(licence URLs, level words), stripped, for validation to normalise. A field the source leaves
empty is left out of the mapping, so that the importer's inference can fill it.

The shipped profiles live in ``catalogue/data/profiles/<name>.yaml``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from catalogue.errors import DataError
from catalogue.framework import DATA_DIR

PROFILE_DIR = DATA_DIR / "profiles"
SOURCE_FORMATS = ("csv", "yaml", "json", "jsonl")
FIELDS = ("id", "title", "url", "provider", "licence", "access", "description", "format",
          "level", "archetypes", "capabilities", "duration_minutes", "topics", "language")
LIST_FIELDS = frozenset({"archetypes", "capabilities", "topics"})
REQUIRED_COLUMNS = ("title", "url")
SPEC_KEYS = ("column", "separator", "map", "drop", "first")
MAX_PROFILE_BYTES = 1024 * 1024
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
# "['CC-BY-4.0']": a list written out as text by the source's exporter
_LIST_LITERAL = re.compile(r"\[\s*(?:(?:'[^']*'|\"[^\"]*\")(?:\s*,\s*(?:'[^']*'|\"[^\"]*\"))*"
                           r"\s*,?\s*)?\]")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


@dataclass(frozen=True)
class Column:
    """How one of our fields is read from the source."""

    field: str
    column: str
    separator: str | None = None
    map: dict[str, str] = field(default_factory=dict)  # casefolded source value -> ours
    drop: frozenset[str] = frozenset()  # casefolded source values
    first: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.column.split("."))


@dataclass(frozen=True)
class Profile:
    """A validated import profile."""

    name: str
    format: str
    columns: dict[str, Column]
    records: tuple[str, ...] | None = None
    defaults: dict[str, object] = field(default_factory=dict)
    free_access: bool = False
    delimiter: str | None = None
    description: str = ""

    @property
    def fields(self) -> list[str]:
        """Our fields this profile can fill, in our order."""
        return [f for f in FIELDS if f in self.columns or f in self.defaults]


def shipped_profiles() -> list[str]:
    """The names of the profiles shipped with the package."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str) -> Profile:
    """A shipped profile by name (``dalia``), or a profile file by path; DataError naming the
    key at fault when the file is not a valid profile."""
    text = str(name_or_path)
    shipped = PROFILE_DIR / f"{text}.yaml"
    if re.fullmatch(r"[A-Za-z0-9_-]{1,100}", text) and _is_file(shipped):
        path = shipped
    elif Path(text).suffix.lower() in (".yaml", ".yml") or re.search(r"[/\\]", text) \
            or _is_file(Path(text)):
        path = Path(text)
    else:
        names = ", ".join(shipped_profiles()) or "none"
        raise DataError(f"no shipped profile {text!r}; the shipped ones are {names}, or give "
                        "the path of a profile file", source=text)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_PROFILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise DataError(f"cannot read profile file: {getattr(exc, 'strerror', None) or exc}",
                        source=text) from exc
    if len(data) > MAX_PROFILE_BYTES:
        raise DataError("profile file larger than 1 MB", source=text)
    try:
        document = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", source=text) from exc
    name = path.stem if path.parent == PROFILE_DIR else text
    return parse_profile(document, name)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL in it
        return False


def parse_profile(document: str | object, name: str = "profile") -> Profile:
    """A Profile from the text of a profile file (or its already-parsed mapping)."""
    if isinstance(document, str):
        try:
            document = _safe_yaml(document)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
            raise DataError(f"malformed YAML{_yaml_where(exc)}", source=name) from exc
    if not isinstance(document, dict):
        raise DataError("a profile must be a mapping with format: and columns:", source=name)
    _check_keys(document, name)
    problems = sorted(_VALIDATOR.iter_errors(document), key=_error_order)
    messages = list(dict.fromkeys(_message(e) for e in problems))
    messages += [m for m in _semantic_problems(document) if m not in messages]
    if messages:  # each message starts with the dotted key at fault
        raise DataError("; ".join(messages), source=name)
    columns = {f: _column(f, spec) for f, spec in document["columns"].items()}
    records = document.get("records")
    return Profile(
        name=name, format=document["format"], columns=columns,
        records=tuple(records.split(".")) if records else None,
        defaults={f: d for f, v in (document.get("defaults") or {}).items()
                  if (d := _default(f, v)) is not None},
        free_access=bool(document.get("free_access", False)),
        delimiter=document.get("delimiter"), description=document.get("description", ""))


def read(location: str, fetch: Callable[[str], str],
         profile: Profile) -> Iterator[tuple[int, object]]:
    """Every record of ``location`` in our field names, by ``profile``.

    Records are numbered as a spreadsheet shows lines for CSV, by line for JSON Lines and
    by 1-based position for YAML and JSON. A source that cannot be read at all (malformed,
    the records path missing, a CSV without the title or url column) raises DataError.
    """
    text = fetch(location).lstrip("\ufeff")
    if profile.format == "csv":
        yield from _read_csv(text, location, profile)
    elif profile.format == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError) as exc:
                reason = (f"malformed JSON: {exc.msg} at column {exc.colno}"
                          if isinstance(exc, json.JSONDecodeError) else "malformed JSON")
                yield number, DataError(reason, record=number, source=location)
                continue
            yield number, _convert(record, profile, number, location)
    else:
        for number, record in enumerate(_records(text, location, profile), start=1):
            yield number, _convert(record, profile, number, location)


# -- profile validation ------------------------------------------------------------------

def _check_keys(document: object, name: str) -> None:
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


def _column(name: str, spec: str | dict) -> Column:
    if isinstance(spec, str):
        return Column(field=name, column=spec.strip())
    return Column(
        field=name, column=spec["column"].strip(), separator=spec.get("separator"),
        map={k.strip().casefold(): v.strip() for k, v in (spec.get("map") or {}).items()},
        drop=frozenset(d.strip().casefold() for d in spec.get("drop") or []),
        first=spec.get("first", False))


def _default(name: str, value: object) -> object:
    """A default as a value of the field (a list for list fields); None when it is empty."""
    if isinstance(value, int):
        if name == "duration_minutes":
            return value
        value = str(value)
    if name == "duration_minutes" and isinstance(value, str) and re.fullmatch(
            r"\s*[0-9]{1,9}\s*", value):
        return int(value)
    items = [v.strip() for v in (value if isinstance(value, list) else [value]) if v.strip()]
    if not items:
        return None
    return items if name in LIST_FIELDS else items[0] if len(items) == 1 else items


def _safe_yaml(text: str) -> object:
    """YAML with the safe loader only (libyaml's when built in): plain data, no objects."""
    return yaml.load(text, Loader=_Loader)


def _yaml_where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}" if mark else ""


# -- reading sources ---------------------------------------------------------------------

def _records(text: str, location: str, profile: Profile) -> list:
    """The list of records of a YAML or JSON source."""
    try:
        document = _safe_yaml(text) if profile.format == "yaml" else json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                        source=location) from exc
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        kind = "YAML" if profile.format == "yaml" else "JSON"
        raise DataError(f"malformed {kind}{_yaml_where(exc)}", source=location) from exc
    if profile.records:
        node = document
        for depth, key in enumerate(profile.records, start=1):
            if not isinstance(node, dict) or key not in node:
                path = ".".join(profile.records[:depth])
                raise DataError(f"no '{path}' key holding the records (the profile's records: "
                                f"{'.'.join(profile.records)})", source=location)
            node = node[key]
        document = node
    if not isinstance(document, list):
        where = (f"'{'.'.join(profile.records)}' is not a list" if profile.records else
                 "the document is not a list; the profile's records: names the key of the list")
        raise DataError(f"expected a list of records: {where}", source=location)
    return document


def _read_csv(text: str, location: str, profile: Profile) -> Iterator[tuple[int, object]]:
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = profile.delimiter or (max(",;\t", key=header.count)
                                      if any(d in header for d in ",;\t") else ",")
    # newline="": the csv module splits lines itself (a lone CR, a newline inside quotes);
    # strict: an unclosed quote is an error, not the rest of the file read as one cell
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        names = [n for n in (reader.fieldnames or []) if n is not None]
        columns = {f: _header_match(c.column, names) for f, c in profile.columns.items()}
        missing = [f"{profile.columns[f].column!r} (for {f})" for f in REQUIRED_COLUMNS
                   if columns.get(f) is None]
        if missing:
            raise DataError(f"missing column {' and '.join(missing)}; the header has "
                            f"{', '.join(map(repr, names[:30])) or 'no columns'}",
                            source=location)
        for row in reader:
            number = reader.line_num
            if None in row:
                yield number, DataError("more cells than header columns", record=number,
                                        source=location)
                continue
            record = {f: row.get(name) for f, name in columns.items() if name is not None}
            yield number, _build(record, profile, number, location)
    except csv.Error as exc:
        raise DataError(f"malformed CSV at line {reader.line_num}: {exc}",
                        source=location) from exc


def _header_match(column: str, names: list[str]) -> str | None:
    """The header cell naming ``column``: exactly, else ignoring case and outer spaces."""
    if column in names:
        return column
    folded = column.strip().casefold()
    return next((n for n in names if n.strip().casefold() == folded), None)


def _convert(record: object, profile: Profile, number: int, location: str) -> object:
    """One YAML/JSON record -> our fields, or the DataError saying why it cannot be read."""
    if not isinstance(record, dict):
        return DataError("a record must be a mapping of keys to values", record=number,
                         source=location)
    values = {f: _lookup(record, c.path) for f, c in profile.columns.items()}
    return _build(values, profile, number, location)


def _lookup(record: dict, path: tuple[str, ...]) -> object:
    """The value at a dotted path; through a list, the values of each of its items."""
    values: list = [record]
    through_list = False
    for key in path:
        found: list = []
        for node in values:
            if isinstance(node, list):
                through_list = True
                found += [item[key] for item in node if isinstance(item, dict) and key in item]
            elif isinstance(node, dict) and key in node:
                found.append(node[key])
            if len(found) > MAX_VALUES:
                break
        values = found
    if not values:
        return None
    return values if through_list else values[0]


class _Shape(Exception):
    """A source value of a shape a field cannot take (a mapping where text was expected)."""


def _build(raw: dict, profile: Profile, number: int, location: str) -> object:
    out: dict[str, object] = {}
    for name, column in profile.columns.items():
        try:
            value = _value(raw.get(name), column)
        except _Shape as exc:
            return DataError(f"{column.column!r} {exc}", field=name, record=number,
                             source=location)
        if value is not None:
            out[name] = value
    for name, value in profile.defaults.items():
        if name not in out:
            out[name] = list(value) if isinstance(value, list) else value
    return out


def _value(raw: object, column: Column) -> object:
    """One field's value: texts stripped, split, filtered and mapped; None when empty."""
    if raw is None:
        return None
    texts = []
    for leaf in _leaves(raw):
        text = _text(leaf)
        if text is None:
            continue
        if text.startswith("[") and _LIST_LITERAL.fullmatch(text):
            texts += [a or b for a, b in _QUOTED.findall(text)]
        else:
            texts.append(text)
    if column.separator:
        texts = [part for text in texts for part in text.split(column.separator)]
    texts = [t.strip() for t in texts]
    texts = [t for t in texts if t and t.casefold() not in column.drop]
    if column.first and len(texts) > 1:
        texts = [_preferred(texts, column.map)]
    values = [v for v in (column.map.get(t.casefold(), t) for t in texts) if v]
    if not values:
        return None
    if column.field in LIST_FIELDS:
        unique: dict[str, str] = {}  # repeats ignoring case dropped, the first spelling kept
        for v in values:
            unique.setdefault(v.casefold(), v)
        return list(unique.values())
    if len(values) > 1:
        return values  # several values for one field: validation says so
    value = values[0]
    if column.field == "duration_minutes" and re.fullmatch(r"[0-9]{1,9}", value):
        return int(value)
    return value


def _preferred(texts: list[str], mapping: dict[str, str]) -> str:
    """With ``first``: the item whose map key comes first (the map's order is the order of
    preference), else the first item."""
    if mapping:
        order = {key: index for index, key in enumerate(mapping)}
        known = [t for t in texts if t.casefold() in order]
        if known:
            return min(known, key=lambda t: order[t.casefold()])
    return texts[0]


def _leaves(value: object) -> list:
    """The scalars of a value, lists flattened (without recursion, and bounded)."""
    if not isinstance(value, list | tuple | set | frozenset):
        return [value]
    leaves: list = []
    stack = [iter(sorted(value, key=str) if isinstance(value, set | frozenset) else value)]
    visited = 0
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        visited += 1
        if visited > MAX_VALUES:
            raise _Shape(f"holds more than {MAX_VALUES} values")
        if isinstance(item, list | tuple):
            stack.append(iter(item))
        else:
            leaves.append(item)
    return leaves


_END = object()


def _text(value: object) -> str | None:
    """A scalar as stripped text (dates in ISO 8601); None when there is none."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError as exc:  # more digits than Python converts (YAML 0x... numbers)
            raise _Shape("holds a number too large to read") from exc
    if isinstance(value, float):
        return str(int(value)) if math.isfinite(value) and value.is_integer() and abs(
            value) < 1e15 else str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:5])
        raise _Shape(f"holds a mapping ({keys}), not text; name one of its keys with a dotted "
                     "path, e.g. column: key.name")
    raise _Shape(f"holds a {type(value).__name__} value, not text")


__all__ = ["FIELDS", "PROFILE_DIR", "SOURCE_FORMATS", "Column", "Profile", "load_profile",
           "parse_profile", "read", "shipped_profiles"]
