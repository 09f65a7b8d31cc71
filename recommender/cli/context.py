"""The app a command works with: built from the environment, with its VAR_DIR made."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError

from recommender import create_app


def make_app() -> Flask:
    """The service's app as the environment configures it, its VAR_DIR created."""
    app = create_app()
    Path(app.config["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    return app


@contextmanager
def app_context():
    """The app's context for a command; a database that is not set up yet (no such table)
    becomes a clear message."""
    with make_app().app_context():
        try:
            yield
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(f"the database is not ready ({exc.orig}); run "
                                       "`recommender db upgrade` first") from exc
