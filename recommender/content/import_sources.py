"""The sources of an import job, read before it is queued: every source's text fetched once
(files, URLs, every page of a harvest) and its records counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from catalogue.importers import records_of
from catalogue.importers.fetch import fetch_text
from catalogue.importers.profiles import Profile, load_profile

# media type -> format, for an upload whose format is not given otherwise
CONTENT_TYPES = {
    "application/ld+json": "jsonld", "application/json": "jsonld",
    "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
    "application/jsonlines": "jsonl", "application/x-jsonlines": "jsonl",
    "text/csv": "csv",
    "application/xml": "oai-pmh", "text/xml": "oai-pmh",
    "application/yaml": "yaml", "application/x-yaml": "yaml", "text/yaml": "yaml",
}


@dataclass
class Prepared:
    """Sources read ahead of a job: every text the readers fetched (a harvest fetches a page
    per resumption token), by location, and how many records they hold in all."""

    locations: list[str]
    documents: dict[str, str]
    count: int

    def payload(self) -> str | dict[str, str]:
        """One source read in one fetch is its text; anything else, the map of texts."""
        if len(self.locations) == 1 and list(self.documents) == self.locations:
            return self.documents[self.locations[0]]
        return self.documents


def prepare(locations: list[str], *, format: str | None = None, profile: str | None = None,
            fetch: Callable[[str], str] = fetch_text) -> Prepared:
    """Fetch every source and count its records without validating them; DataError when a
    source (or the profile) cannot be read at all, as the import itself would raise."""
    documents: dict[str, str] = {}

    def keep(location: str) -> str:
        if location not in documents:
            documents[location] = fetch(location)
        return documents[location]

    loaded = load_profile_named(profile)
    count = sum(count_records(location, keep, format=format, profile=loaded)
                for location in locations)
    return Prepared(list(locations), documents, count)


def count_records(location: str, fetch: Callable[[str], str], *, format: str | None = None,
                  profile=None) -> int:
    """How many records a source holds, as the readers number them (valid or not)."""
    return sum(1 for _ in records_of(location, fetch, format=format, profile=profile))


def load_profile_named(profile: str | None) -> Profile | None:
    """The profile a job names (a shipped name or a file), or None."""
    return load_profile(profile) if profile else None
