"""The index version a web process serves, reloaded when a new version is published."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from indexes.store import IndexLoadError, IndexStore, IndexVersion

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # after a background load failed for a reason other than a bad version


class IndexHolder:
    """Holds the loaded index version; a ``stat`` per call notices a newly published one.

    A version that fails to load (corrupt, partial) is logged once and the previous good
    version keeps serving.

    Inline (the default) the call that notices a new version loads it. With ``background``
    (gunicorn workers, see ``recommender/ops/gunicorn_conf.py``) a thread loads it and runs
    ``prepare`` on it (the web app loads its catalogue snapshot there) while requests are
    still answered from the previous version; the new one is swapped in when ready. At a
    million resources that takes a minute or more, which a request must not wait for. The
    first version a process loads is always loaded inline: there is nothing else to serve.
    """

    def __init__(self, store: IndexStore,
                 prepare: Callable[[IndexVersion], None] | None = None):
        self.store = store
        self.prepare = prepare
        self.background = False
        self._version: IndexVersion | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self._retry_at = 0.0
        self.last_error: str | None = None

    def get(self) -> IndexVersion | None:
        stamp = self.store.stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    if self.background and self._version is not None and stamp is not None:
                        self._load_in_background()
                    else:
                        self._reload(stamp)
        return self._version

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background load to finish; true when none is running."""
        loader = self._loader
        if loader is not None:
            loader.join(timeout)
            return not loader.is_alive()
        return True

    def _reload(self, stamp: tuple[int, int] | None) -> None:
        self._stamp = stamp
        if stamp is None:
            return
        try:
            version = self.store.load()
        except (IndexLoadError, OSError, RuntimeError, ValueError) as exc:
            self._failed(exc)
            return
        self._serve(version)

    def _load_in_background(self) -> None:
        """Start the loader unless it is running (it looks again for a newer version when it
        finishes) or waiting out a failure."""
        if (self._loader is not None and self._loader.is_alive()) or \
                time.monotonic() < self._retry_at:
            return
        self._loader = threading.Thread(target=self._load_newest, name="index-reload",
                                        daemon=True)
        self._loader.start()

    def _load_newest(self) -> None:
        while True:
            stamp = self.store.stamp()
            if stamp is None or stamp == self._stamp:
                return
            try:
                version = self.store.load()
            except (IndexLoadError, OSError, RuntimeError, ValueError) as exc:
                self._stamp = stamp  # a broken version: wait for the next publish
                self._failed(exc)
                return
            try:
                if self.prepare is not None:
                    self.prepare(version)
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: retry later
                self._retry_at = time.monotonic() + RETRY_SECONDS
                self._failed(exc)
                return
            with self._lock:
                self._stamp = stamp
                self._serve(version)

    def _failed(self, exc: Exception) -> None:
        self.last_error = str(exc)
        log.error("index not reloaded, still serving %s: %s",
                  self._version.name if self._version else "nothing", exc)

    def _serve(self, version: IndexVersion) -> None:
        self._version = version
        self.last_error = None
        log.info("serving index version %s (%d resources)", version.name, version.vectors.count)
