"""Ranking quality on the judged sets (tests/data/judged/): ours against BM25-only,
dense-only and their reciprocal-rank fusion over the same catalogue and index, with nDCG@5,
nDCG@10, MRR, gap coverage and how many judged distractors reach a top 10. Queries give gaps
as statement ids (queries.yaml) or in words (learner_words.yaml). Used by
benchmarks/evaluate.py and by regression tests."""

from __future__ import annotations

import hashlib
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
from recommender.contract.validation import Gap, RecommendationRequest, TextGap
from recommender.indexing.snapshot import Snapshot
from recommender.ranking import text_gaps
from recommender.ranking.recommend import recommend
from recommender.ranking.scoring import DEFAULT_WEIGHTS
from recommender.storage.models import Capability, Resource

JUDGED_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "judged"
JUDGED = JUDGED_DIR / "queries.yaml"
LEARNER_WORDS = JUDGED_DIR / "learner_words.yaml"
DISTRACTORS = JUDGED_DIR / "distractors.yaml"
SYSTEMS = ("ours", "bm25", "dense", "rrf")
RELEVANT = 2  # grade that counts as relevant for MRR and gap coverage
COVERS = 0.4  # similarity at which a relevant resource counts as covering a gap


@dataclass(frozen=True)
class Query:
    id: str
    archetype: str
    gaps: tuple[Gap, ...]
    free_text: str | None
    judgments: dict[str, int]   # resource slug (or URL, for an imported record) -> grade
    text_gaps: tuple[TextGap, ...] = ()
    nearest: tuple[tuple[str, ...], ...] = ()  # per text gap: the statements judged to fit


def load_queries(path: Path = JUDGED) -> list[Query]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    out = []
    for q in raw:
        coded = [g for g in q["gaps"] if "capability" in g]
        worded = [(i, g) for i, g in enumerate(q["gaps"]) if "text" in g]
        out.append(Query(
            q["id"], q["archetype"], tuple(Gap(g["capability"], g["severity"]) for g in coded),
            q.get("free_text"), dict(q["judgments"]),
            tuple(TextGap(g["text"], g.get("severity", 2), g.get("domain"), i)
                  for i, g in worded),
            tuple(tuple(g.get("nearest") or ()) for _, g in worded)))
    return out


