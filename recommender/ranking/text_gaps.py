"""Gaps in words: each is mapped to the framework statements its text matches, and the
request's gaps become the columns the ranking scores, one per statement (gaps that come to the
same statement are merged, keeping the worst severity).

A text gap is scored against its own words as well as its statement: the column's query vector
is ``(1 - TEXT_WEIGHT) * statement + TEXT_WEIGHT * text`` (normalised), and its lexical leg
takes the better of the statement's BM25 rank and the text's full-text rank. When no statement
reaches ``MATCH_SIMILARITY`` the gap is ranked by its words alone and the answer says so.
``MATCH_SIMILARITY`` and ``TEXT_WEIGHT`` were chosen on the train half of the learner-words
judged set (docs/ranking.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from catalogue.framework import Capability
from indexes.lexical import Bm25, tokens
from indexes.store import IndexVersion
from recommender.contract.validation import Gap, TextGap

MATCH_SIMILARITY = 0.3  # a statement whose match score reaches this is a match
MATCH_MARGIN = 0.08      # further matches named: within this of the best one
MAX_MATCHES = 3
TEXT_WEIGHT = 0.6
LEXICAL = 0.2            # weight of the text's BM25 score over statements (best = 1)
OTHER_ARCHETYPE = 0.1    # taken off statements whose badges leave out the learner's archetype


@dataclass(frozen=True)
class Column:
    """One scored gap: a statement, the worst severity asked for it, and the words of the text
    gaps merged into it. ``matched`` is False for a text gap that matches no statement well:
    ``capability`` is then only its nearest statement (for the level rule)."""

    capability: str
    severity: int
    texts: tuple[str, ...] = ()
    matched: bool = True


@dataclass(frozen=True)
class Reading:
    """How one text gap was read, for the answer."""

    gap: TextGap
    matches: tuple[tuple[str, float], ...]  # statements it matches, best first
    nearest: tuple[str, float]              # its nearest statement, matched or not

    def as_dict(self, statements: Mapping[str, Capability]) -> dict:
        return {
            "position": self.gap.position, "text": self.gap.text, "severity": self.gap.severity,
            **({"domain": self.gap.domain} if self.gap.domain else {}),
            "matches": [{"capability": code, "statement": statements[code].text,
                         "similarity": round(similarity, 4)}
                        for code, similarity in self.matches],
            "ranked_as": self.matches[0][0] if self.matches else None,
            "note": None if self.matches else (
                f"no statement matches these words closely (the nearest, {self.nearest[0]}, "
                f"has similarity {self.nearest[1]:.2f}): ranked by the words alone"),
        }


def read(gaps: Sequence[TextGap], vectors: np.ndarray, index: IndexVersion,
         statements: Mapping[str, Capability], archetype: str | None = None) -> list[Reading]:
    """Each text gap's matching statements, from its vector (one row per gap). A statement's
    match score is its cosine to the text, plus ``LEXICAL`` x the text's BM25 score over the
    statements (scaled so the best is 1), less ``OTHER_ARCHETYPE`` when its badges leave the
    learner's archetype out; the answer shows the cosine."""
    if not len(gaps):
        return []
    codes = index.capability_ids
    shape = _statement_shape(index.name, tuple(codes), statements)
    cosine = vectors @ index.capability_vectors.T
    lexical = np.stack([_bm25(g.text, shape.words) for g in gaps])
    match = cosine + LEXICAL * lexical - OTHER_ARCHETYPE * ~shape.badged(archetype)[None, :]
    readings = []
    for gap, row, cos in zip(gaps, match, cosine, strict=True):
        row = np.where((shape.domains == gap.domain) if gap.domain else True, row, -np.inf)
        order = np.argsort(-row, kind="stable")[:MAX_MATCHES]
        best = float(row[order[0]])
        matches = tuple((codes[j], float(cos[j])) for j in order
                        if row[j] >= MATCH_SIMILARITY and row[j] >= best - MATCH_MARGIN)
        readings.append(Reading(gap, matches, (codes[order[0]], float(cos[order[0]]))))
    return readings


@dataclass(frozen=True)
class _Shape:
    """What matching needs of an index's statements, kept per index version."""

    words: list[list[str]]
    domains: np.ndarray
    archetypes: list[frozenset[str]]

    def badged(self, archetype: str | None) -> np.ndarray:
        return np.array([archetype is None or archetype in a for a in self.archetypes])


_shapes: dict[tuple, _Shape] = {}


def _statement_shape(version: str, codes: tuple[str, ...],
                     statements: Mapping[str, Capability]) -> _Shape:
    key = (version, codes)
    if key not in _shapes:
        known = [statements.get(c) for c in codes]
        if len(_shapes) >= 4:
            _shapes.clear()
        _shapes[key] = _Shape([tokens(s.embedding_text()) if s else [] for s in known],
                              np.array([s.domain_id if s else "" for s in known]),
                              [frozenset(s.archetypes or ()) if s else frozenset()
                               for s in known])
    return _shapes[key]


def _bm25(text: str, documents: list[list[str]]) -> np.ndarray:
    """The text's BM25 score over each statement, scaled so the best is 1."""
    model = Bm25([tokens(text)])
    scores = model.score([model.observe(words) for words in documents],
                         np.array([len(w) for w in documents], dtype=np.float32))[:, 0]
    best = scores.max(initial=0.0)
    return scores / best if best > 0 else scores


def columns(gaps: Sequence[Gap], readings: Sequence[Reading]) -> list[Column]:
    """The request's gaps as scored columns: statement gaps first, in order, then the
    statements text gaps came to; a text gap matching nothing keeps a column of its own."""
    merged: dict[str, Column] = {g.capability: Column(g.capability, g.severity) for g in gaps}
    alone = []
    for reading in readings:
        if not reading.matches:
            alone.append(Column(reading.nearest[0], reading.gap.severity, (reading.gap.text,),
                                matched=False))
            continue
        code = reading.matches[0][0]
        had = merged.get(code, Column(code, 1))
        merged[code] = Column(code, max(had.severity, reading.gap.severity),
                              had.texts + (reading.gap.text,))
    return [*merged.values(), *alone]


def query_vector(column: Column, statement: np.ndarray,
                 texts: Mapping[str, np.ndarray]) -> np.ndarray:
    """The vector a column's candidates are compared with (``statement`` is all zeros for a
    statement the index does not hold)."""
    if not column.texts:
        return statement
    words = np.sum([texts[t] for t in column.texts], axis=0)
    words = words / np.linalg.norm(words)
    if not column.matched or not statement.any():
        return words
    blend = (1 - TEXT_WEIGHT) * statement + TEXT_WEIGHT * words
    return blend / np.linalg.norm(blend)
