"""One import, whoever runs it (the CLI, the curator page, the worker's import job): read and
validate the sources, then write the admitted resources and the held records in one
transaction, so a failed import changes nothing that was there before."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from catalogue.importers import ImportBatch, read_resources
from catalogue.importers.fetch import fetch_text
from catalogue.importers.profiles import load_profile
from recommender.content import held as held_records
from recommender.content.framework import cached_statements
from recommender.content.store import UpsertResult, upsert_resources

QUOTED = re.compile(r"'[^']*'")  # a value quoted in a reason: grouped as one reason


class StrictRefusal(Exception):
    """Strict mode and some records were held or rejected: nothing was written."""


def read_batch(locations: list[str], *, format: str | None = None, profile: str | None = None,
               free_access: bool = False, fetch: Callable[[str], str] = fetch_text,
               progress: Callable[[dict[str, int]], object] | None = None) -> ImportBatch:
    """Read and validate sources with this app's framework and licence policy; DataError when
    a source (or the profile) cannot be read at all."""
    return read_resources(locations, set(cached_statements()), format=format, fetch=fetch,
                          licences=current_app.config["LICENCE_ALLOWLIST"],
                          profile=load_profile(profile) if profile else None,
                          free_access=free_access, progress=progress)


def write_batch(session: Session, batch: ImportBatch, *, dry_run: bool = False,
                strict: bool = False, job_id: str | None = None,
                progress: Callable[[int], object] | None = None) -> UpsertResult:
    """Upsert the admitted resources and keep the held records, all or nothing."""
    if strict and (batch.held or batch.errors):
        raise StrictRefusal(f"{len(batch.held)} record(s) held and {len(batch.errors)} "
                            "rejected; strict: nothing was imported")

    decided: list[str] = []

    def hold(inside: Session) -> None:
        held_records.supersede(inside, batch.resources)
        decided.extend(held_records.keep(inside, batch.held, job_id=job_id))

    result = upsert_resources(session, batch.resources, dry_run=dry_run, progress=progress,
                              before_commit=hold)
    # a record a curator already decided (fixed and admitted, or rejected) is unchanged
    result.unchanged += decided
    result.held, result.rejected = len(batch.held) - len(decided), len(batch.errors)
    left = set(decided)
    reasons = Counter(item.error.field + ": " + QUOTED.sub("'…'", item.error.reason)
                      for item in batch.held
                      if held_records.canonical(item.data.get("url")) not in left)
    result.held_by_reason = dict(reasons.most_common())
    return result
