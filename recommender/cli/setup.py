"""Set up the database and the framework: ``recommender db upgrade``, ``recommender
load-framework``."""

from __future__ import annotations

import click

from catalogue.errors import DataError
from catalogue.framework import FRAMEWORK_FILE, Framework, is_domain_level
from catalogue.framework_sheet import SheetProblems, read_framework
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
@click.option("--profile", type=click.Path(exists=True, dir_okay=False),
              help="For a CSV or XLSX file whose headers are not ours: a profile file naming "
                   "them, with defaults (docs/frameworks.md).")
def load_framework_cmd(path: str | None, profile: str | None) -> None:
    """Load a capability framework (YAML, CSV or XLSX; default: the shipped one) as a version
    and make it that framework's current one. A framework with another id is loaded beside
    the others (``GET /api/v1/frameworks``); the index takes its statements at the next
    build."""
    try:
        framework = read_framework(path or FRAMEWORK_FILE, profile)
    except SheetProblems as exc:
        for problem in exc.problems:  # one a line, on stderr; nothing was loaded
            click.echo(problem, err=True)
        raise click.ClickException(str(exc)) from exc
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    with make_app().app_context():
        try:
            outcome = store_framework(db.session(), framework)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        # the learners' demand, counted against the version now current (once, here, rather
        # than on the first coverage read)
        counted = "" if demand.counted(db.session(), framework.version, framework.id) else \
            f"; demand counted for " \
            f"{demand.rebuild(db.session(), framework.version, framework.id)} learners"
    click.echo(f"framework {framework.id} {framework.version}: "
               f"{len(framework.capabilities)} statements, {outcome}{counted}")
    click.echo(f"  {_shape(framework)}")


def _shape(framework: Framework) -> str:
    """Domains, sub-domains and levels inferred, in words."""
    groups = framework.groups()
    domains = len(set(groups.values()))
    levels = sum(c.level_source == "inferred" for c in framework.capabilities)
    at_domain = sum(is_domain_level(d, g) for g, d in groups.items())
    return (f"{domains} domain{'s' * (domains != 1)}, {len(groups) - at_domain} sub-domains "
            f"and {at_domain} domain-level group{'s' * (at_domain != 1)}; "
            f"{levels} level{'s' * (levels != 1)} inferred")
