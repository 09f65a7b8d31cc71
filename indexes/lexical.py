"""BM25 between capability statements and resource texts, computed at index time.

The statements are a fixed set per framework version, so their lexical neighbours are scored
once when the index is built (and for changed resources on each update) instead of on every
request. Only the statements' own words are tracked per resource, so memory stays small.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

K1, B = 1.2, 0.75
_WORD = re.compile(r"[a-z0-9]{2,}")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "can't",
        "could",
        "do",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "my",
        "of",
        "on",
        "or",
        "our",
        "such",
        "that",
        "the",
        "their",
        "them",
        "these",
        "they",
        "this",
        "to",
        "use",
        "used",
        "using",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "i'm",
        "am",
        "able",
        "including",
        "e",
        "g",
    ]
)


def tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


SCORE_BLOCK = 50_000  # documents scored together


@dataclass
class Bm25:
    """Collection statistics and the query terms they are kept for."""

    queries: list[list[str]]
    df: Counter = field(default_factory=Counter)
    docs: int = 0
    total_length: int = 0

    @property
    def vocabulary(self) -> set[str]:
        return {t for q in self.queries for t in q}

    def observe(self, text_tokens: list[str]) -> Counter:
        """Count a document into the statistics; return its counts of query terms."""
        self.docs += 1
        self.total_length += len(text_tokens)
        counts = self.counts(text_tokens)
        self.df.update(counts.keys())
        return counts

    def counts(self, text_tokens: list[str]) -> Counter:
        """A document's counts of query terms, leaving the statistics as they are."""
        vocabulary = self.__dict__.get("_vocab")
        if vocabulary is None:
            vocabulary = self.__dict__["_vocab"] = self.vocabulary
        return Counter(t for t in text_tokens if t in vocabulary)

    def score(self, doc_counts: list[Counter], doc_lengths: np.ndarray) -> np.ndarray:
        """BM25 of each document (rows) for each query (columns)."""
        avgdl = self.total_length / self.docs if self.docs else 1.0
        idf = {t: math.log(1 + (self.docs - n + 0.5) / (n + 0.5)) for t, n in self.df.items()}
        norm = K1 * (1 - B + B * np.asarray(doc_lengths, dtype=np.float32) / avgdl)
        out = np.zeros((len(doc_counts), len(self.queries)), dtype=np.float32)
        used_by: dict[str, list[int]] = {}  # term -> the queries (columns) it occurs in
        for j, query in enumerate(self.queries):
            for term in dict.fromkeys(query):
                if term in idf:
                    used_by.setdefault(term, []).append(j)
        # one pass over the documents' sparse counts (not one per query term), then each
        # term's contributions are added to its queries' columns as whole arrays; documents
        # in blocks, so the temporary arrays stay small at a million documents
        position = {term: i for i, term in enumerate(used_by)}
        weights = np.array([idf[t] for t in used_by], dtype=np.float32)
        for start in range(0, len(doc_counts), SCORE_BLOCK):
            docs, terms, tf = [], [], []
            for d, counts in enumerate(doc_counts[start:start + SCORE_BLOCK], start):
                for term, n in counts.items():
                    i = position.get(term)
                    if i is not None:
                        docs.append(d)
                        terms.append(i)
                        tf.append(n)
            if not docs:
                continue
            docs_a, terms_a = np.array(docs, dtype=np.int64), np.array(terms, dtype=np.int64)
            tf_a = np.array(tf, dtype=np.float32)
            contribution = weights[terms_a] * tf_a * (K1 + 1) / (tf_a + norm[docs_a])
            order = np.argsort(terms_a, kind="stable")
            bounds = np.searchsorted(terms_a[order], np.arange(len(used_by) + 1))
            for i, columns in enumerate(used_by.values()):
                if bounds[i] == bounds[i + 1]:  # no document has the term (most, for a few)
                    continue
                rows = order[bounds[i]:bounds[i + 1]]
                for j in columns:  # a document occurs once per term: no repeated indices
                    out[docs_a[rows], j] += contribution[rows]
        return out

    def to_json(self) -> dict:
        return {"docs": self.docs, "total_length": self.total_length, "df": dict(self.df)}

    @classmethod
    def from_json(cls, queries: list[list[str]], data: dict) -> Bm25:
        return cls(
            queries=queries,
            df=Counter(data["df"]),
            docs=data["docs"],
            total_length=data["total_length"],
        )
