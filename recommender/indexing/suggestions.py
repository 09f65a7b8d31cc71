"""Suggest capability statements for a resource from its vector.

A suggestion ranks statements by

    cosine(resource, prototype of the statement)
    + LEXICAL   * TF-IDF word overlap (scaled to 0-1 per resource)
    + LEVEL     * [baseline resource and level 1-2 statement, or specialist and level 3-4]
    + ARCHETYPE * share of the statement's archetype badges the resource is written for

A statement's prototype is its own vector plus ``PROTOTYPE`` x the mean vector of the
resources curators mapped to it (its labelled examples; none yet: the statement alone), so
every curated decision teaches later suggestions. A statement a curator rejected for a
resource is never suggested for it again. A resource whose nearest statement is further than
``IN_SCOPE_SIMILARITY`` gets no suggestion at all, rather than three weak ones.

The confidence stored with a suggestion is calibrated: the share of suggestions with that
score that were right on held-out curated mappings (isotonic regression, with and without
labelled examples); only those of at least ``MIN_CONFIDENCE`` are kept. Weights, threshold and
calibration were chosen on 70% of the shipped catalogue's curated mappings and are measured on
the other 30% by benchmarks/suggest_capabilities.py, whose --fit run recomputes them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from catalogue.framework import Capability, key_parts

SUGGESTIONS_PER_RESOURCE = 3
PROTOTYPE = 2.0
MIN_CONFIDENCE = 0.3
# (score, share right) breakpoints, read by linear interpolation; from --fit
CALIBRATION = {
    "examples": ((0.53, 0.0), (0.729, 0.339), (0.779, 0.443), (0.812, 0.443), (0.847, 0.443),
                 (0.876, 0.443), (0.906, 0.513), (0.946, 0.582), (0.986, 0.667),
                 (1.032, 0.694), (1.201, 1.0)),
    "alone": ((0.42, 0.0), (0.636, 0.329), (0.691, 0.386), (0.732, 0.386), (0.766, 0.386),
              (0.788, 0.386), (0.815, 0.387), (0.841, 0.441), (0.877, 0.441), (0.931, 0.613),
              (1.124, 1.0)),
}
# a resource whose nearest statement is less similar than this is out of the framework's
# scope: it gets no suggested mapping, and ranking does not offer it for any gap unless a
# curator mapped it. Chosen on half of the shipped catalogue and of DALIA's records judged
# off-topic (benchmarks/suggest_capabilities.py --fit), reported on the other half.
IN_SCOPE_SIMILARITY = 0.48
LEXICAL, LEVEL, ARCHETYPE = 0.2, 0.08, 0.05
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Candidate:
    """What a suggestion needs to know of a resource besides its vector."""

    text: str
    level: str
    archetypes: Sequence[str]


@dataclass(frozen=True)
class Examples:
    """Resources a curator mapped: their vectors and, for each, the statements."""

    vectors: np.ndarray
    codes: list[tuple[str, ...]]


class Suggester:
    """Suggests statements for resources; built once per framework version and index."""

    def __init__(self, statements: list[Capability], vectors: np.ndarray,
                 examples: Examples | None = None,
                 rejected: dict[int, set[str]] | None = None):
        self.statements = statements
        self.vectors = vectors
        self.rejected = rejected or {}
        self._column = {s.id: j for j, s in enumerate(statements)}
        self._sums = np.zeros_like(vectors, dtype=np.float64)
        self._counts = np.zeros(len(statements))
        self.prototypes = vectors
        if examples is not None:
            self.learn(examples)
        statement_words = [Counter(_WORD.findall(s.embedding_text().lower())) for s in statements]
        df = Counter(word for words in statement_words for word in words)
        idf = {w: math.log(len(statements) / df[w]) for w in df}
        self._low_level = np.array([s.level <= 2 for s in statements])
        badges_of = [frozenset(s.archetypes) for s in statements]
        # the same priors as whole-batch products (a build scores every resource against
        # every statement, and per-resource Python loops were most of a large build's time:
        # docs/performance.md): a word's idf in each statement that uses it, and each
        # archetype's share of a statement's badges
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

    def learn(self, examples: Examples) -> None:
        """Add labelled examples to the statements' prototypes."""
        for vector, codes in zip(examples.vectors, examples.codes, strict=True):
            for code in codes:
                j = self._column.get(code)
                if j is not None:
                    self._sums[j] += vector
                    self._counts[j] += 1
        taught = self._counts > 0
        centroid = np.divide(self._sums, np.maximum(self._counts, 1)[:, None])
        blend = self.vectors + PROTOTYPE * centroid * taught[:, None]
        self.prototypes = (blend / np.linalg.norm(blend, axis=1, keepdims=True)).astype(
            np.float32)

    @property
    def taught(self) -> bool:
        return bool(self._counts.any())

    def scores(self, vectors: np.ndarray, resources: list[Candidate]) -> np.ndarray:
        """(resources x statements) the ranking score of each statement for each resource."""
        return vectors @ self.prototypes.T + self.priors(resources)

    def confidence(self, scores: np.ndarray) -> np.ndarray:
        """The calibrated confidence of suggestions with these scores."""
        points = np.array(CALIBRATION["examples" if self.taught else "alone"])
        return np.interp(scores, points[:, 0], points[:, 1])

    def suggest(self, vectors: np.ndarray, resources: list[Candidate],
                ids: list[int] | None = None, k: int = SUGGESTIONS_PER_RESOURCE,
                among: set[str] | None = None) -> list[list[tuple[str, float]]]:
        """For each resource, up to k statements with their calibrated confidence (none for a
        resource out of the framework's scope; never one a curator rejected for it);
        ``among``: only these statements."""
        if not len(vectors) or not self.statements:
            return [[] for _ in resources]
        in_scope = (vectors @ self.vectors.T).max(axis=1) >= IN_SCOPE_SIMILARITY
        ranked = self.scores(vectors, resources)
        if among is not None:
            ranked[:, [j for s, j in self._column.items() if s not in among]] = -np.inf
        for i, rid in enumerate(ids or ()):
            for code in self.rejected.get(rid, ()):
                if code in self._column:
                    ranked[i, self._column[code]] = -np.inf
        top = np.argsort(-ranked, axis=1)[:, :min(k, len(self.statements))]
        confidence = self.confidence(np.take_along_axis(ranked, top, axis=1))
        return [[(self.statements[j].id, float(c)) for j, c in zip(row, sure, strict=True)
                 if c >= MIN_CONFIDENCE and np.isfinite(ranked[i, j])] if in_scope[i] else []
                for i, (row, sure) in enumerate(zip(top, confidence, strict=True))]

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


