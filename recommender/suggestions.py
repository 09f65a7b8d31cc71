"""Suggest capability statements for a resource, and spot near-duplicates, from its vector.

A suggestion ranks statements by

    cosine(resource, statement)
    + LEXICAL   * TF-IDF word overlap (scaled to 0-1 per resource)
    + LEVEL     * [baseline resource and level 1-2 statement, or specialist and level 3-4]
    + ARCHETYPE * share of the statement's archetype badges the resource is written for

The three weights were chosen on 70% of the shipped catalogue's curated mappings and are
measured on the other 30% by benchmarks/suggest_capabilities.py (see the README). The
confidence stored with a suggestion is the plain cosine, which a curator can read.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from catalogue.framework import Capability

SUGGESTIONS_PER_RESOURCE = 3
LEXICAL, LEVEL, ARCHETYPE = 0.2, 0.08, 0.05
# above the closest pair of distinct resources in the shipped catalogue (0.914: NHS England's
# and SHTG's guides to home blood pressure monitoring), so a flag means a likely copy
NEAR_DUPLICATE_SIMILARITY = 0.93
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Candidate:
    """What a suggestion needs to know of a resource besides its vector."""

    text: str
    level: str
    archetypes: Sequence[str]


class Suggester:
    """Suggests statements for resources; built once per framework version and index."""

    def __init__(self, statements: list[Capability], vectors: np.ndarray):
        self.statements = statements
        self.vectors = vectors
        self._words = [Counter(_WORD.findall(s.embedding_text().lower())) for s in statements]
        df = Counter(word for words in self._words for word in words)
        self._idf = {w: math.log(len(statements) / df[w]) for w in df}
        self._low_level = np.array([s.level <= 2 for s in statements])
        self._badges = [frozenset(s.archetypes) for s in statements]

    def suggest(self, vectors: np.ndarray, resources: list[Candidate],
                k: int = SUGGESTIONS_PER_RESOURCE) -> list[list[tuple[str, float]]]:
        """For each resource, its k best statements with their cosine as confidence."""
        if not len(vectors) or not self.statements:
            return [[] for _ in resources]
        cosine = vectors @ self.vectors.T
        ranked = cosine + np.stack([self._priors(r) for r in resources])
        top = np.argsort(-ranked, axis=1)[:, :min(k, len(self.statements))]
        return [[(self.statements[j].id, float(cosine[i, j])) for j in row]
                for i, row in enumerate(top)]

    def _priors(self, resource: Candidate) -> np.ndarray:
        words = set(_WORD.findall(resource.text.lower()))
        lexical = np.array([sum(self._idf[w] for w in words & doc.keys())
                            for doc in self._words])
        if lexical.max() > 0:
            lexical = lexical / lexical.max()
        level = self._low_level == (resource.level == "baseline")
        archetypes = set(resource.archetypes)
        share = np.array([len(badges & archetypes) / len(badges) for badges in self._badges])
        return LEXICAL * lexical + LEVEL * level + ARCHETYPE * share


def near_duplicate_pairs(ids: np.ndarray, scores: np.ndarray, neighbours: np.ndarray,
                         threshold: float = NEAR_DUPLICATE_SIMILARITY) -> set[tuple[int, int]]:
    """Pairs (smaller id, larger id) whose similarity reaches the threshold, from the result
    of searching the index with the resources' own vectors."""
    pairs = set()
    for rid, row_scores, row_ids in zip(ids, scores, neighbours, strict=True):
        for other, similarity in zip(row_ids, row_scores, strict=True):
            if other >= 0 and other != rid and similarity >= threshold:
                pairs.add((int(min(rid, other)), int(max(rid, other))))
    return pairs
