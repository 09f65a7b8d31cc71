"""Read resources from files or URLs in the formats the field uses.

Each format module exposes ``read(location, fetch)`` yielding ``(record_number, mapping)``
pairs (or ``(record_number, DataError)`` for a record that could not even be parsed), where
``fetch(location) -> str`` returns the text of a file path or an http(s) URL. ``read_resources``
validates every record and reports every rejected one, so that a caller can refuse the whole
import or keep the good records.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from catalogue.errors import DataError
from catalogue.framework import DATA_DIR, Framework
from catalogue.importers import jsonl, jsonld, oaipmh, tabular, yaml_files
from catalogue.importers.fetch import fetch_text, is_url
from catalogue.licences import DEFAULT_ALLOWED
from catalogue.resources import Resource, parse_resource
from catalogue.urls import canonical_url

SHIPPED_DIR = DATA_DIR / "resources"
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


@dataclass
class ImportBatch:
    """The outcome of reading some sources: valid resources and every rejected record."""

    source: str
    resources: list[Resource] = field(default_factory=list)
    errors: list[DataError] = field(default_factory=list)


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
                   licences: frozenset[str] = DEFAULT_ALLOWED) -> ImportBatch:
    """Read and validate every record of one or more files or URLs.

    ``known`` holds the capability statement ids mappings may use (see parse_resource).
    A record whose id or canonical URL repeats an earlier one (in any source) is rejected.
    A source that cannot be read at all (missing, not UTF-8, malformed) raises DataError.
    """
    items = locations if isinstance(locations, list) else [locations]
    names = [str(item) for item in items]
    batch = ImportBatch(source=", ".join(names))
    seen: dict[tuple[str, str], str] = {}
    for location in names:
        kind = format or detect_format(location)
        if kind not in FORMATS:
            raise DataError(f"unknown format {kind!r}; use one of {', '.join(FORMATS)}",
                            source=location)
        for number, raw in FORMATS[kind](location, fetch):
            try:
                if isinstance(raw, DataError):
                    raise raw
                resource = parse_resource(raw, known, record=number, source=location,
                                          licences=licences)
                keys = (("id", resource.id), ("url", canonical_url(resource.url)))
                for key in keys:
                    if key in seen:
                        raise DataError(f"duplicates {seen[key]}", field=key[0], record=number,
                                        source=location)
                for key in keys:
                    seen[key] = f"record {number}" + (f" of {location}" if len(names) > 1
                                                      else "")
            except DataError as exc:
                batch.errors.append(exc)
                continue
            batch.resources.append(resource)
    return batch


def shipped_files() -> list[Path]:
    """The catalogue files shipped with the package, in a stable order."""
    return sorted(SHIPPED_DIR.glob("*.yaml"))


__all__ = ["FORMATS", "ImportBatch", "detect_format", "is_url", "read_resources",
           "shipped_files"]