class Suggesters:
    """One ``Suggester`` per framework over an index's statements (each under its index key,
    ``catalogue.framework.statement_key``): every framework gets its own suggestions for a
    resource, its own scope and its own labelled examples."""

    def __init__(self, statements: list[Capability], vectors: np.ndarray,
                 examples: Examples | None = None,
                 rejected: dict[int, set[str]] | None = None, review: set[str] = frozenset()):
        self.review = set(review)  # keys a new version reworded or added
        rows: dict[str, list[int]] = {}
        for i, s in enumerate(statements):
            rows.setdefault(key_parts(s.id)[0], []).append(i)
        self.frameworks = tuple(rows)
        self._each = [Suggester([statements[i] for i in mine], vectors[mine], examples, rejected)
                      for mine in rows.values()]

    def learn(self, examples: Examples) -> None:
        for suggester in self._each:
            suggester.learn(examples)

    def suggest(self, vectors: np.ndarray, resources: list[Candidate],
                ids: list[int] | None = None, k: int = SUGGESTIONS_PER_RESOURCE
                ) -> list[list[tuple[str, float]]]:
        """For each resource, up to k statements of each framework (keys), with confidence."""
        out: list[list[tuple[str, float]]] = [[] for _ in resources]
        for suggester in self._each:
            for mine, found in zip(out, suggester.suggest(vectors, resources, ids, k),
                                   strict=True):
                mine.extend(found)
        return out

    def reviewed(self, vectors: np.ndarray, resources: list[Candidate],
                 ids: list[int] | None = None) -> list[list[tuple[str, float]]]:
        """For each resource, suggestions among the statements a new version reworded or
        added only: they go to curated resources too, for a curator's review."""
        out: list[list[tuple[str, float]]] = [[] for _ in resources]
        for suggester in self._each:
            if not self.review & {s.id for s in suggester.statements}:
                continue
            for mine, found in zip(out, suggester.suggest(vectors, resources, ids,
                                                          among=self.review), strict=True):
                mine.extend(found)
        return out
