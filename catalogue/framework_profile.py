"""Framework sheet profiles: a small YAML file saying which of a spreadsheet's headers hold our
framework columns, how to translate their values, and the values to use where the sheet has
none (docs/frameworks.md, "Profiles"). A profile is checked against a JSON schema and every
problem is worded 'dotted.key: what is wrong', as catalogue import profiles are
(catalogue/importers/profile_schema.py, whose YAML loader and key check are reused here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from catalogue.errors import DataError
from catalogue.framework import LEVEL_SOURCES, LEVELS, PROVENANCES, parse_archetypes
from catalogue.importers.profile_schema import check_keys, safe_yaml, yaml_where

# a sheet's columns in our names (docs/frameworks.md, "Columns")
COLUMNS = ("framework", "version", "title", "domain", "domain_name", "subdomain",
           "subdomain_name", "statement", "text", "level", "level_source", "archetypes",
           "provenance")
DEFAULTS = ("framework", "version", "title", "level", "level_source", "archetypes",
            "provenance")
MAX_PROFILE_BYTES = 1024 * 1024

_TEXT = {"type": "string", "minLength": 1}
_COLUMN = {
    # a header, or a mapping; the object keywords only apply to a mapping
    "type": ["string", "object"], "minLength": 1,
    "required": ["column"], "additionalProperties": False,
    "properties": {
        "column": _TEXT,
        "map": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
    },
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "sheet": _TEXT,
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "columns": {"type": "object", "propertyNames": {"enum": list(COLUMNS)},
                    "additionalProperties": _COLUMN},
        "defaults": {
            "type": "object", "propertyNames": {"enum": list(DEFAULTS)},
            "properties": {
                "level": {"enum": [*LEVELS, *map(str, LEVELS)]},
                "level_source": {"enum": list(LEVEL_SOURCES)},
                "provenance": {"enum": list(PROVENANCES)},
                "archetypes": {"anyOf": [_TEXT, {"type": "array", "items": _TEXT,
                                                 "minItems": 1}]},
                "framework": _TEXT, "version": _TEXT, "title": _TEXT,
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class SheetProfile:
    """A validated profile; the empty one reads a sheet in our own column names."""

    name: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # our column -> the sheet's header
    maps: dict[str, dict[str, str]] = field(default_factory=dict)  # casefolded value -> ours
    defaults: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    delimiter: str | None = None
    description: str = ""

    def header(self, column: str) -> str:
        """The sheet's header for one of our columns."""
        return self.columns.get(column, column)


def load_sheet_profile(path: str | Path) -> SheetProfile:
    """A profile file; DataError naming every key at fault when it is not a valid profile."""
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_PROFILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise DataError(f"cannot read profile file: {getattr(exc, 'strerror', None) or exc}",
                        source=str(path)) from exc
    if len(data) > MAX_PROFILE_BYTES:
        raise DataError("profile file larger than 1 MB", source=str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from exc
    return parse_sheet_profile(text, str(path))


def parse_sheet_profile(text: str, name: str = "profile") -> SheetProfile:
    """A SheetProfile from the text of a profile file."""
    try:
        document = safe_yaml(text)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise DataError(f"malformed YAML{yaml_where(exc)}", source=name) from exc
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise DataError("a profile must be a mapping (columns:, defaults:, sheet:)", source=name)
    check_keys(document, name)
    messages = [_message(e) for e in sorted(_VALIDATOR.iter_errors(document),
                                            key=lambda e: [str(p) for p in e.absolute_path])]
    messages += [m for m in _semantic_problems(document) if m not in messages]
    if messages:
        raise DataError("; ".join(dict.fromkeys(messages)), source=name)
    columns, maps = {}, {}
    for ours, spec in (document.get("columns") or {}).items():
        columns[ours] = (spec if isinstance(spec, str) else spec["column"]).strip()
        if isinstance(spec, dict) and spec.get("map"):
            maps[ours] = {str(k).strip().casefold(): str(v).strip()
                          for k, v in spec["map"].items()}
    defaults = {k: ", ".join(v) if isinstance(v, list) else str(v).strip()
                for k, v in (document.get("defaults") or {}).items()}
    return SheetProfile(name=name, columns=columns, maps=maps, defaults=defaults,
                        sheet=document.get("sheet"), delimiter=document.get("delimiter"),
                        description=document.get("description", ""))


def _message(error) -> str:
    """A jsonschema error as 'dotted.key: what is wrong'."""
    path = [str(p) for p in error.absolute_path]
    where = ".".join(path) or "profile"
    kind = error.validator
    if "propertyNames" in error.relative_schema_path:
        known = COLUMNS if path == ["columns"] else DEFAULTS
        return f"{where}.{error.instance}: not one of our columns ({', '.join(known)})"
    if kind == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in known)
        return "; ".join(f"{'.'.join([*path, k])}: not a key here ({', '.join(known)})"
                         for k in extra)
    if kind == "required":
        return f"{where}: needs column: (the sheet's header)"
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) \
            else [error.validator_value]
        words = {"string": "text", "object": "a mapping", "integer": "a whole number",
                 "array": "a list"}
        hint = " (quote it: \"2.0\")" if wanted == ["string"] else ""
        return f"{where}: must be {' or '.join(words.get(w, w) for w in wanted)}{hint}"
    if kind == "enum":
        values = dict.fromkeys(str(v) for v in error.validator_value)
        return f"{where}: must be one of {', '.join(values)}, not {error.instance!r}"
    if kind in ("minLength", "minItems"):
        return f"{where}: must not be empty"
    if kind == "maxLength":
        return f"{where}: must be one character"
    if kind == "anyOf":
        return f"{where}: must be text such as \"S, D\" or a list of badges or names"
    return f"{where}: {error.message}"


def _semantic_problems(document: dict) -> list[str]:
    """What the schema does not say: two of our columns read from one header, and archetype
    defaults that are not archetypes."""
    problems = []
    columns = document.get("columns")
    seen: dict[str, str] = {}
    for ours, spec in (columns.items() if isinstance(columns, dict) else []):
        header = spec if isinstance(spec, str) else spec.get("column") \
            if isinstance(spec, dict) else None
        if not isinstance(header, str) or not header.strip():
            continue
        folded = header.strip().casefold()
        if folded in seen:
            problems.append(f"columns.{ours}: the header {header.strip()!r} is already "
                            f"columns.{seen[folded]}")
        seen.setdefault(folded, ours)
    archetypes = (document.get("defaults") or {}).get("archetypes") \
        if isinstance(document.get("defaults"), dict) else None
    items = archetypes if isinstance(archetypes, list) else [archetypes]
    if all(isinstance(i, str) for i in items):
        unknown = parse_archetypes(", ".join(items))[1]
        if unknown:
            problems.append(f"defaults.archetypes: unknown archetype {unknown[0]!r} (badges S, "
                            "D, C, E, U or names shaper, driver, creator, embedder, user)")
    return problems
