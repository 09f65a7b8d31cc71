"""The ``recommender`` command-line tool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import Flask

from catalogue.importers import FORMATS as IMPORT_FORMATS
from recommender import create_app
from recommender.held_cli import held_group
from recommender.keys_cli import keys_group


def _app() -> Flask:
    app = create_app()
    Path(app.config["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    return app


@click.group()
def main() -> None:
    """Recommend open learning resources for DART-Ed capability gaps."""


main.add_command(keys_group)
main.add_command(held_group)


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="head", help="Target revision (default: the newest).")
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema."""
    from recommender import db, migrate

    with _app().app_context():
        migrate.upgrade(db.engine(), revision)
        click.echo(f"database at revision {migrate.current_revision(db.engine())}")


@main.command("load-framework")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def load_framework_cmd(path: str | None) -> None:
    """Load the capability framework (default: the shipped one) and make it current."""
    from catalogue.errors import DataError
    from catalogue.framework import FRAMEWORK_FILE, load_framework
    from recommender import db
    from recommender.framework_store import load_framework as store

    try:
        framework = load_framework(path or FRAMEWORK_FILE)
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    with _app().app_context():
        try:
            outcome = store(db.session(), framework)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"framework {framework.version}: {len(framework.capabilities)} statements, "
               f"{outcome}")


@main.command("import")
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
    from catalogue.errors import DataError
    from catalogue.importers import shipped_files
    from catalogue.importers.fetch import fetch_text
    from recommender import db
    from recommender.catalogue_import import StrictRefusal, read_batch, write_batch
    from recommender.import_jobs import prepare
    from recommender.queue import notify_index_changes

    locations = list(sources) + [str(p) for p in shipped_files()] * shipped
    if not locations:
        raise click.UsageError("give one or more files or URLs, or --shipped")
    app = _app()
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
    from catalogue.importers.profiles import shipped_profiles
    from recommender import db
    from recommender.import_jobs import create_job, enqueue
    from recommender.queue import BrokerUnavailable

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
    from recommender.import_jobs import FINISHED, stalled
    from recommender.models import ImportJob

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


@main.command("index")
@click.option("--force", is_flag=True, help="Rebuild even if the catalogue is unchanged.")
@click.option("--timeout", default=1800, show_default=True, help="Seconds to wait for the build.")
@click.option("--no-worker", is_flag=True,
              help="Do not start a temporary worker in embedded mode (one is already running).")
def index_cmd(force: bool, timeout: int, no_worker: bool) -> None:
    """Build the search index through the Celery worker, showing its progress."""
    from contextlib import nullcontext

    from recommender.queue import BrokerUnavailable, enqueue_build
    from recommender.worker_process import running_worker

    app = _app()
    embedded = not (app.config["REDIS_URL"] or no_worker)
    with app.app_context(), (running_worker() if embedded else nullcontext()):
        try:
            result = enqueue_build(force)
        except BrokerUnavailable as exc:
            raise click.ClickException(f"{exc}; nothing was built") from exc
        outcome = _follow(result, timeout)
    click.echo(f"index {outcome['status']}: version {outcome['version']}, "
               f"{outcome['count']} resources")


def _follow(result, timeout: float) -> dict:
    """Wait for a build task, drawing a progress bar from the progress it reports."""
    deadline = time.monotonic() + timeout
    with click.progressbar(length=1, label="indexing", file=sys.stderr) as bar:
        while not result.ready():
            if time.monotonic() > deadline:
                raise click.ClickException(f"the build did not finish in {timeout}s "
                                           f"(task {result.id})")
            info = result.info if result.state == "PROGRESS" else None
            if isinstance(info, dict) and info.get("total"):
                bar.length = info["total"]
                bar.update(info["done"] - bar.pos)
            time.sleep(0.3)
        outcome = result.get(timeout=10)
        bar.update(bar.length - bar.pos)
    return outcome


@main.command("recommend")
@click.option("--archetype", required=True, help="shaper, driver, creator, embedder or user.")
@click.option("--gap", "gaps", multiple=True, required=True,
              help="A capability id, optionally with severity 1-3: 6.1.1 or 6.1.1:3.")
