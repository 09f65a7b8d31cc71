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

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from catalogue.errors import DataError
from catalogue.framework import DATA_DIR
from catalogue.importers import profile_records
from catalogue.importers.profile_schema import (
    FIELDS,
    LIST_FIELDS,
    SOURCE_FORMATS,
    problems,
    safe_yaml,
    yaml_where,
)

PROFILE_DIR = DATA_DIR / "profiles"
MAX_PROFILE_BYTES = 1024 * 1024


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
            document = safe_yaml(document)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
            raise DataError(f"malformed YAML{yaml_where(exc)}", source=name) from exc
    if not isinstance(document, dict):
        raise DataError("a profile must be a mapping with format: and columns:", source=name)
    messages = problems(document, name)
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
        yield from profile_records.read_csv(text, location, profile)
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
            yield number, profile_records.convert(record, profile, number, location)
    else:
        for number, record in enumerate(profile_records.records(text, location, profile), start=1):
            yield number, profile_records.convert(record, profile, number, location)


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


__all__ = ["FIELDS", "PROFILE_DIR", "SOURCE_FORMATS", "Column", "Profile", "load_profile",
           "parse_profile", "read", "shipped_profiles"]
