"""``recommender held``: the records an import held for review; list, show, admit (with fixes)
or reject them, as the curator page and GET/PATCH /api/v1/held-records do."""

from __future__ import annotations

import json
from contextlib import contextmanager

import click

from recommender.cli.context import app_context
from recommender.content import held as held_records
from recommender.content.held import FIXABLE, STATUSES, decide
from recommender.problems import Problem
from recommender.storage import db
from recommender.storage.models import HeldRecord

LISTS = ("archetypes", "topics", "capabilities")  # comma-separated in --set
PAGE = 500


@click.group("held")
def held_group() -> None:
    """Records an import held for review (a licence outside the policy, a value that could not
    be read): never recommended or counted as coverage until admitted."""


@held_group.command("list")
@click.option("--field", default=None, help="Only those held for this field, e.g. licence.")
@click.option("--status", type=click.Choice(STATUSES), default="held", show_default=True)
def list_cmd(field: str | None, status: str) -> None:
    """One line each, the most recently held first: id, field, reason, title, URL."""
    with app_context():
        session = db.session()
        page, shown = 1, 0
        while True:
            rows, total = held_records.listing(session, status=status, field=field,
                                               page=page, per_page=PAGE)
            for row in rows:
                click.echo("\t".join(" ".join(str(part or "").split()) or "-" for part in (
                    row.id, row.field, row.reason, row.title, row.url)))
            shown += len(rows)
            if not rows or shown >= total:
                break
            page += 1
    if not shown:
        click.echo(f"no {status} records" + (f" for the field {field!r}" if field else ""),
                   err=True)


@held_group.command("show")
@click.argument("held_id", type=int)
def show_cmd(held_id: int) -> None:
    """The held record as JSON: what the source said and why it was held."""
    with _held(held_id) as row:
        click.echo(json.dumps(held_records.view(row), indent=2, ensure_ascii=False))


@held_group.command("admit")
@click.argument("held_id", type=int)
@click.option("--set", "changes", multiple=True, metavar="FIELD=VALUE",
              help=f"A fix before admitting (repeatable); fields: {', '.join(FIXABLE)}; "
                   f"{', '.join(LISTS)} take comma-separated values.")
def admit_cmd(held_id: int, changes: tuple[str, ...]) -> None:
    """Admit a held record, with fixes; it must then pass the import's checks (licence
    policy, statement ids). The fixed fields become a curator's: imports never overwrite
    them. Queues the index update."""
    fixes = parse_fixes(changes)
    with _held(held_id) as row:
        task = _decided(lambda: decide(db.session(), row, "admit", fixes=fixes), held_id)
        queued = f"; index update queued (task {task})" if task else \
            "; the index takes it with its next update"
        click.echo(f"admitted held record {held_id} as resource {row.resource_slug}{queued}")


@held_group.command("reject")
@click.argument("held_id", type=int)
@click.option("--reason", default=None, help="Why, kept with the record.")
def reject_cmd(held_id: int, reason: str | None) -> None:
    """Reject a held record: it stays out of the catalogue."""
    with _held(held_id) as row:
        _decided(lambda: decide(db.session(), row, "reject", reason=reason), held_id)
        click.echo(f"rejected held record {held_id}" + (f" ({row.title})" if row.title else ""))


def parse_fixes(changes: tuple[str, ...]) -> dict:
    """``--set field=value`` options as fixes: lists split at commas, minutes as a number."""
    fixes: dict = {}
    for change in changes:
        name, equals, value = change.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name:
            raise click.BadParameter(f"{change!r}: give FIELD=VALUE", param_hint="--set")
        if name not in FIXABLE:
            raise click.BadParameter(f"{name!r} cannot be changed here; fields: "
                                     f"{', '.join(FIXABLE)}", param_hint="--set")
        if name in LISTS:
            fixes[name] = [item.strip() for item in value.split(",") if item.strip()]
        elif name == "duration_minutes" and value.isascii() and value.isdigit():
            fixes[name] = int(value)
        else:
            fixes[name] = value
    return fixes


@contextmanager
def _held(held_id: int):
    """The app's context and the held record with this id (ClickException when none)."""
    with app_context():
        row = db.session().get(HeldRecord, held_id)
        if row is None:
            raise click.ClickException(f"no held record {held_id}; see: recommender held list")
        yield row


def _decided(decision, held_id: int):
    """Run a decision, turning its problems into messages that name the field."""
    try:
        return decision()
    except Problem as problem:
        if problem.status == 422:
            details = "; ".join(f"field '{e['pointer'].removeprefix('/fixes/')}': "
                                f"{e['detail']}" for e in problem.errors)
            raise click.ClickException(f"held record {held_id} cannot be admitted: "
                                       f"{details}; nothing was changed") from problem
        raise click.ClickException(problem.detail) from problem