@click.option("--free-text", default=None, help="The learner's goal in their own words.")
@click.option("--limit", default=5, show_default=True, help="Items per list.")
@click.option("--json", "as_json", is_flag=True, help="Print the API response as JSON.")
def recommend_cmd(archetype: str, gaps: tuple[str, ...], free_text: str | None, limit: int,
                  as_json: bool) -> None:
    """Print recommendations for a learner's gaps."""
    body = {"archetype": archetype, "limit": limit,
            "gaps": [_gap_option(g) for g in gaps]}
    if free_text:
        body["free_text"] = free_text
    app = _app()
    app.config["AUTH_REQUIRED"] = False  # a local command, not a caller over the network
    response = app.test_client().post("/api/v1/recommendations", json=body)
    data = response.get_json()
    if response.status_code != 200:
        details = "; ".join(f"{e['pointer']}: {e['detail']}" for e in data.get("errors", []))
        raise click.ClickException(f"{data['title']}: {details or data['detail']}")
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for level in ("baseline", "specialist"):
        click.echo(f"\n{level.upper()}")
        click.echo(f"{'#':>2}  {'score':>5}  {'serves':<10} {'title':<52} provider")
        for rank, item in enumerate(data[level], start=1):
            serves = ",".join(b["capability"] for b in item["because"])
            click.echo(f"{rank:>2}  {item['score']:>5.2f}  {serves:<10.10} "
                       f"{item['title'][:52]:<52} {item['provider'][:30]}")
        if not data[level]:
            click.echo("    (nothing suitable in the catalogue)")


def _gap_option(text: str) -> dict:
    code, _, severity = text.partition(":")
    if severity and not severity.isdigit():
        raise click.BadParameter(f"{text!r}: severity must be 1, 2 or 3", param_hint="--gap")
    return {"capability": code, "severity": int(severity or 2)}


@main.command("settings")
def settings_cmd() -> None:
    """Print the effective configuration (secrets hidden)."""
    from recommender.config import ENVIRONMENT

    app = _app()
    for key in ENVIRONMENT:
        value = app.config.get(key)
        if isinstance(value, frozenset):
            value = ",".join(sorted(value))
        if isinstance(value, str) and "@" in value:
            value = value.split("://")[0] + "://***@" + value.split("@", 1)[1]
        click.echo(f"{key}={value if value is not None else ''}")


@main.command("worker")
def worker_cmd() -> None:
    """Run a Celery worker for the default and indexing queues (solo pool)."""
    from recommender.worker_process import worker_command

    os.execv(sys.executable, worker_command())


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--web-workers", default=2, show_default=True, help="gunicorn worker processes.")
def run_cmd(host: str, port: int, web_workers: int) -> None:
    """Set up everything on first run, then serve: database, framework, catalogue, index."""
    from recommender.bootstrap import bootstrap
    from recommender.worker_process import start_worker, stop

    # explicit handlers: a shell that starts us in the background may have SIGINT ignored
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    app = _app()
    log_dir = Path(app.config["VAR_DIR"]) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    worker = start_worker(log_file=(log_dir / "worker.log").open("ab"), beat=True)
    web = None
    try:
        bootstrap(app, echo=click.echo)
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-b", f"{host}:{port}",
                                "-w", str(web_workers), "recommender.wsgi:app"])
        if not _wait_until_serving(web, host, port):
            raise click.ClickException(f"the web server did not start on {host}:{port} "
                                       "(is the port taken?)")
        click.echo(f"serving on http://{host}:{port}  (worker log: {log_dir / 'worker.log'}; "
                   "Ctrl-C stops)")
        while web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
        if worker.poll() is not None:
            raise click.ClickException("the Celery worker stopped; see its log")
        raise click.ClickException(f"the web server stopped (exit code {web.returncode})")
    except KeyboardInterrupt:
        pass
    finally:
        if web is not None:
            stop(web)
        stop(worker)


def _wait_until_serving(web: subprocess.Popen, host: str, port: int, timeout: float = 60
                        ) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


