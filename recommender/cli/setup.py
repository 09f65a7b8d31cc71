"""Set up the database and the framework: ``recommender db upgrade``, ``recommender
load-framework``."""

from __future__ import annotations

import click

from catalogue.errors import DataError
from catalogue.framework import FRAMEWORK_FILE, load_framework
from recommender.cli.context import make_app
from recommender.content.framework import load_framework as store_framework
from recommender.learners import demand
from recommender.storage import db


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.option("--revision", default="head", help="Target revision (default: the newest).")
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema."""
    # local: Alembic is slow to import and only this command needs it (not --help)
    from recommender.storage import migrate

    with make_app().app_context():
        migrate.upgrade(db.engine(), revision)
        click.echo(f"database at revision {migrate.current_revision(db.engine())}")


@click.command("load-framework")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def load_framework_cmd(path: str | None) -> None:
    """Load the capability framework (default: the shipped one) and make it current."""
    try:
        framework = load_framework(path or FRAMEWORK_FILE)
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    with make_app().app_context():
        try:
            outcome = store_framework(db.session(), framework)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        # the learners' demand, counted against the version now current (once, here, rather
        # than on the first coverage read)
        counted = "" if demand.counted(db.session(), framework.version) else \
            f"; demand counted for {demand.rebuild(db.session(), framework.version)} learners"
    click.echo(f"framework {framework.version}: {len(framework.capabilities)} statements, "
               f"{outcome}{counted}")


