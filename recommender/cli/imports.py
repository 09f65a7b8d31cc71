"""``recommender import``: read catalogues in, here or as an import job on the worker that
the command follows."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from catalogue.errors import DataError
from catalogue.importers import FORMATS as IMPORT_FORMATS
from catalogue.importers import shipped_files
from catalogue.importers.fetch import fetch_text
from catalogue.importers.profiles import shipped_profiles
from recommender.cli.context import make_app
from recommender.content.import_job_views import stalled
from recommender.content.import_jobs import FINISHED, create_job, enqueue
from recommender.content.import_sources import prepare
from recommender.content.imports import StrictRefusal, read_batch, write_batch
from recommender.storage import db
from recommender.storage.models import ImportJob
from recommender.storage.queue import BrokerUnavailable, notify_index_changes


@click.command("import")
@click.argument("sources", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(sorted(IMPORT_FORMATS)), default=None,
              help="Format of every source (default: from each file name).")
@click.option("--profile", default=None,
              help="An import profile: a shipped one (dalia, nfdi4bioimage) or a YAML file "
                   "naming which columns hold our fields (docs/catalogue-formats.md).")
@click.option("--free-access", is_flag=True,
              help="The source declares every record free to access: a record without a "
                   "licence is admitted as free to access instead of held.")
@click.option("--shipped", is_flag=True, help="Import the catalogue shipped with the package.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--strict", is_flag=True,
              help="Write nothing if any record is held or rejected.")
@click.option("--job/--no-job", "as_job", default=None,
              help="Run on the worker as an import job and follow its progress (default: when "
                   "the sources hold more than IMPORT_JOB_THRESHOLD records).")
@click.option("--wait-start", default=60.0, show_default=True,
              help="With a job: seconds to wait for a worker to start it.")
def import_cmd(sources: tuple[str, ...], fmt: str | None, profile: str | None,
               free_access: bool, shipped: bool, dry_run: bool, strict: bool,
               as_job: bool | None, wait_start: float) -> None:
    """Import resources from files or http(s) URLs: YAML, JSON Lines, CSV, JSON-LD, OAI-PMH, or
    any shape through an import profile. Prints "N new, N updated, N unchanged, N held, N
    rejected"; held records wait for a curator (GET /api/v1/held-records, /curator/held).
    More than IMPORT_JOB_THRESHOLD records in all are imported by the worker as one job (all
    the sources, all or nothing, as here), followed until it is done."""
    locations = list(sources) + [str(p) for p in shipped_files()] * shipped
    if not locations:
        raise click.UsageError("give one or more files or URLs, or --shipped")
    app = make_app()
    documents: dict[str, str] = {}  # what was fetched, so that a job does not fetch it again

    def fetch(location: str) -> str:
        if location not in documents:
            documents[location] = fetch_text(location)
        return documents[location]

    def too_many(counts: dict[str, int]) -> None:
        if counts["read"] > app.config["IMPORT_JOB_THRESHOLD"]:
            raise _LargeImport

    with app.app_context():
        try:
            if as_job:
                raise _LargeImport
            batch = read_batch(locations, format=fmt, profile=profile, free_access=free_access,
                               fetch=fetch, progress=too_many if as_job is None else None)
        except _LargeImport:
            try:
                prepared = prepare(locations, format=fmt, profile=profile, fetch=fetch)
            except DataError as exc:
                raise click.ClickException(f"{exc}; nothing was imported") from exc
            _import_job(prepared, fmt, profile, wait_start, free_access=free_access,
                        strict=strict, dry_run=dry_run)
            return
        except DataError as exc:
            raise click.ClickException(f"{exc}; nothing was imported") from exc
        for error in batch.errors:
            click.echo(f"rejected: {error}", err=True)
        for item in batch.held:
            click.echo(f"held: {item.error}", err=True)
        try:
            with click.progressbar(length=len(batch.resources), label="importing",
                                   file=sys.stderr) as bar:
                result = write_batch(db.session(), batch, dry_run=dry_run, strict=strict,
                                     progress=bar.update)
        except StrictRefusal as exc:
            raise click.ClickException(str(exc)) from exc
        queued = notify_index_changes() if result.changed and not dry_run else None
    _report({**result.as_dict(), "summary": result.summary()}, queued, dry_run)


class _LargeImport(Exception):
    """More records than IMPORT_JOB_THRESHOLD (or --job): the worker imports them."""


def _report(result: dict, index_task: str | None, dry_run: bool) -> None:
    """The outcome of an import, the same from this process or from a job's result."""
    click.echo(("dry run, would be: " if dry_run else "") + result["summary"])
    for label in ("new", "updated"):
        ids = result[label]
        if ids and (dry_run or len(ids) <= 20):
            shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
            click.echo(f"  {label:<8} {shown}")
    if result["held"] and not dry_run:
        click.echo(f"{result['held']} held for review: recommender held, or /curator/held")
    for reason, count in list((result.get("held_by_reason") or {}).items())[:HELD_REASONS]:
        click.echo(f"  {count:>6}  {reason}")
    if index_task:
        click.echo(f"index update queued (task {index_task})")
    if result["rejected"]:
        sys.exit(1)


