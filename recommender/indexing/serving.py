"""Per-app services shared by the API and the CLI: index holder, statements, encoder."""

from __future__ import annotations

import gc
import logging
import threading
import time
from functools import partial
from pathlib import Path

from flask import Flask, current_app

from catalogue.framework import DEFAULT_FRAMEWORK
from catalogue.framework import Capability as Statement
from indexes.embedding import Encoder, encoder_name, get_encoder
from indexes.store import IndexStore, IndexVersion
from recommender.content.framework import cached_statements
from recommender.indexing import pools, replication, views
from recommender.indexing.holder import IndexHolder
from recommender.indexing.snapshot import Snapshot
from recommender.indexing.snapshot import load as load_snapshot
from recommender.indexing.snapshot import patch as patch_snapshot
from recommender.storage import db, driver_reads

_snapshot_lock = threading.Lock()
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    store = IndexStore(app.config["INDEX_DIR"], keep=app.config["INDEX_KEEP"])
    app.extensions["index"] = IndexHolder(store, prepare=partial(_prepare, app))
    app.extensions["snapshots"] = {}
    if app.config["INDEX_STORE"] == "database":  # hosts that share no file system
        replication.init_app(app, store)


def _prepare(app: Flask, index: IndexVersion) -> None:
    """Ready a version before it serves (a background reload): its catalogue snapshot and
    each framework's view of it."""
    with app.app_context():
        _ready(index)


def _ready(index: IndexVersion) -> None:
    """The version's snapshot and every framework's view of it (with its pools), so that no
    request builds them."""
    snapshot(index)
    for framework in views.frameworks_of(index):
        framework_view(index, framework)


def index_holder() -> IndexHolder:
    return current_app.extensions["index"]


def index_store() -> IndexStore:
    return index_holder().store


def statements(index: IndexVersion | None = None,
               framework: str = DEFAULT_FRAMEWORK) -> dict[str, Statement]:
    """A framework's statements by id: the version ``index`` was built for when one is given
    and holds the framework (no query: a recommendation ranks with that index's statement
    lists, and a new framework version always builds a new index), else the current one."""
    version = views.version_of(index, framework) if index is not None else None
    return cached_statements(version, framework)


def framework_view(index: IndexVersion, framework: str) -> tuple[IndexVersion, Snapshot]:
    """The index version and its catalogue snapshot as one framework sees them
    (``recommender.indexing.views``)."""
    cache = current_app.extensions.setdefault("framework_views", {})
    return views.view(cache, index, snapshot(index), framework)


def served_view(framework: str) -> IndexVersion | None:
    """The served index version as ``framework`` sees it; None when none is built or it holds
    none of the framework's statements yet (coverage's nearest resources)."""
    index = index_holder().get()
    if index is None or views.version_of(index, framework) is None:
        return None
    return framework_view(index, framework)[0]


def snapshot(index: IndexVersion) -> Snapshot:
    """The catalogue snapshot for an index version, loaded once per version. Two are kept:
    the served version's and, while a background reload prepares it, the next one's. A
    version that is a kept one with more deltas gets the kept snapshot with the changed rows
    read again (``snapshot.patch``), not a whole new read. Each comes with its statements'
    candidate pools (``pools.build``), worked out before it serves."""
    cache = current_app.extensions["snapshots"]
    found = cache.get(index.name)
    if found is None:
        with _snapshot_lock:
            found = cache.get(index.name)
            if found is None:
                found = _patched(cache, index) or load_snapshot(db.session(), index)
                found.pools = pools.build(index, found)
                while len(cache) > 1:
                    cache.pop(next(iter(cache)))
                cache[index.name] = found
    return found


def _patched(cache: dict[str, Snapshot], index: IndexVersion) -> Snapshot | None:
    """A kept snapshot brought up to ``index`` when ``index`` is its version plus deltas."""
    for kept in reversed(list(cache.values())):
        touched = index.touched_since(kept.version)
        if touched is not None:
            return patch_snapshot(db.session(), kept, index, touched)
    return None


def encoder() -> Encoder:
    """The app's embedding model (loaded on first use); an ONNX backend keeps its export of the
    model under VAR_DIR/models."""
    config = current_app.config
    return get_encoder(config["EMBEDDING_MODEL"], config.get("EMBEDDING_BACKEND", "torch"),
                       Path(config["VAR_DIR"]) / "models")


def model_name() -> str:
    """The name the app's encoder records in index manifests, without loading the model."""
    config = current_app.config
    return encoder_name(config["EMBEDDING_MODEL"], config.get("EMBEDDING_BACKEND", "torch"))


def warm() -> None:
    """Load what requests need before the first one comes: the served index version, its
    catalogue snapshot, the framework's statements, and the embedding model, with one
    encoding (its first call sets up the runtime). While it runs, the app reports itself
    warming, and /readyz answers 503.

    What it loaded then stays for the process's life, and is frozen out of the cyclic garbage
    collector (``gc.freeze``): the model and its libraries are half a million objects, and a
    full collection walked them all, a 270 ms pause inside some request every few thousand
    (at 100k resources, 10 gaps)."""
    current_app.extensions["warming"] = True
    began = time.perf_counter()
    try:
        replication.first_pull(current_app)  # INDEX_STORE=database: a fresh host's version
        index = index_holder().get()
        statements()  # the current framework's, which assessments are mapped to
        if index is not None:
            statements(index)
            _ready(index)
        model = encoder()
        model.encode(["a learner's gap in their own words"])
        driver_reads.prepare_all(db.engine().dialect)
        gc.freeze()
    finally:
        current_app.extensions["warming"] = False
    log.info("warmed up in %.1f s: model %s, index version %s", time.perf_counter() - began,
             model.name, index.name if index is not None else "none yet")
