"""``recommender index-store``: the index versions kept in the database for web hosts that
share no file system (INDEX_STORE=database): what it names, and a pull or push by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app

from recommender.cli.context import app_context
from recommender.indexing.mirror import MirrorError
from recommender.indexing.replicas import Outcome, Replica


@click.group("index-store")
def index_store_group() -> None:
    """Index versions in the database, for web hosts with their own INDEX_DIR."""


@index_store_group.command("status")
def status_cmd() -> None:
    """The version the database names, the one this host serves, and the files held."""
    with _replica() as replica:
        status = replica.status()
    click.echo(f"database: {status['database'] or '-'}\nlocal: {status['local'] or '-'}\n"
               f"pulled: {status['pulled'] or '-'}\n"
               f"files: {status['files']} ({status['bytes'] / 1e6:.1f} MB)")


@index_store_group.command("pull")
def pull_cmd() -> None:
    """Bring the version the database names into INDEX_DIR now (e.g. on a fresh host before
    starting gunicorn, whose workers would otherwise each wait for it as they warm up)."""
    with _replica() as replica:
        _echo(replica.pull)


@index_store_group.command("push")
def push_cmd() -> None:
    """Copy INDEX_DIR's versions to the database and name its current one there (after the
    builder's own push failed; builds push by themselves)."""
    with _replica() as replica:
        _echo(replica.push)


@contextmanager
def _replica() -> Iterator[Replica]:
    with app_context():
        replication = current_app.extensions.get("index_replication")
        if replication is None:
            raise click.ClickException(f"INDEX_STORE is {current_app.config['INDEX_STORE']}: "
                                       "index versions are kept in INDEX_DIR only; set "
                                       "INDEX_STORE=database")
        try:
            yield replication.replica
        finally:
            replication.replica.mirror.close()


def _echo(step) -> None:
    try:
        outcome: Outcome = step()
    except MirrorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"index {outcome.status}: version {outcome.pointer or '-'}, {outcome.files} "
               f"files ({outcome.bytes / 1e6:.1f} MB)")
