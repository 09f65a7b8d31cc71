"""Records read from a third-party source by an import profile: CSV rows, JSON Lines, or the list
of records in a YAML or JSON document, each converted to our field names with the profile's
splitting, value maps and values to leave out (catalogue/importers/profiles.py)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import yaml

from catalogue.errors import DataError
from catalogue.importers.profile_schema import (
    LIST_FIELDS,
    MAX_VALUES,
    REQUIRED_COLUMNS,
    safe_yaml,
    yaml_where,
)

if TYPE_CHECKING:  # annotations only: profiles.py imports this module
    from catalogue.importers.profiles import Column, Profile

# "['CC-BY-4.0']": a list written out as text by the source's exporter
_LIST_LITERAL = re.compile(r"\[\s*(?:(?:'[^']*'|\"[^\"]*\")(?:\s*,\s*(?:'[^']*'|\"[^\"]*\"))*"
                           r"\s*,?\s*)?\]")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def records(text: str, location: str, profile: Profile) -> list:
    """The list of records of a YAML or JSON source."""
    try:
        document = safe_yaml(text) if profile.format == "yaml" else json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                        source=location) from exc
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        kind = "YAML" if profile.format == "yaml" else "JSON"
        raise DataError(f"malformed {kind}{yaml_where(exc)}", source=location) from exc
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


def read_csv(text: str, location: str, profile: Profile) -> Iterator[tuple[int, object]]:
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


def convert(record: object, profile: Profile, number: int, location: str) -> object:
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
