"""Full-text search in the database for a learner's free-text goal: SQLite FTS5 by default,
PostgreSQL full-text search on PostgreSQL (both set up by migration 0005)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from indexes.lexical import tokens


def search(session: Session, query: str, limit: int = 50) -> list[tuple[int, float]]:
    """(resource id, relevance) best first; any word may match (OR), stop words dropped."""
    words = list(dict.fromkeys(tokens(query)))[:32]
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text(
            "SELECT id, ts_rank_cd(search, q) AS score FROM resources, "
            "to_tsquery('english', :q) AS q WHERE search @@ q ORDER BY score DESC, id "
            "LIMIT :limit"), {"q": " | ".join(words), "limit": limit})
    else:
        match = " OR ".join(f'"{w}"' for w in words)
        # bm25() is lower for better matches: negate it so higher is better
        rows = session.execute(text(
            "SELECT rowid, -bm25(resource_fts) AS score FROM resource_fts "
            "WHERE resource_fts MATCH :q ORDER BY bm25(resource_fts), rowid LIMIT :limit"),
            {"q": match, "limit": limit})
    return [(int(rid), float(score)) for rid, score in rows]
