"""Ranking quality on the judged set (tests/data/judged/): ours against BM25-only and
dense-only baselines over the same catalogue and index, with nDCG@5, nDCG@10, MRR and gap
coverage. Used by benchmarks/evaluate.py and by a regression test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.text import resource_text
from indexes.embedding import Encoder
from indexes.lexical import Bm25, tokens
from indexes.store import IndexVersion
from recommender.contract.validation import Gap, RecommendationRequest
from recommender.indexing.snapshot import Snapshot
from recommender.ranking.recommend import recommend
from recommender.ranking.scoring import DEFAULT_WEIGHTS
from recommender.storage.models import Capability, Resource

JUDGED = Path(__file__).resolve().parents[2] / "tests" / "data" / "judged" / "queries.yaml"
RELEVANT = 2  # grade that counts as relevant for MRR and gap coverage
COVERS = 0.4  # similarity at which a relevant resource counts as covering a gap


@dataclass(frozen=True)
class Query:
    id: str
    archetype: str
    gaps: tuple[Gap, ...]
    free_text: str | None
    judgments: dict[str, int]


def load_queries(path: Path = JUDGED) -> list[Query]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    return [Query(q["id"], q["archetype"],
                  tuple(Gap(g["capability"], g["severity"]) for g in q["gaps"]),
                  q.get("free_text"), dict(q["judgments"])) for q in raw]


def ndcg(ranked: list[str], judgments: dict[str, int], k: int) -> float:
    gains = [2 ** judgments.get(r, 0) - 1 for r in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((2 ** g - 1 for g in judgments.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: list[str], judgments: dict[str, int]) -> float:
    for i, r in enumerate(ranked):
        if judgments.get(r, 0) >= RELEVANT:
            return 1 / (i + 1)
    return 0.0


class Evaluator:
    """Runs the three systems over one catalogue, index and model."""

    def __init__(self, session: Session, index: IndexVersion, snapshot: Snapshot,
                 statements: dict[str, Capability], encoder: Encoder):
        self.session, self.index, self.snapshot = session, index, snapshot
        self.statements, self.encoder = statements, encoder
        rows = session.execute(select(Resource.id, Resource.slug, Resource.title,
                                      Resource.description, Resource.topics)
                               .order_by(Resource.id)).all()
        self.slugs = [r.slug for r in rows]
        self.slug_of = {r.id: r.slug for r in rows}
        texts = [resource_text(r.title, r.description, r.topics) for r in rows]
        self.words = [tokens(t) for t in texts]
        self.vectors = index.vectors_of(np.array([r.id for r in rows]))[0]
        self.curated = {(rid, code) for code, ids in snapshot.curated.items() for rid in ids}
        self.id_of = {r.slug: r.id for r in rows}

    def ours(self, q: Query, k: int) -> list[str]:
        req = RecommendationRequest(q.archetype, q.gaps, q.free_text, k)
        body = recommend(req, self.index, self.snapshot, self.session, self.statements,
                         DEFAULT_WEIGHTS, self.encoder if q.free_text else None)
        items = sorted(body["baseline"] + body["specialist"], key=lambda i: -(i["score"] or -9))
        return [i["id"] for i in items][:k]

    def bm25(self, q: Query, k: int) -> list[str]:
        query = [t for g in q.gaps for t in tokens(self.statements[g.capability].text)]
        query += tokens(q.free_text or "")
        model = Bm25([query])
        counts = [model.observe(w) for w in self.words]
        scores = model.score(counts, np.array([len(w) for w in self.words], dtype=np.float32))
        return [self.slugs[i] for i in np.argsort(-scores[:, 0], kind="stable")[:k]]

    def dense(self, q: Query, k: int) -> list[str]:
        query = np.sum([self.index.capability_vectors[self.index.row(g.capability)]
                        for g in q.gaps], axis=0)
        if q.free_text:
            query = query + self.encoder.encode([q.free_text])[0]
        scores = self.vectors @ (query / np.linalg.norm(query))
        return [self.slugs[i] for i in np.argsort(-scores, kind="stable")[:k]]

    def gap_coverage(self, q: Query, ranked: list[str]) -> float:
        """Share of the query's gaps that a relevant resource in the list covers (curated
        for the statement, or similarity >= COVERS)."""
        covered = 0
        for gap in q.gaps:
            vector = self.index.capability_vectors[self.index.row(gap.capability)]
            for slug in ranked:
                if q.judgments.get(slug, 0) < RELEVANT:
                    continue
                rid = self.id_of[slug]
                row = self.slugs.index(slug)
                if (rid, gap.capability) in self.curated or \
                        float(self.vectors[row] @ vector) >= COVERS:
                    covered += 1
                    break
        return covered / len(q.gaps)

    def run(self, queries: list[Query]) -> dict[str, dict[str, float]]:
        results = {}
        for name in ("ours", "bm25", "dense"):
            system = getattr(self, name)
            rows = []
            for q in queries:
                ranked = system(q, 10)
                rows.append((ndcg(ranked, q.judgments, 5), ndcg(ranked, q.judgments, 10),
                             mrr(ranked, q.judgments), self.gap_coverage(q, ranked)))
            means = np.mean(rows, axis=0)
            results[name] = dict(zip(("ndcg_at_5", "ndcg_at_10", "mrr", "gap_coverage"),
                                     (float(m) for m in means), strict=True))
        return results
