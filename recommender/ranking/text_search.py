"""Full-text search in the database for a learner's free-text goal: SQLite FTS5 by default,
PostgreSQL full-text search on PostgreSQL (both set up by migration 0005)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from indexes.lexical import tokens

# An OR query scores every row that holds any of its words, so words found in much of a large
# catalogue make it cost as much as a scan. The query keeps the goal's rarest words while the
# rows they match together stay within this budget; a word beyond it says less about which
# resources fit (a lower BM25 weight), and the goal's meaning still reaches the ranking through
# its embedding. Counting a word's rows, which stops past the budget, costs a fraction of
# scoring them, and the counts are kept per index version, as learners' words repeat (figures:
# docs/performance.md, "Recommendations in process").
MATCH_BUDGET = 20_000
COUNTS_KEPT = 100_000
_COUNT = {
    "sqlite": "SELECT count(*) FROM (SELECT 1 FROM resource_fts WHERE resource_fts MATCH :q "
              "LIMIT :cap)",
    "postgresql": "SELECT count(*) FROM (SELECT 1 FROM resources "
                  "WHERE search @@ to_tsquery('english', :q) LIMIT :cap) AS found",
}


class WordCounts:
    """Rows matching each word, counted up to a budget, for one index version at a time: the
    catalogue a version serves changes only with the next version, and a word's count only
    steers which words are searched, so a count read a little before an import is still
    good enough."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.counts: dict[tuple[str, int], int] = {}

    def get(self, session: Session, dialect: str, word: str, budget: int,
            version: str | None) -> int:
        if version is None:
            return self._count(session, dialect, word, budget)
        if version != self.version or len(self.counts) >= COUNTS_KEPT:
            self.version, self.counts = version, {}
        key = (word, budget)
        if key not in self.counts:
            self.counts[key] = self._count(session, dialect, word, budget)
        return self.counts[key]

    @staticmethod
    def _count(session: Session, dialect: str, word: str, budget: int) -> int:
        statement = text(_COUNT.get(dialect, _COUNT["sqlite"]))
        return session.scalar(statement, {"q": _term(dialect, word), "cap": budget + 1})


_word_counts = WordCounts()


def search(session: Session, query: str, limit: int = 50, *, rows: int | None = None,
           budget: int = MATCH_BUDGET, version: str | None = None) -> list[tuple[int, float]]:
    """(resource id, relevance) best first; any word may match (OR), stop words dropped. In a
    catalogue of more than ``budget`` resources (``rows``; None: unknown), only the rarest
    words whose matches add up to at most ``budget`` rows are searched; with a ``version``
    (the index version served), the words' counts are kept for the next search."""
    words = list(dict.fromkeys(tokens(query)))[:32]
    dialect = session.get_bind().dialect.name
    if words and (rows is None or rows > budget):
        words = _rarest(session, dialect, words, budget, version)
    if not words:
        return []
    if dialect == "postgresql":
        found = session.execute(text(
            "SELECT id, ts_rank_cd(search, q) AS score FROM resources, "
            "to_tsquery('english', :q) AS q WHERE search @@ q ORDER BY score DESC, id "
            "LIMIT :limit"), {"q": " | ".join(_term(dialect, w) for w in words), "limit": limit})
    else:
        # bm25() is lower for better matches: negated here so higher is better. The sort key
        # is the selected column, not a second expression SQLite may evaluate again for every
        # matching row; bm25 over the matching rows is most of the query's cost
        # (docs/ranking.md, "Latency")
        found = session.execute(text(
            "SELECT rowid, bm25(resource_fts) AS score FROM resource_fts "
            "WHERE resource_fts MATCH :q ORDER BY score, rowid LIMIT :limit"),
            {"q": " OR ".join(_term(dialect, w) for w in words), "limit": limit})
        return [(int(rid), -float(score)) for rid, score in found]
    return [(int(rid), float(score)) for rid, score in found]


def _rarest(session: Session, dialect: str, words: list[str], budget: int,
            version: str | None) -> list[str]:
    """The rarest of ``words`` whose matching rows add up to at most ``budget``."""
    counts = {w: _word_counts.get(session, dialect, w, budget, version) for w in words}
    kept, total = [], 0
    for word in sorted(words, key=counts.__getitem__):
        total += counts[word]
        if total > budget:
            break
        kept.append(word)
    return kept


def _term(dialect: str, word: str) -> str:
    """One word as the database's full-text query takes it: FTS5 quotes it as a string."""
    return word if dialect == "postgresql" else f'"{word}"'
