"""A host's index folder kept in step with the database's copy (INDEX_STORE=database).

The host that builds pushes (``Replica.push``, after each publish): every file under
``versions/`` that the database does not hold with the same sha256 is uploaded, then the
pointer is named there, then the files of versions pruned here are forgotten there (never the
named version's).

A replica pulls (``Replica.pull``): when the database names a version this folder has not
taken, the missing files are downloaded under temporary names, each checked against its sha256
(a bad or partial copy is deleted and nothing is switched), renamed into place (a new version
folder whole, as ``IndexStore.publish`` does), and only then is ``current`` replaced (temporary
file, fsync, rename). The web process's IndexHolder notices the new pointer and loads it. The
processes of one host share its folder: a pull holds ``.pull.lock`` there, and a pull that finds
the work done does nothing. The folder follows the database only when the database's pointer
moves (``.pulled`` records the last one taken), so a version built here and not yet pushed is
never replaced by the older one the database still names.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from indexes.files import fsync, locked, replace_text, sha256
from indexes.store import IndexBusyError, IndexStore
from recommender.indexing.mirror import Mirror, MirrorError, StoredFile, version_folder

log = logging.getLogger(__name__)
PULLED_FILE = ".pulled"  # the database pointer this folder last took (dot: the store ignores it)
LOCK_WAIT_SECONDS = 3600  # another process of this host may be downloading a whole version


@dataclass(frozen=True)
class Outcome:
    status: str  # pushed, pulled, unchanged, or empty (the database names no version yet)
    pointer: str | None
    files: int = 0
    bytes: int = 0


class Replica:
    """One index folder (an IndexStore's root) and the database's copy of index versions."""

    def __init__(self, store: IndexStore, mirror: Mirror):
        self.store = store
        self.mirror = mirror
        self._hashes: dict[tuple, str] = {}  # (path, inode, size, mtime) -> sha256

    def status(self) -> dict:
        files, size = self.mirror.totals()
        return {"database": self.mirror.pointer(), "local": self.store.current_name(),
                "pulled": self.pulled(), "files": files, "bytes": size}

    # -- push ------------------------------------------------------------------------------

    def push(self, pointer: str | None = None) -> Outcome:
        """Copy this folder's versions to the database and name ``pointer`` there (default:
        the one served here)."""
        pointer = pointer or self.store.current_name()
        if not pointer:
            raise MirrorError(f"nothing has been published under {self.store.root}")
        remote = self.mirror.pointer()
        if pointer == self.pulled() and remote not in (None, pointer):
            raise MirrorError(f"this folder took {pointer} from the database, which names "
                              f"{remote} now: pushing it would take every replica back")
        prefix = f"versions/{version_folder(pointer)}/"
        local = self.local_files()
        needed = {rel: self._sha256(rel, path) for rel, path in local.items()
                  if rel.startswith(prefix)}
        if not needed:
            raise MirrorError(f"index pointer {pointer!r} names no version folder under "
                              f"{self.store.versions}")
        held = self.mirror.files()
        sent = sent_bytes = 0
        for rel, path in sorted(local.items()):
            known = held.get(rel)
            try:
                sha = self._sha256(rel, path)
                if known is None or known.sha256 != sha:
                    sent_bytes += self.mirror.upload(rel, path, sha, known)
                    sent += 1
            except FileNotFoundError:  # an older version, pruned by a build meanwhile
                if rel in needed:
                    raise
        self.mirror.name(pointer, needed)
        _replace_text(self.store.root / PULLED_FILE, pointer)  # this folder is in step
        forgotten = self.mirror.forget({rel.split("/")[1] for rel in self.local_files()})
        log.info("pushed index %s to the database: %d files uploaded (%.1f MB), %d of pruned "
                 "versions forgotten", pointer, sent, sent_bytes / 1e6, forgotten)
        return Outcome("pushed", pointer, sent, sent_bytes)

    def local_files(self) -> dict[str, Path]:
        """Every file under versions/ by its path relative to the root, leaving out the
        temporary ones (any part of the path starting with '.')."""
        found = {}
        for folder, dirs, files in os.walk(self.store.versions):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if not name.startswith("."):
                    path = Path(folder) / name
                    found[path.relative_to(self.store.root).as_posix()] = path
        return found

    def _sha256(self, rel: str, path: Path) -> str:
        """A file's checksum, hashed once per process (files under versions/ never change)."""
        st = path.stat()
        key = (rel, st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in self._hashes:
            self._hashes[key] = sha256(path)
        return self._hashes[key]

    # -- pull ------------------------------------------------------------------------------

    def pulled(self) -> str | None:
        try:
            return (self.store.root / PULLED_FILE).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def needs_pull(self, remote: str | None) -> bool:
        """True when the database names a version this folder has not taken."""
        return remote is not None and (remote != self.pulled() or
                                       self.store.current_name() is None)

    def pull(self, lock_wait: float = LOCK_WAIT_SECONDS) -> Outcome:
        """Bring the version the database names into this folder and point ``current`` at
        it; raises MirrorError (and switches nothing) when a file does not arrive whole."""
        with self._pull_lock(lock_wait):
            remote = self.mirror.pointer()
            if not self.needs_pull(remote):
                return Outcome("unchanged" if remote else "empty", remote)
            began = time.perf_counter()
            self._clear_leftovers()
            folder = version_folder(remote)
            wanted = self.mirror.files(f"versions/{folder}/")
            if not wanted:
                raise MirrorError(f"the database names {remote} but holds none of its files")
            odd = [rel for rel in wanted if any(part.startswith(".") or not part
                                                for part in rel.split("/"))]
            if odd or "/" in folder:  # a path that would land outside versions/<folder>/
                raise MirrorError(f"the database names {remote!r} with files {odd}: not taken")
            missing = [f for f in wanted.values() if not self._have(f)]
            target = self.store.versions / folder
            if target.exists():  # a version this folder has: only its new files
                for stored in missing:
                    self._download(stored, self.store.root / stored.path)
            else:  # a new version appears whole, as a build's does
                self._download_folder(folder, missing, target)
            self._switch(remote)
        size = sum(f.size for f in missing)
        log.info("pulled index %s from the database: %d files (%.1f MB) in %.1f s", remote,
                 len(missing), size / 1e6, time.perf_counter() - began)
        return Outcome("pulled", remote, len(missing), size)

    def _have(self, stored: StoredFile) -> bool:
        path = self.store.root / stored.path
        if not path.exists():
            return False
        if path.stat().st_size != stored.size:
            raise MirrorError(f"{path} differs from the database's copy of it (files under "
                              "versions/ never change)")
        return True

    def _download_folder(self, folder: str, files: list[StoredFile], target: Path) -> None:
        staging = self.store.root / f".pull-{folder}-{uuid.uuid4().hex[:6]}"
        try:
            for stored in files:
                self._download(stored, staging / Path(stored.path).relative_to(
                    f"versions/{folder}"))
            for path in sorted(staging.rglob("*"), reverse=True):
                fsync(path)
            fsync(staging)
            self.store.versions.mkdir(parents=True, exist_ok=True)
            os.rename(staging, target)
            fsync(self.store.versions)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _download(self, stored: StoredFile, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.parent / f".pull-{dest.name}.{uuid.uuid4().hex[:6]}.part"
        digest, size = hashlib.sha256(), 0
        try:
            with tmp.open("wb") as fh:
                for data in self.mirror.chunks(stored):
                    fh.write(data)
                    digest.update(data)
                    size += len(data)
                fh.flush()
                os.fsync(fh.fileno())
            if size != stored.size or digest.hexdigest() != stored.sha256:
                raise MirrorError(f"{stored.path}: the database's copy does not match its "
                                  f"sha256 ({size} bytes, {digest.hexdigest()[:12]}... instead "
                                  f"of {stored.size} bytes, {stored.sha256[:12]}...); not "
                                  "served")
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def _switch(self, remote: str) -> None:
        """Point ``current`` at ``remote`` (unless it already is) under the build lock, so a
        build in this folder and a pull never write the pointer at once; then prune."""
        try:
            with self.store.lock(timeout=60):
                if self.store.current_name() != remote:
                    _replace_text(self.store.pointer, remote)
                _replace_text(self.store.root / PULLED_FILE, remote)
                self.store.prune()
        except IndexBusyError as exc:
            raise MirrorError(f"{remote} is downloaded but not served yet: {exc}") from exc

    def _clear_leftovers(self) -> None:
        """What a pull killed midway left (only a pull, holding the pull lock, makes these)."""
        for stale in self.store.root.glob(".pull-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if self.store.versions.exists():
            for part in self.store.versions.rglob(".pull-*.part"):
                part.unlink(missing_ok=True)

    def _pull_lock(self, wait: float):
        return locked(self.store.root / ".pull.lock", wait, MirrorError)


def _replace_text(path: Path, text: str) -> None:
    replace_text(path, text)
    fsync(path.parent)
