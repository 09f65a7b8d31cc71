"""``recommender index`` (a build through the worker) and ``recommender recommend`` (a
recommendation printed as a table)."""

from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext

import click

from recommender.cli.context import make_app
from recommender.storage.queue import BrokerUnavailable, enqueue_build
from recommender.storage.worker_process import running_worker


@click.command("index")
@click.option("--force", is_flag=True, help="Rebuild even if the catalogue is unchanged.")
@click.option("--timeout", default=1800, show_default=True, help="Seconds to wait for the build.")
@click.option("--no-worker", is_flag=True,
              help="Do not start a temporary worker in embedded mode (one is already running).")
def index_cmd(force: bool, timeout: int, no_worker: bool) -> None:
    """Build the search index through the Celery worker, showing its progress."""
    app = make_app()
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


@click.command("recommend")
@click.option("--archetype", required=True, help="shaper, driver, creator, embedder or user.")
@click.option("--gap", "gaps", multiple=True,
              help="A capability id, optionally with severity 1-3: 6.0.1 or 6.0.1:3.")
@click.option("--gap-text", "text_gaps", multiple=True,
              help="A gap in words, optionally with severity 1-3 after a final colon: "
                   "'Appraise supplier claims about AI performance:3'.")
@click.option("--free-text", default=None, help="The learner's goal in their own words.")
@click.option("--limit", default=5, show_default=True, help="Items per list.")
@click.option("--json", "as_json", is_flag=True, help="Print the API response as JSON.")
def recommend_cmd(archetype: str, gaps: tuple[str, ...], text_gaps: tuple[str, ...],
                  free_text: str | None, limit: int, as_json: bool) -> None:
    """Print recommendations for a learner's gaps (statement ids, words, or both)."""
    if not gaps and not text_gaps:
        raise click.UsageError("give at least one --gap or --gap-text")
    body = {"archetype": archetype, "limit": limit,
            "gaps": [_gap_option(g) for g in gaps] + [_text_gap_option(t) for t in text_gaps]}
    if free_text:
        body["free_text"] = free_text
    app = make_app()
    app.config["AUTH_REQUIRED"] = False  # a local command, not a caller over the network
    response = app.test_client().post("/api/v1/recommendations", json=body)
    data = response.get_json()
    if response.status_code != 200:
        details = "; ".join(f"{e['pointer']}: {e['detail']}" for e in data.get("errors", []))
        raise click.ClickException(f"{data['title']}: {details or data['detail']}")
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for reading in data.get("text_gaps", []):
        matched = ", ".join(f"{m['capability']} ({m['similarity']:.2f})"
                            for m in reading["matches"]) or reading["note"]
        click.echo(f"\u201c{reading['text']}\u201d -> {matched}")
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




def _text_gap_option(text: str) -> dict:
    words, colon, severity = text.rpartition(":")
    if colon and severity.strip() in ("1", "2", "3") and words.strip():
        return {"text": words.strip(), "severity": int(severity)}
    return {"text": text}
