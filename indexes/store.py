"""Versioned index directories with an atomically published ``current`` pointer.

Layout under the index root::

    versions/<name>/resources.faiss      vectors keyed by resource id
    versions/<name>/capabilities.npy     one vector per framework statement
    versions/<name>/capabilities.json    statement ids, in the row order of capabilities.npy
    versions/<name>/neighbours.npz       per statement its nearest resources by meaning and by
                                         BM25; per resource its nearest statement's similarity
    versions/<name>/lexical.json         the BM25 statistics of the last full build
    versions/<name>/manifest.json        model, dimension, counts, checksums, created time
    current                              the name of the version being served

A version is written to a temporary folder, fsynced, renamed into ``versions/`` and only then
named in ``current`` (written to a temporary file and renamed over it), so readers see the old
version or the new one, never a half-written one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexes.ids import locate
from indexes.neighbours import NeighbourLists
from indexes.vectors import VectorIndex

log = logging.getLogger(__name__)
RESOURCES_FILE = "resources.faiss"
CAPABILITIES_FILE = "capabilities.npy"
CAPABILITY_IDS_FILE = "capabilities.json"
MANIFEST_FILE = "manifest.json"
NEIGHBOURS_FILE = "neighbours.npz"
LEXICAL_FILE = "lexical.json"
DATA_FILES = (RESOURCES_FILE, CAPABILITIES_FILE, CAPABILITY_IDS_FILE, NEIGHBOURS_FILE,
              LEXICAL_FILE)
STALE_STAGING_SECONDS = 6 * 3600


class IndexBusyError(RuntimeError):
    """Another process holds the build lock."""


class IndexLoadError(RuntimeError):
    """An index version is missing, partial or does not match its manifest."""


@dataclass
class IndexVersion:
    """A loaded, verified index version: resource vectors plus capability vectors."""

    name: str
    manifest: dict
    vectors: VectorIndex
    capability_ids: list[str]
    capability_vectors: np.ndarray
    dense: NeighbourLists
    lexical: NeighbourLists
    lexical_stats: dict
    # each resource's similarity to its nearest statement: (sorted ids, similarities), kept
    # at build so a request does not multiply its candidates by every statement; None for a
    # version written before it was kept (then computed from the vectors)
    nearest: tuple[np.ndarray, np.ndarray] | None = None

    def row(self, capability_id: str) -> int | None:
        return self._rows().get(capability_id)

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, found): each id's vector, zeros where the version does not hold the id.

        Read in place from the index's storage (memory-mapped when loaded by ``load``): the
        only per-process arrays are the sorted ids and their rows (16 bytes a resource)."""
        sorted_ids, rows = self._lookup()
        ids = np.asarray(ids, dtype=np.int64)
        if not len(sorted_ids):
            return (np.zeros((len(ids), self.vectors.dimension), dtype=np.float32),
                    np.zeros(len(ids), dtype=bool))
        where, found = locate(sorted_ids, ids)
        out = self.vectors.take(rows[where])
        if not found.all():
            out[~found] = 0
        return out, found

    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted resource ids, each one's storage row), built once per version."""
        cached = self.__dict__.get("_lookup_cache")
        if cached is None:
            ids = self.vectors.ids()
            order = np.argsort(ids)
            cached = (ids[order], order)
            self.__dict__["_lookup_cache"] = cached
        return cached

    def nearest_similarity(self, ids: np.ndarray) -> np.ndarray:
        """Each resource's similarity to its nearest statement (-inf for an id the version
        does not hold)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.nearest is None:
            vectors, found = self.vectors_of(ids)
            best = (vectors @ self.capability_vectors.T).max(axis=1, initial=-np.inf)
            return np.where(found, best, -np.inf)
        kept, similarity = self.nearest
        if not len(kept):
            return np.full(len(ids), -np.inf)
        where, found = locate(kept, ids)  # positions are clamped to the array
        return np.where(found, similarity[where], -np.inf)

    def capability_vector(self, capability_id: str) -> np.ndarray | None:
        row = self._rows().get(capability_id)
        return None if row is None else self.capability_vectors[row]

    def _rows(self) -> dict[str, int]:
        rows = self.__dict__.get("_row_cache")
        if rows is None:
            rows = {cid: i for i, cid in enumerate(self.capability_ids)}
            self.__dict__["_row_cache"] = rows
        return rows


class IndexStore:
    """Reads and publishes index versions under one root directory."""

    def __init__(self, root: Path | str, keep: int = 3, *, mmap: bool = True):
        self.root = Path(root)
        self.keep = max(1, keep)
        self.mmap = mmap  # load resource vectors memory-mapped (shared between processes)
        self.versions = self.root / "versions"
        self.pointer = self.root / "current"
        # called with the pointer's new content after each publish (a full version or a
        # delta), e.g. to copy the new files to a store other hosts read
        self.on_publish: list[Callable[[str], None]] = []

    @contextmanager
    def lock(self, timeout: float = 0):
        """Hold the build lock (one writer at a time across processes); waits up to
        ``timeout`` seconds, then raises IndexBusyError."""
        self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        with (self.root / ".build.lock").open("a") as fh:
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(f"another build holds {self.root}/.build.lock") \
                            from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def current_name(self) -> str | None:
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def stamp(self) -> tuple[int, int] | None:
        """A cheap fingerprint of the pointer; it changes whenever a version is published."""
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def manifest(self, name: str | None = None) -> dict | None:
        name = name or self.current_name()
        if not name:
            return None
        try:
            return json.loads((self.versions / name / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def load(self, name: str | None = None) -> IndexVersion:
        """Load a version (default: current) after checking every file against the manifest."""
        name = name or self.current_name()
        if not name:
            raise IndexLoadError(f"no index has been published under {self.root}")
        folder = self.versions / name
        manifest = self.manifest(name)
        if manifest is None:
            raise IndexLoadError(f"index version {name} has no readable manifest")
        for file_name, expected in manifest.get("files", {}).items():
            path = folder / file_name
            if not path.exists() or _sha256(path) != expected:
                raise IndexLoadError(f"index version {name}: {file_name} is missing or does not "
                                     "match its checksum")
        vectors = VectorIndex.load(folder / RESOURCES_FILE, mmap=self.mmap)
        if vectors.dimension != manifest["dimension"] or vectors.count != manifest["count"]:
            raise IndexLoadError(f"index version {name} does not match its manifest")
        capability_ids = json.loads((folder / CAPABILITY_IDS_FILE).read_text(encoding="utf-8"))
        capability_vectors = np.load(folder / CAPABILITIES_FILE)
        with np.load(folder / NEIGHBOURS_FILE) as lists:
            dense = NeighbourLists(lists["dense_ids"], lists["dense_scores"])
            lexical = NeighbourLists(lists["lexical_ids"], lists["lexical_scores"])
            nearest = (lists["nearest_ids"], lists["nearest_scores"]) \
                if "nearest_ids" in lists.files else None
        lexical_stats = json.loads((folder / LEXICAL_FILE).read_text(encoding="utf-8"))
        return IndexVersion(name=name, manifest=manifest, vectors=vectors,
                            capability_ids=capability_ids, capability_vectors=capability_vectors,
                            dense=dense, lexical=lexical, lexical_stats=lexical_stats,
                            nearest=nearest)

    def publish(self, vectors: VectorIndex, capability_ids: list[str],
                capability_vectors: np.ndarray, manifest: dict, *, dense: NeighbourLists,
                lexical: NeighbourLists, lexical_stats: dict,
                nearest: tuple[np.ndarray, np.ndarray] | None = None) -> str:
        """Write a new version and point ``current`` at it; return the version name.
        ``nearest``: each resource's similarity to its nearest statement, as a build keeps
        it (left out, the version computes it from the vectors when asked)."""
        self.versions.mkdir(parents=True, exist_ok=True)
        created = datetime.now(UTC)
        name = created.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        staging = self.root / f".staging-{name}"
        tmp_pointer = self.root / f".current-{name}"
        staging.mkdir(parents=True)
        published = False
        try:
            vectors.save(staging / RESOURCES_FILE)
            np.save(staging / CAPABILITIES_FILE, np.asarray(capability_vectors, dtype=np.float32))
            (staging / CAPABILITY_IDS_FILE).write_text(json.dumps(capability_ids),
                                                        encoding="utf-8")
            with (staging / NEIGHBOURS_FILE).open("wb") as fh:
                kept = {} if nearest is None else {"nearest_ids": nearest[0],
                                                   "nearest_scores": nearest[1]}
                np.savez(fh, dense_ids=dense.ids, dense_scores=dense.scores,
                         lexical_ids=lexical.ids, lexical_scores=lexical.scores, **kept)
            (staging / LEXICAL_FILE).write_text(json.dumps(lexical_stats), encoding="utf-8")
            full = dict(manifest, version=name, created=created.isoformat(),
                        dimension=vectors.dimension, count=vectors.count,
                        capabilities=len(capability_ids),
                        files={f: _sha256(staging / f) for f in DATA_FILES})
            (staging / MANIFEST_FILE).write_text(json.dumps(full, indent=2, sort_keys=True),
                                                 encoding="utf-8")
            for path in staging.iterdir():
                _fsync(path)
            _fsync(staging)
            os.rename(staging, self.versions / name)
            _fsync(self.versions)
            tmp_pointer.write_text(name, encoding="utf-8")
            _fsync(tmp_pointer)
            os.replace(tmp_pointer, self.pointer)
            published = True
            _fsync(self.root)
        except BaseException:
            # a full disk or a kill can strike at any step: leave only what was there before
            if not published:
                shutil.rmtree(staging, ignore_errors=True)
                shutil.rmtree(self.versions / name, ignore_errors=True)
                tmp_pointer.unlink(missing_ok=True)
            raise
        self.prune()
        log.info("published index version %s (%d resources)", name, full["count"])
        self._announce(name)
        return name

    def _announce(self, pointer: str) -> None:
        for listener in self.on_publish:
            listener(pointer)

    def prune(self) -> list[str]:
        """Delete all but the newest ``keep`` versions, never the current one."""
        current = self.current_name()
        names = sorted(p.name for p in self.versions.iterdir() if p.is_dir()) \
            if self.versions.exists() else []
        doomed = [n for n in names[:-self.keep] if n != current]
        for name in doomed:
            shutil.rmtree(self.versions / name, ignore_errors=True)
        # a staging folder this old belongs to a build that died; a live build finishes sooner
        cutoff = time.time() - STALE_STAGING_SECONDS
        for stale in self.root.glob(".staging-*"):
            if stale.stat().st_mtime < cutoff:
                shutil.rmtree(stale, ignore_errors=True)
        return doomed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
