"""Versioned index directories with an atomically published ``current`` pointer.

Layout under the index root::

    versions/<name>/resources.faiss      vectors keyed by resource id
    versions/<name>/capabilities.npy     one vector per framework statement
    versions/<name>/capabilities.json    statement ids, in the row order of capabilities.npy
    versions/<name>/neighbours.npz       per statement its nearest resources by meaning and by
                                         BM25; per resource its nearest statement's similarity
                                         and its share of out-of-scope neighbours
    versions/<name>/lexical.json         the BM25 statistics of the last full build
    versions/<name>/manifest.json        model, dimension, counts, checksums, created time
    versions/<name>/deltas/<seq>-<tag>.npz   an incremental change over the version
    versions/<name>/deltas/<seq>-<tag>.json  its manifest: parent delta, checksum, counts
    current                              what is served: ``<name>`` or ``<name>+<seq>-<tag>``

A version is written to a temporary folder, fsynced, renamed into ``versions/`` and only then
named in ``current`` (written to a temporary file and renamed over it), so readers see the old
version or the new one, never a half-written one. A delta (``indexes.deltas``) is written the
same way: its files under temporary names, fsynced, renamed, and only then named in
``current``. Files under ``versions/`` never change once they are there; a delta that was
written but never named (its writer died) is never read.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexes import delta_files
from indexes.deltas import Delta
from indexes.files import IndexLoadError, fsync, locked, replace_text, sha256
from indexes.neighbours import NeighbourLists
from indexes.vectors import VectorIndex
from indexes.version import IndexVersion

log = logging.getLogger(__name__)
RESOURCES_FILE = "resources.faiss"
CAPABILITIES_FILE = "capabilities.npy"
CAPABILITY_IDS_FILE = "capabilities.json"
MANIFEST_FILE = "manifest.json"
NEIGHBOURS_FILE = "neighbours.npz"
LEXICAL_FILE = "lexical.json"
DATA_FILES = (RESOURCES_FILE, CAPABILITIES_FILE, CAPABILITY_IDS_FILE, NEIGHBOURS_FILE,
              LEXICAL_FILE)
DELTAS = "deltas"
STALE_STAGING_SECONDS = 6 * 3600


class IndexBusyError(RuntimeError):
    """Another process holds the build lock."""


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
        self._last: IndexVersion | None = None  # the last version loaded and verified

    def lock(self, timeout: float = 0):
        """Hold the build lock (one writer at a time across processes); waits up to
        ``timeout`` seconds, then raises IndexBusyError."""
        return locked(self.root / ".build.lock", timeout, IndexBusyError)

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
        """The manifest of a version (default: current); with deltas, the full version's
        with the fields the newest delta changed (catalogue checksum, count, created)."""
        name = name or self.current_name()
        if not name:
            return None
        base, _, stem = name.partition("+")
        try:
            manifest = json.loads((self.versions / base / MANIFEST_FILE)
                                  .read_text(encoding="utf-8"))
            if stem:
                manifest.update(delta_files.meta(self.versions / base / DELTAS, stem)
                                ["manifest"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return manifest

    def load(self, name: str | None = None) -> IndexVersion:
        """Load a version (default: current) after checking every file against its manifest
        or its delta's. The last version loaded is kept: loading the same full version with
        more deltas reads and checks only the new deltas. A loaded version is shared, not a
        copy: change one only through ``with_delta``, which makes a new one."""
        name = name or self.current_name()
        if not name:
            raise IndexLoadError(f"no index has been published under {self.root}")
        base, _, top = name.partition("+")
        folder = self.versions / base / DELTAS
        chain = delta_files.chain(folder, base, top) if top else []
        last = self._last
        if last is not None and last.name == name:
            return last
        start = None
        if last is not None and last.base == base:
            applied = list(last.chain)
            stems = [stem for stem, _ in chain]
            start = last if stems[:len(applied)] == applied else last.full or last
        version = start if start is not None else self._load_full(base)
        for stem, meta in chain[len(version.chain):]:
            version = version.with_delta(delta_files.read(folder, base, stem, meta), stem,
                                         meta["manifest"])
        self._last = version
        return version

    def _load_full(self, name: str) -> IndexVersion:
        folder = self.versions / name
        manifest = self.manifest(name)
        if manifest is None:
            raise IndexLoadError(f"index version {name} has no readable manifest")
        for file_name, expected in manifest.get("files", {}).items():
            path = folder / file_name
            if not path.exists() or sha256(path) != expected:
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
            outside = (lists["outside_ids"], lists["outside_shares"]) \
                if "outside_ids" in lists.files else None
        lexical_stats = json.loads((folder / LEXICAL_FILE).read_text(encoding="utf-8"))
        return IndexVersion(name=name, manifest=manifest, vectors=vectors,
                            capability_ids=capability_ids, capability_vectors=capability_vectors,
                            dense=dense, lexical=lexical, lexical_stats=lexical_stats,
                            nearest=nearest, outside=outside)

    def publish_delta(self, parent: IndexVersion, delta: Delta, manifest: dict) -> str:
        """Write ``delta`` over version ``parent`` (the current one) and point ``current`` at
        the result; return its name. ``manifest``: the fields it changes (catalogue
        checksum...); its count and created time are added here."""
        seq = len(parent.chain) + 1
        created = datetime.now(UTC)
        stem = f"{seq:06d}-{uuid.uuid4().hex[:6]}"
        name = f"{parent.base}+{stem}"
        folder = self.versions / parent.base / DELTAS
        made_folder = not folder.exists()
        folder.mkdir(exist_ok=True)
        if made_folder:
            fsync(folder.parent)
        _, held = parent.vectors_of(np.concatenate([delta.removed, delta.upserted]))
        count = parent.vectors.count - int(held[:len(delta.removed)].sum()) \
            + int((~held[len(delta.removed):]).sum())
        changes = dict(manifest, version=name, created=created.isoformat(), count=count)
        meta = {"base": parent.base, "delta": stem, "seq": seq,
                "parent": parent.chain[-1] if parent.chain else None,
                "changed": len(delta.upserted), "removed": len(delta.removed),
                "manifest": changes}
        written: list[Path] = []
        published = False
        try:
            delta_files.write(folder, stem, delta, meta, written)
            replace_text(self.pointer, name)
            published = True
            fsync(self.root)
        except BaseException:
            if not published:  # leave only what was there before
                for path in written:
                    path.unlink(missing_ok=True)
            raise
        self._last = parent.with_delta(delta, stem, changes)
        log.info("published index delta %s (%d changed, %d removed)", name,
                 len(delta.upserted), len(delta.removed))
        self._announce(name)
        return name

    def publish(self, vectors: VectorIndex, capability_ids: list[str],
                capability_vectors: np.ndarray, manifest: dict, *, dense: NeighbourLists,
                lexical: NeighbourLists, lexical_stats: dict,
                nearest: tuple[np.ndarray, np.ndarray] | None = None,
                outside: tuple[np.ndarray, np.ndarray] | None = None) -> str:
        """Write a new version and point ``current`` at it; return the version name.
        ``nearest``: each resource's similarity to its nearest statement, as a build keeps
        it (left out, the version computes it from the vectors when asked); ``outside``:
        each resource's share of out-of-scope neighbours (likewise)."""
        self.versions.mkdir(parents=True, exist_ok=True)
        created = datetime.now(UTC)
        name = created.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
        staging = self.root / f".staging-{name}"
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
                if outside is not None:
                    kept.update(outside_ids=outside[0], outside_shares=outside[1])
                np.savez(fh, dense_ids=dense.ids, dense_scores=dense.scores,
                         lexical_ids=lexical.ids, lexical_scores=lexical.scores, **kept)
            (staging / LEXICAL_FILE).write_text(json.dumps(lexical_stats), encoding="utf-8")
            full = dict(manifest, version=name, created=created.isoformat(),
                        dimension=vectors.dimension, count=vectors.count,
                        capabilities=len(capability_ids),
                        files={f: sha256(staging / f) for f in DATA_FILES})
            (staging / MANIFEST_FILE).write_text(json.dumps(full, indent=2, sort_keys=True),
                                                 encoding="utf-8")
            for path in staging.iterdir():
                fsync(path)
            fsync(staging)
            os.rename(staging, self.versions / name)
            fsync(self.versions)
            replace_text(self.pointer, name)
            published = True
            fsync(self.root)
        except BaseException:
            # a full disk or a kill can strike at any step: leave only what was there before
            if not published:
                shutil.rmtree(staging, ignore_errors=True)
                shutil.rmtree(self.versions / name, ignore_errors=True)
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
        current = (self.current_name() or "").partition("+")[0]
        names = sorted(p.name for p in self.versions.iterdir() if p.is_dir()) \
            if self.versions.exists() else []
        doomed = [n for n in names[:-self.keep] if n != current]
        for name in doomed:
            shutil.rmtree(self.versions / name, ignore_errors=True)
        # a staging folder this old belongs to a build that died; a live build finishes sooner
        cutoff = time.time() - STALE_STAGING_SECONDS
        for stale in [*self.root.glob(".staging-*"),
                      *self.versions.glob(f"*/{DELTAS}/.tmp-*")]:
            if stale.stat().st_mtime < cutoff:
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else \
                    stale.unlink(missing_ok=True)
        return doomed
