"""Read resources from files: the shipped YAML, JSON Lines and CSV.

Every reader yields ``(record_number, mapping)`` pairs; ``read_resources`` validates them all and
reports every rejected record, so that a caller can refuse the whole file or keep the good ones.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from catalogue.errors import DataError
from catalogue.framework import DATA_DIR, Framework
from catalogue.resources import Resource, parse_resource
from catalogue.urls import canonical_url

SHIPPED_DIR = DATA_DIR / "resources"
_LIST_COLUMNS = ("archetypes", "capabilities", "topics")


@dataclass
class ImportBatch:
    """The outcome of reading one file: valid resources and every rejected record."""

    source: str
    resources: list[Resource] = field(default_factory=list)
    errors: list[DataError] = field(default_factory=list)


def read_resources(paths: Path | str | list, framework: Framework) -> ImportBatch:
    """Read and validate every record in one or more YAML, JSON Lines or CSV files.

    A record whose id or canonical URL repeats an earlier one (in any of the files) is
    rejected. A file that cannot be read at all raises DataError.
    """
    paths = [Path(p) for p in paths] if isinstance(paths, list) else [Path(paths)]
    batch = ImportBatch(source=", ".join(str(p) for p in paths))
    seen: dict[tuple[str, str], str] = {}
    for path in paths:
        records = _READERS.get(path.suffix.lower())
        if records is None:
            raise DataError(f"unsupported file type {path.suffix!r}; use .yaml, .jsonl or .csv",
                            source=str(path))
        for number, raw in records(_read_text(path), str(path)):
            try:
                if isinstance(raw, DataError):
                    raise raw
                resource = parse_resource(raw, framework, record=number, source=str(path))
                for key in (("id", resource.id), ("url", canonical_url(resource.url))):
                    if key in seen:
                        raise DataError(f"duplicates {seen[key]}", field=key[0], record=number,
                                        source=str(path))
                for key in (("id", resource.id), ("url", canonical_url(resource.url))):
                    seen[key] = f"record {number}" + (f" of {path}" if len(paths) > 1 else "")
            except DataError as exc:
                batch.errors.append(exc)
                continue
            batch.resources.append(resource)
    return batch


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror or exc}", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from exc


def shipped_files() -> list[Path]:
    """The catalogue files shipped with the package, in a stable order."""
    return sorted(SHIPPED_DIR.glob("*.yaml"))


def _yaml_records(text: str, source: str) -> Iterator[tuple[int, object]]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DataError(f"malformed YAML{where}", source=source) from exc
    items = raw.get("resources") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise DataError("expected a list of resources (or a 'resources:' key)", source=source)
    yield from enumerate(items, start=1)


def _jsonl_records(text: str, source: str) -> Iterator[tuple[int, object]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, DataError(f"malformed JSON: {exc.msg} at column {exc.colno}",
                                     record=line_no, source=source)


def _csv_records(text: str, source: str) -> Iterator[tuple[int, object]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "title", "url"} - set(reader.fieldnames or [])
    if missing:
        raise DataError(f"missing columns: {', '.join(sorted(missing))}", source=source)
    for row in reader:
        # line_num counts physical lines, so quoted newlines still point at the right place
        row = {k: v for k, v in row.items() if k is not None}
        for column in _LIST_COLUMNS:
            if column in row and row[column] is not None:
                row[column] = [v.strip() for v in row[column].split(";") if v.strip()]
        if row.get("duration_minutes", "").strip().isdigit():
            row["duration_minutes"] = int(row["duration_minutes"])
        elif "duration_minutes" in row and not row["duration_minutes"].strip():
            row["duration_minutes"] = None
        yield reader.line_num, row


_READERS = {".yaml": _yaml_records, ".yml": _yaml_records, ".jsonl": _jsonl_records,
            ".csv": _csv_records}
