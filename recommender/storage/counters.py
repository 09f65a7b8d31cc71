"""Counters kept in the database: one upsert adds to a row's counts, creating the row if it is
not there, in one statement that concurrent writers cannot interleave (INSERT ... ON CONFLICT
DO UPDATE, on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def add(session: Session, model: type, keys: Sequence[str], rows: list[dict]) -> None:
    """Add each row's counts (every column not in ``keys``) to the row with its keys."""
    if not rows:
        return
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert
    statement = insert(model).values(rows)
    counts = [name for name in rows[0] if name not in keys]
    session.execute(statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: getattr(model, name) + getattr(statement.excluded, name)
              for name in counts}))