HELD_REASONS = 8  # the commonest reasons for holding records that an import lists
JOB_POLL_SECONDS = 0.25  # how often the job's row is read while following it


def _import_job(prepared, fmt: str | None, profile: str | None, wait_start: float,
                **options: bool) -> None:
    """Queue the sources as one import job, follow its counts on a progress bar until it is
    done or failed, then report as an import in this process does."""
    if profile and profile not in shipped_profiles():  # a file: the worker gets its text
        options["profile_text"] = Path(profile).read_text(encoding="utf-8-sig")
    session = db.session()
    job = create_job(session, source_name=", ".join(prepared.locations),
                     payload_text=prepared.payload(), format=fmt, profile=profile,
                     options=options, locations=prepared.locations, total=prepared.count)
    follow = f"GET /api/v1/imports/{job.id}"
    try:
        enqueue(job)
    except BrokerUnavailable as exc:
        raise click.ClickException(f"{exc}; nothing was imported (import job {job.id} was not "
                                   "queued): try again, or import in this process with "
                                   "--no-job") from exc
    click.echo(f"import job {job.id}: {prepared.count} records queued for the worker "
               f"({follow})", err=True)
    try:
        job = _follow_job(session, job.id, wait_start)
    except KeyboardInterrupt:
        click.echo(f"\nstopped following; the job goes on ({follow})", err=True)
        sys.exit(130)
    if job.status != "done":
        raise click.ClickException(f"import job {job.id} {job.status}: {job.detail}")
    result = job.result
    for label in ("rejected", "held"):
        reasons = result[f"{label}_reasons"]
        for reason in reasons:
            click.echo(f"{label}: {reason}", err=True)
        if result[label] > len(reasons):
            click.echo(f"{label}: and {result[label] - len(reasons)} more", err=True)
    _report(result, job.index_task, result["dry_run"])


def _follow_job(session, job_id: str, wait_start: float):
    """Poll the job's row until it is finished, drawing its counts; ClickException when no
    worker starts it within ``wait_start`` seconds or its worker stops reporting."""
    began = time.monotonic()
    with click.progressbar(length=1, label="import queued", file=sys.stderr) as bar:
        while True:
            session.rollback()  # a fresh read each time: the worker commits as it goes
            job = session.get(ImportJob, job_id, populate_existing=True)
            if job.status in FINISHED:
                bar.update(bar.length - bar.pos)
                return job
            if job.status == "queued" and time.monotonic() - began > wait_start:
                raise click.ClickException(
                    f"no worker started import job {job_id} within {wait_start:g}s (none is "
                    "running, or every one is busy). It stays queued and runs when a worker is "
                    "free (start one with recommender worker, or recommender run); follow it at "
                    f"GET /api/v1/imports/{job_id}. To import in this process instead: "
                    "--no-job")
            if stalled(job):
                raise click.ClickException(
                    f"import job {job_id} stopped reporting: its worker may have died. It "
                    "runs again from scratch if its task is delivered again; nothing of it "
                    f"was imported unless GET /api/v1/imports/{job_id} says done")
            if job.status != "queued":
                of = f" of {job.total:,}" if job.total is not None else ""
                bar.length = max(job.total or job.read, 1)
                writing = f"; {job.detail}" if (job.detail or "").startswith("writing") else ""
                bar.label = (f"read {job.read:,}{of}: {job.admitted:,} admitted, "
                             f"{job.held:,} held, {job.rejected:,} rejected{writing}")
                bar.update(min(job.read, bar.length) - bar.pos)
            time.sleep(JOB_POLL_SECONDS)


