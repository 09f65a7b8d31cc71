"""Per-app services shared by the API and the CLI: index holder, statements, encoder."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from indexes.embedding import Encoder, get_encoder
from indexes.store import IndexStore, IndexVersion
from indexes.vectors import set_search_threads
from recommender import db
from recommender.framework_store import capabilities, current_version
from recommender.models import Capability
from recommender.search_index import IndexHolder
from recommender.snapshot import Snapshot
from recommender.snapshot import load as load_snapshot

_snapshot_lock = threading.Lock()


def init_app(app: Flask) -> None:
    set_search_threads(app.config.get("SEARCH_THREADS", 1))
    store = IndexStore(app.config["INDEX_DIR"], keep=app.config["INDEX_KEEP"])
    app.extensions["index"] = IndexHolder(store)
    app.extensions["statements"] = {}


def index_holder() -> IndexHolder:
    return current_app.extensions["index"]


def index_store() -> IndexStore:
    return index_holder().store


def statements() -> dict[str, Capability]:
    """The current framework's statements by id, cached per framework version."""
    session = db.session()
    version = current_version(session)
    cache = current_app.extensions["statements"]
    if version not in cache:
        rows = capabilities(session, version)
        for row in rows:
            session.expunge(row)
        cache.clear()
        cache[version] = {row.code: row for row in rows}
    return cache[version]


def snapshot(index: IndexVersion) -> Snapshot:
    """The catalogue snapshot for an index version, rebuilt when the version changes."""
    cached = current_app.extensions.get("snapshot")
    if cached is None or cached.version != index.name:
        with _snapshot_lock:
            cached = current_app.extensions.get("snapshot")
            if cached is None or cached.version != index.name:
                cached = load_snapshot(db.session(), index.name)
                current_app.extensions["snapshot"] = cached
    return cached


def encoder() -> Encoder:
    """The app's embedding model (loaded on first use)."""
    return get_encoder(current_app.config["EMBEDDING_MODEL"])
