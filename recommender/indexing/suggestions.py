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
# a resource whose nearest statement is less similar than this is out of the framework's
# scope: it gets no suggested mapping, and ranking does not offer it for any gap unless a
# curator mapped it. Chosen on half of the shipped catalogue and of DALIA's records judged
# off-topic (benchmarks/suggest_capabilities.py --scope), reported on the other half.
IN_SCOPE_SIMILARITY = 0.42
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
        statement_words = [Counter(_WORD.findall(s.embedding_text().lower())) for s in statements]
        df = Counter(word for words in statement_words for word in words)
        idf = {w: math.log(len(statements) / df[w]) for w in df}
        self._low_level = np.array([s.level <= 2 for s in statements])
        badges_of = [frozenset(s.archetypes) for s in statements]
        # the same priors as whole-batch products (a build scores every resource against
        # every statement: per-resource Python loops took 58 s of a 100k build): a word's
        # idf in each statement that uses it, and each archetype's share of a statement's
        # badges
        vocabulary = sorted(df)
        self._word_column = {w: i for i, w in enumerate(vocabulary)}
        idf_in = np.zeros((len(vocabulary), len(statements)))
        for j, words in enumerate(statement_words):
            for w in words:
                idf_in[self._word_column[w], j] = idf[w]
        self._idf_in = idf_in
        archetypes = sorted({a for badges in badges_of for a in badges})
        self._archetype_column = {a: i for i, a in enumerate(archetypes)}
        share = np.zeros((len(archetypes), len(statements)))
        for j, badges in enumerate(badges_of):
            for a in badges:
                share[self._archetype_column[a], j] = 1 / len(badges)
        self._share_of = share

    def suggest(self, vectors: np.ndarray, resources: list[Candidate],
                k: int = SUGGESTIONS_PER_RESOURCE) -> list[list[tuple[str, float]]]:
        """For each resource, its k best statements with their cosine as confidence."""
        if not len(vectors) or not self.statements:
            return [[] for _ in resources]
        cosine = vectors @ self.vectors.T
        ranked = cosine + self.priors(resources)
        top = np.argsort(-ranked, axis=1)[:, :min(k, len(self.statements))]
        return [[(self.statements[j].id, float(cosine[i, j])) for j in row]
                for i, row in enumerate(top)]

    def priors(self, resources: list[Candidate]) -> np.ndarray:
        """(resources x statements) prior of each statement for each resource: LEXICAL x the
        idf of the words they share (scaled so a resource's best statement has 1), LEVEL where
        the levels suit, ARCHETYPE x the share of the statement's badges the resource is for."""
        words = np.zeros((len(resources), len(self._word_column)))
        archetypes = np.zeros((len(resources), len(self._archetype_column)))
        for i, resource in enumerate(resources):
            words[i, [self._word_column[w] for w in set(_WORD.findall(resource.text.lower()))
                      if w in self._word_column]] = 1
            archetypes[i, [self._archetype_column[a] for a in set(resource.archetypes)
                           if a in self._archetype_column]] = 1
        lexical = words @ self._idf_in
        best = lexical.max(axis=1, keepdims=True)
        lexical = np.divide(lexical, best, out=lexical, where=best > 0)
        level = self._low_level[None, :] == np.array(
            [r.level == "baseline" for r in resources])[:, None]
        return LEXICAL * lexical + LEVEL * level + ARCHETYPE * (archetypes @ self._share_of)


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