def half(query_id: str) -> str:
    """The half of the judged sets a query is in, fixed by a hash of its id: settings are
    chosen on "train" (even hashes) and reported on "test" as well."""
    return "train" if int(hashlib.sha1(query_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_distractors(path: Path = DISTRACTORS) -> set[str]:
    """URLs of imported records judged off-topic for every judged query."""
    if not path.exists():
        return set()
    return {d["url"] for d in yaml.safe_load(path.read_text(encoding="utf-8"))["distractors"]}


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
                 statements: dict[str, Capability], encoder: Encoder,
                 weights: dict[str, float] | None = None):
        self.session, self.index, self.snapshot = session, index, snapshot
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.statements, self.encoder = statements, encoder
        rows = session.execute(select(Resource.id, Resource.slug, Resource.url, Resource.title,
                                      Resource.description, Resource.topics)
                               .order_by(Resource.id)).all()
        self.slugs = [r.slug for r in rows]
        self.row_of = {r.slug: i for i, r in enumerate(rows)}
        self.slug_of_url = {r.url: r.slug for r in rows}
        texts = [resource_text(r.title, r.description, r.topics) for r in rows]
        self.words = [tokens(t) for t in texts]
        self.vectors = index.vectors_of(np.array([r.id for r in rows]))[0]
        self.curated = {(rid, code) for code, ids in snapshot.curated.items() for rid in ids}
        self.id_of = {r.slug: r.id for r in rows}

    def judged(self, q: Query) -> dict[str, int]:
        """The query's judgments keyed by slug (imported records are judged by URL)."""
        return {self.slug_of_url.get(key, key): grade for key, grade in q.judgments.items()}

    def ours(self, q: Query, k: int) -> list[str]:
        req = RecommendationRequest(q.archetype, q.gaps, q.free_text, k, text_gaps=q.text_gaps)
        body = recommend(req, self.index, self.snapshot, self.session, self.statements,
                         self.weights,
                         self.encoder if q.free_text or q.text_gaps else None)
        items = sorted(body["baseline"] + body["specialist"], key=lambda i: -(i["score"] or -9))
        return [i["id"] for i in items][:k]

    def _words(self, q: Query) -> list[str]:
        """What the baselines are given: each gap's statement text or words, and the goal."""
        return [*(self.statements[g.capability].text for g in q.gaps),
                *(g.text for g in q.text_gaps), *([q.free_text] if q.free_text else [])]

    def bm25(self, q: Query, k: int) -> list[str]:
        query = [t for text in self._words(q) for t in tokens(text)]
        model = Bm25([query])
        counts = [model.observe(w) for w in self.words]
        scores = model.score(counts, np.array([len(w) for w in self.words], dtype=np.float32))
        return [self.slugs[i] for i in np.argsort(-scores[:, 0], kind="stable")[:k]]

    def dense(self, q: Query, k: int) -> list[str]:
        parts = [self.index.capability_vectors[self.index.row(g.capability)] for g in q.gaps]
        extra = [g.text for g in q.text_gaps] + ([q.free_text] if q.free_text else [])
        if extra:
            parts += list(self.encoder.encode(extra))
        query = np.sum(parts, axis=0)
        scores = self.vectors @ (query / np.linalg.norm(query))
        return [self.slugs[i] for i in np.argsort(-scores, kind="stable")[:k]]

    def rrf(self, q: Query, k: int) -> list[str]:
        """Reciprocal-rank fusion (k = 60) of the BM25 and dense rankings."""
        fused: dict[str, float] = {}
        for ranked in (self.bm25(q, len(self.slugs)), self.dense(q, len(self.slugs))):
            for rank, slug in enumerate(ranked):
                fused[slug] = fused.get(slug, 0.0) + 1 / (60 + rank + 1)
        return sorted(fused, key=lambda s: (-fused[s], self.row_of[s]))[:k]

    def gap_coverage(self, q: Query, ranked: list[str]) -> float:
        """Share of the query's gaps that a relevant resource in the list covers (curated
        for the statement, or similarity >= COVERS); a gap in words counts by the statement
        judged nearest to it."""
        judged = self.judged(q)
        codes = [g.capability for g in q.gaps] + [n[0] for n in q.nearest if n]
        covered = 0
        for code in codes:
            vector = self.index.capability_vectors[self.index.row(code)]
            for slug in ranked:
                if judged.get(slug, 0) < RELEVANT:
                    continue
                if (self.id_of[slug], code) in self.curated or \
                        float(self.vectors[self.row_of[slug]] @ vector) >= COVERS:
                    covered += 1
                    break
        return covered / len(codes) if codes else 1.0

    def run(self, queries: list[Query], distractors: set[str] = frozenset()
            ) -> dict[str, dict[str, float]]:
        results = {}
        off_topic = {self.slug_of_url[u] for u in distractors if u in self.slug_of_url}
        for name in SYSTEMS:
            system = getattr(self, name)
            rows, shown = [], 0
            for q in queries:
                ranked, judged = system(q, 10), self.judged(q)
                shown += len(off_topic.intersection(ranked))
                rows.append((ndcg(ranked, judged, 5), ndcg(ranked, judged, 10),
                             mrr(ranked, judged), self.gap_coverage(q, ranked)))
            means = np.mean(rows, axis=0)
            results[name] = dict(zip(("ndcg_at_5", "ndcg_at_10", "mrr", "gap_coverage"),
                                     (float(m) for m in means), strict=True))
            results[name]["distractors_in_top_10"] = float(shown)
        return results

    def text_gap_mapping(self, queries: list[Query]) -> dict[str, float]:
        """How text gaps were mapped, against the statements judged nearest to them: the
        share whose first match is one of them, whose matches include one, and that matched
        nothing."""
        pairs = [(g, n) for q in queries for g, n in zip(q.text_gaps, q.nearest, strict=True)]
        if not pairs:
            return {}
        archetypes = [q.archetype for q in queries for _ in q.text_gaps]
        vectors = self.encoder.encode([g.text for g, _ in pairs])
        readings = [text_gaps.read([g], v[None, :], self.index, self.statements, a)[0]
                    for (g, _), v, a in zip(pairs, vectors, archetypes, strict=True)]
        first = [bool(r.matches) and r.matches[0][0] in n
                 for r, (_, n) in zip(readings, pairs, strict=True)]
        anywhere = [any(code in n for code, _ in r.matches)
                    for r, (_, n) in zip(readings, pairs, strict=True)]
        return {"text_gaps": float(len(pairs)), "mapped_first_right": float(np.mean(first)),
                "mapped_any_right": float(np.mean(anywhere)),
                "mapped_none": float(np.mean([not r.matches for r in readings]))}
