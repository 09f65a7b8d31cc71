"""The database's copy of index files, for hosts that share no file system
(INDEX_STORE=database): reading and writing the tables of recommender/storage/models/replicas.py.

A file goes in whole or not at all: its row and all its chunks (``CHUNK_BYTES`` each, so a
1.5 GB FAISS file is never one row, nor in memory) in one transaction. The pointer row is set
only after checking, while holding it, that every file of the version it names is there, so a
reader never sees a pointer to files that are not. recommender/indexing/replicas.py moves a
host's folder to and from here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from recommender.storage.db import make_engine
from recommender.storage.models import IndexFile, IndexFileChunk, IndexPointer, utcnow

CHUNK_BYTES = 8 * 1024 * 1024


class MirrorError(RuntimeError):
    """A push or pull that could not be completed; what it left is never served."""


@dataclass(frozen=True)
class StoredFile:
    id: int
    path: str  # relative to INDEX_DIR: versions/<name>/...
    sha256: str
    size: int
    chunks: int


def version_folder(pointer: str) -> str:
    """The version folder a pointer names: its text up to a '+' (what may follow counts the
    incremental deltas kept under versions/<name>/deltas/)."""
    return pointer.split("+", 1)[0]


class Mirror:
    """The index files and the pointer in one database, through an engine of its own."""

    def __init__(self, database_url: str, chunk_bytes: int = CHUNK_BYTES):
        self.database_url = database_url
        self.chunk_bytes = chunk_bytes
        self._engine: Engine | None = None
        self._engine_pid = 0

    def engine(self) -> Engine:
        """The mirror's engine, made again in a forked child (a Celery pool process), whose
        inherited connections belong to its parent."""
        if self._engine is None or self._engine_pid != os.getpid():
            if self._engine is not None:
                self._engine.dispose(close=False)
            self._engine, self._engine_pid = make_engine(self.database_url), os.getpid()
        return self._engine

    def close(self) -> None:
        if self._engine is not None and self._engine_pid == os.getpid():
            self._engine.dispose()
        self._engine = None

    def pointer(self) -> str | None:
        with self.engine().connect() as conn:
            return conn.scalar(select(IndexPointer.pointer).where(IndexPointer.id == 1))

    def files(self, prefix: str = "versions/") -> dict[str, StoredFile]:
        """The files held, by path, whose path starts with ``prefix``."""
        with self.engine().connect() as conn:
            rows = conn.execute(select(IndexFile.id, IndexFile.path, IndexFile.sha256,
                                       IndexFile.size, IndexFile.chunks)
                                .where(IndexFile.path.startswith(prefix, autoescape=True)))
            return {row.path: StoredFile(*row) for row in rows}

    def totals(self) -> tuple[int, int]:
        """(files, bytes) held."""
        with self.engine().connect() as conn:
            files, size = conn.execute(select(func.count(),
                                              func.coalesce(func.sum(IndexFile.size), 0))).one()
        return int(files), int(size)

    def upload(self, rel: str, path: Path, sha256: str, stale: StoredFile | None = None) -> int:
        """Store one file (replacing ``stale``, a copy that is not this file's); returns the
        bytes sent (0 when another push stored the same file meanwhile)."""
        digest, size, seq = hashlib.sha256(), 0, 0
        try:
            with self.engine().begin() as conn, path.open("rb") as fh:
                if stale is not None:
                    _delete_files(conn, [stale.id])
                file_id = conn.execute(insert(IndexFile).values(
                    path=rel, sha256="", size=0, chunks=0, uploaded_at=utcnow())
                ).inserted_primary_key[0]
                while chunk := fh.read(self.chunk_bytes):
                    conn.execute(insert(IndexFileChunk).values(file_id=file_id, seq=seq,
                                                               data=chunk))
                    digest.update(chunk)
                    size += len(chunk)
                    seq += 1
                if digest.hexdigest() != sha256:
                    raise MirrorError(f"{rel} changed while it was uploaded")
                conn.execute(update(IndexFile).where(IndexFile.id == file_id)
                             .values(sha256=sha256, size=size, chunks=seq))
        except IntegrityError:  # the same path, stored by another push meanwhile
            now = self.files(rel).get(rel)
            if now is None or now.sha256 != sha256:
                raise
            return 0
        return size

    def chunks(self, stored: StoredFile) -> Iterator[bytes]:
        """A file's bytes, one chunk (one query) at a time."""
        with self.engine().connect() as conn:
            for seq in range(stored.chunks):
                data = conn.scalar(select(IndexFileChunk.data).where(
                    IndexFileChunk.file_id == stored.id, IndexFileChunk.seq == seq))
                if data is None:
                    raise MirrorError(f"{stored.path}: chunk {seq} of {stored.chunks} is "
                                      "missing from the database")
                yield data

    def name(self, pointer: str, needed: dict[str, str]) -> None:
        """Set the pointer, once every file of ``needed`` (path -> sha256) is held."""
        prefix = f"versions/{version_folder(pointer)}/"
        with self.engine().begin() as conn:
            _lock_pointer(conn)
            present = dict(conn.execute(select(IndexFile.path, IndexFile.sha256).where(
                IndexFile.path.startswith(prefix, autoescape=True))).all())
            missing = sorted(rel for rel, sha in needed.items() if present.get(rel) != sha)
            if missing:
                raise MirrorError(f"not naming {pointer} in the database: {', '.join(missing)} "
                                  "did not arrive")
            conn.execute(update(IndexPointer).where(IndexPointer.id == 1)
                         .values(pointer=pointer, updated_at=utcnow()))

    def forget(self, keep: set[str]) -> int:
        """Delete the files of every version folder not in ``keep``, never those of the
        version the pointer names; returns how many went."""
        with self.engine().begin() as conn:
            pointer = _lock_pointer(conn)
            keep = keep | ({version_folder(pointer)} if pointer else set())
            doomed = [file_id for file_id, rel in conn.execute(select(IndexFile.id,
                                                                      IndexFile.path))
                      if rel.split("/")[1] not in keep]
            _delete_files(conn, doomed)
        return len(doomed)


def _lock_pointer(conn: Connection) -> str | None:
    """Hold the pointer row for the transaction (FOR UPDATE on PostgreSQL; SQLite has one
    writer at a time anyway), so two pushes never interleave naming and forgetting."""
    row = conn.execute(select(IndexPointer.pointer).where(IndexPointer.id == 1)
                       .with_for_update()).first()
    if row is None:
        raise MirrorError("the database has no index pointer row; run `recommender db upgrade`")
    return row.pointer


def _delete_files(conn: Connection, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        conn.execute(delete(IndexFileChunk).where(IndexFileChunk.file_id.in_(batch)))
        conn.execute(delete(IndexFile).where(IndexFile.id.in_(batch)))
