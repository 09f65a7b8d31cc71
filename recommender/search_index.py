"""The index version a web process serves, reloaded when a new version is published."""

from __future__ import annotations

import logging
import threading

from indexes.store import IndexLoadError, IndexStore, IndexVersion

log = logging.getLogger(__name__)


class IndexHolder:
    """Holds the loaded index version; a ``stat`` per call notices a newly published one.

    A version that fails to load (corrupt, partial) is logged once and the previous good
    version keeps serving.
    """

    def __init__(self, store: IndexStore):
        self.store = store
        self._version: IndexVersion | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def get(self) -> IndexVersion | None:
        stamp = self.store.stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._reload(stamp)
        return self._version

    def _reload(self, stamp: tuple[int, int] | None) -> None:
        self._stamp = stamp
        if stamp is None:
            return
        try:
            version = self.store.load()
        except (IndexLoadError, OSError, RuntimeError, ValueError) as exc:
            self.last_error = str(exc)
            log.error("index not reloaded, still serving %s: %s",
                      self._version.name if self._version else "nothing", exc)
            return
        self._version = version
        self.last_error = None
        log.info("serving index version %s (%d resources)", version.name, version.vectors.count)
