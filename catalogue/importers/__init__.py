"""Read resources from files or URLs in the formats the field uses.

Each format module exposes ``read(location, fetch)`` yielding ``(record_number, mapping)``
pairs (or ``(record_number, DataError)`` for a record that could not even be parsed), where
``fetch(location) -> str`` returns the text of a file path or an http(s) URL; an import
profile (catalogue.importers.profiles) reads a source of any other shape the same way.
``read_resources`` validates every record and sorts it three ways: admitted (a resource, with
what it did not state inferred), held (a learning resource that cannot be admitted as it
stands, kept with the reason for a curator) and rejected (not a learning resource at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from catalogue.errors import DataError
from catalogue.framework import DATA_DIR, Framework
from catalogue.importers import jsonl, jsonld, oaipmh, profiles, tabular, yaml_files
from catalogue.importers.fetch import fetch_text, is_url
from catalogue.licences import DEFAULT_ALLOWED
from catalogue.resources import Held, Resource, parse_resource
from catalogue.urls import canonical_url

SHIPPED_DIR = DATA_DIR / "resources"
PROGRESS_EVERY = 100
Reader = Callable[[str, Callable[[str], str]], Iterator[tuple[int, object]]]
FORMATS: dict[str, Reader] = {
    "yaml": yaml_files.read,
    "jsonl": jsonl.read,
    "csv": tabular.read,
    "jsonld": jsonld.read,
    "oai-pmh": oaipmh.read,
}
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".csv": "csv", ".jsonld": "jsonld", ".json": "jsonld", ".xml": "oai-pmh"}


@dataclass(frozen=True)
class HeldItem:
    """A held record: why (a Held error naming the record and field) and what it said, in our
    field names, JSON-safe so that it can be stored for review."""

    error: Held
    data: dict


@dataclass
class ImportBatch:
    """The outcome of reading some sources: admitted resources, held records and every
    rejected record (``errors``)."""

    source: str
    resources: list[Resource] = field(default_factory=list)
    held: list[HeldItem] = field(default_factory=list)
    errors: list[DataError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"read": len(self.resources) + len(self.held) + len(self.errors),
                "admitted": len(self.resources), "held": len(self.held),
                "rejected": len(self.errors)}


def detect_format(location: str) -> str:
    """The format implied by a location's suffix; DataError when there is none we read."""
    suffix = Path(location.split("?", 1)[0]).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise DataError(f"cannot tell the format of {location!r} from its name; give --format "
                    f"({', '.join(FORMATS)})", source=location)


def read_resources(locations: Path | str | list, known: Framework | Container[str], *,
                   format: str | None = None,
                   fetch: Callable[[str], str] = fetch_text,
                   licences: frozenset[str] = DEFAULT_ALLOWED,
                   profile: profiles.Profile | None = None, free_access: bool = False,
                   progress: Callable[[dict[str, int]], object] | None = None) -> ImportBatch:
    """Read and validate every record of one or more files or URLs.

    ``known`` holds the capability statement ids mappings may use (see parse_resource);
    ``profile`` reads sources of another shape (its format then replaces ``format``);
    ``free_access`` (or the profile's) declares every record free to access. A record whose id
    or canonical URL repeats an earlier one (in any source) is rejected. A source that cannot
    be read at all (missing, not UTF-8, malformed) raises DataError. ``progress(counts)`` is
    called every PROGRESS_EVERY records with the batch's counts so far.
    """
    items = locations if isinstance(locations, list) else [locations]
    names = [str(item) for item in items]
    batch = ImportBatch(source=", ".join(names))
    seen: dict[tuple[str, str], str] = {}
    free_access = free_access or bool(profile and profile.free_access)
    for location in names:
        for number, raw in records_of(location, fetch, format=format, profile=profile):
            if progress and batch.counts()["read"] % PROGRESS_EVERY == PROGRESS_EVERY - 1:
                progress(batch.counts())
            try:
                if isinstance(raw, DataError):
                    raise raw
                resource = parse_resource(raw, known, record=number, source=location,
                                          licences=licences, free_access=free_access)
                keys = (("id", resource.id), ("url", canonical_url(resource.url)))
                for key in keys:
                    if key in seen:
                        raise DataError(f"duplicates {seen[key]}", field=key[0], record=number,
                                        source=location)
                for key in keys:
                    seen[key] = f"record {number}" + (f" of {location}" if len(names) > 1
                                                      else "")
            except Held as exc:
                batch.held.append(HeldItem(exc, json_safe(raw)))
                continue
            except DataError as exc:
                batch.errors.append(exc)
                continue
            batch.resources.append(resource)
    if progress:
        progress(batch.counts())
    return batch


def records_of(location: str, fetch: Callable[[str], str], *, format: str | None = None,
               profile: profiles.Profile | None = None) -> Iterator[tuple[int, object]]:
    """The raw records of one source, numbered as its reader numbers them: through the
    profile when there is one, else the reader of ``format`` (or of the name's suffix)."""
    if profile is not None:
        return profiles.read(location, fetch, profile)
    kind = format or detect_format(location)
    if kind not in FORMATS:
        raise DataError(f"unknown format {kind!r}; use one of {', '.join(FORMATS)}",
                        source=location)
    return FORMATS[kind](location, fetch)


def json_safe(raw: object) -> dict:
    """A record as JSON would keep it (dates as ISO text, anything odd as its text)."""
    value = json.loads(json.dumps(raw, default=str))
    return value if isinstance(value, dict) else {"value": value}


def shipped_files() -> list[Path]:
    """The catalogue files shipped with the package, in a stable order."""
    return sorted(SHIPPED_DIR.glob("*.yaml"))


__all__ = ["FORMATS", "HeldItem", "ImportBatch", "detect_format", "is_url", "read_resources",
           "records_of", "shipped_files"]
