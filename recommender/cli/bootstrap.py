"""First-run set-up for ``recommender run``: each step is a no-op when already done."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from catalogue.framework import Framework, load_framework
from catalogue.importers import read_resources, shipped_files
from recommender.content.framework import current_version
from recommender.content.framework import load_framework as store_framework
from recommender.content.store import upsert_resources
from recommender.indexing.basis import BASIS, is_up_to_date, wanted_manifest
from recommender.indexing.serving import index_store, model_name
from recommender.storage import db, migrate
from recommender.storage.models import FrameworkVersion
from recommender.storage.queue import enqueue_build, enqueue_update


def bootstrap(app: Flask, echo: Callable[[str], object] = print, timeout: float = 1800) -> None:
    """Migrate, load the framework and shipped catalogue, and build the index if stale."""
    with app.app_context():
        migrate.upgrade(db.engine())
        session = db.session()
        framework = shipped_framework(session, echo)
        batch = read_resources(shipped_files(), framework,
                               licences=app.config["LICENCE_ALLOWLIST"])
        for error in batch.errors:
            echo(f"shipped catalogue: rejected {error}")
        echo(f"catalogue: {upsert_resources(session, batch.resources).summary()}")
        wanted = wanted_manifest(session, model_name(), app.config["INDEX_TYPE"])
        if is_up_to_date(index_store(), wanted):
            echo(f"index up to date: version {index_store().current_name()}")
            return
        current = index_store().manifest() or {}
        same_basis = all(current.get(k) == wanted.get(k) for k in BASIS)
        if same_basis:
            echo("applying catalogue changes to the index through the Celery worker ...")
            result = enqueue_update().get(timeout=timeout)
        else:
            echo("building the index through the Celery worker ...")
            result = enqueue_build().get(timeout=timeout)
        echo(f"index {result['status']}: version {result['version']}, "
             f"{result['count']} resources")


def shipped_framework(session: Session, echo: Callable[[str], object] = print) -> Framework:
    """Load the shipped framework unless it is loaded already; a restart leaves the version
    current that ``recommender load-framework`` made current since (a spreadsheet of the
    official statements, say). A new shipped version (a new release) is loaded and made
    current once."""
    framework = load_framework()
    serving = current_version(session, framework.id)
    if serving not in (None, framework.version) and \
            session.get(FrameworkVersion, (framework.id, framework.version)) is not None:
        echo(f"framework {framework.id} {serving}: kept (the shipped {framework.version} is "
             "loaded but not current)")
    else:
        echo(f"framework {framework.id} {framework.version}: "
             f"{store_framework(session, framework)}")
    return framework
