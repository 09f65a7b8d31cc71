"""Index versions kept in the database for web replicas on other hosts (INDEX_STORE=database):
each file under the index folder's ``versions/`` with its bytes in chunks, and one pointer row
naming the version to serve (recommender/indexing/mirror.py writes and reads them).

A file's row and all its chunks are written in one transaction, so a reader sees a file whole
or not at all; chunks keep a 1.5 GB FAISS file out of any single row and out of memory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from recommender.storage.models.base import Base, utcnow


class IndexFile(Base):
    """One immutable index file: its path relative to INDEX_DIR, checksum and size."""

    __tablename__ = "index_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(400), unique=True)  # versions/<name>/...
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexFileChunk(Base):
    """The ``seq``-th piece of a file's bytes (CHUNK_BYTES long, the last one shorter)."""

    __tablename__ = "index_file_chunks"

    file_id: Mapped[int] = mapped_column(ForeignKey("index_files.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class IndexPointer(Base):
    """The one row (id 1) naming what replicas serve: the builder's ``current`` pointer text,
    set only once every file of the version it names is in ``index_files``."""

    __tablename__ = "index_pointer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pointer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
