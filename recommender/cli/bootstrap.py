"""First-run set-up for ``recommender run``: each step is a no-op when already done."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from recommender.content.framework import load_framework as store_framework
from recommender.content.store import upsert_resources
from recommender.indexing.basis import BASIS, is_up_to_date, wanted_manifest
from recommender.indexing.serving import index_store, model_name
from recommender.storage import db, migrate
from recommender.storage.queue import enqueue_build, enqueue_update


def bootstrap(app: Flask, echo: Callable[[str], object] = print, timeout: float = 1800) -> None:
    """Migrate, load the framework and shipped catalogue, and build the index if stale."""
    with app.app_context():
        migrate.upgrade(db.engine())
        session = db.session()
        framework = load_framework()
        outcome = store_framework(session, framework)
        echo(f"framework {framework.version}: {outcome}")
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
        same_basis = all(current.get(k) == wanted[k] for k in BASIS)
        if same_basis:
            echo("applying catalogue changes to the index through the Celery worker ...")
            result = enqueue_update().get(timeout=timeout)
        else:
            echo("building the index through the Celery worker ...")
            result = enqueue_build().get(timeout=timeout)
        echo(f"index {result['status']}: version {result['version']}, "
             f"{result['count']} resources")
