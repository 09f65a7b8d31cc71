"""Recommendation latency in-process over a synthetic catalogue, against a bare FAISS batch
search of the same gap vectors, in the same run.

Quick run (10k resources, under a minute):  .venv/bin/python benchmarks/recommend.py --quick
Full run (100k resources):                   .venv/bin/python benchmarks/recommend.py
Resources are written to a real SQLite database; their vectors are generated directly around
the real statement embeddings (encoding 100k texts takes about 20 minutes here), and the index
version is built from them with the same code a build uses (neighbour lists, BM25). The
headline ratio is our 10-gap p50 over the bare FAISS search's p50 for the same 10 vectors
(below 1: we answer faster than one batch search, because the statements' neighbours were
computed at index time).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from common import WORDS, percentile
from sqlalchemy import insert

from catalogue.framework import load_framework
from indexes.embedding import DEFAULT_MODEL, get_encoder
from indexes.lexical import Bm25, tokens
from indexes.neighbours import NeighbourLists
from indexes.vectors import VectorIndex, set_search_threads
from recommender import create_app, db, migrate
from recommender.framework_store import load_framework as store_framework
from recommender.indexing import _statements, wanted_manifest
from recommender.models import Resource, ResourceCapability
from recommender.ranking import DEFAULT_WEIGHTS
from recommender.recommend import recommend
from recommender.requests import Gap, RecommendationRequest
from recommender.services import index_holder, index_store, snapshot, statements


def populate(app, n: int, capability_vectors: np.ndarray, codes: list[str], seed: int = 5):
    """n resources in the database, vectors near a skewed choice of statements, and texts."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    share = 1 / np.arange(1, len(codes) + 1)
    topic = rng.choice(len(codes), size=n, p=share / share.sum())
    noise = rng.normal(size=(n, capability_vectors.shape[1])).astype(np.float32)
    vectors = capability_vectors[topic] + 0.06 * noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts, rows, mappings = [], [], []
    for i in range(n):
        words = " ".join(pick.choice(WORDS) for _ in range(pick.randint(45, 75)))
        texts.append(words)
        rows.append({"id": i + 1, "slug": f"synthetic-{i}", "title": f"Resource {i}",
                     "url": f"https://example.org/r/{i}", "canonical_url": f"https://example.org/r/{i}",
                     "provider": f"Provider {i % 97}", "licence": "CC-BY-4.0", "access": "open",
                     "description": words, "format": pick.choice(["course", "video", "article"]),
                     "duration_minutes": pick.randint(10, 600),
                     "level": "baseline" if pick.random() < 0.5 else "specialist",
                     "archetypes": pick.sample(["shaper", "driver", "creator", "embedder",
                                                "user"], 2),
                     "topics": [], "language": "en", "content_hash": str(i), "version": 1})
        if pick.random() < 0.2:
            mappings.append({"resource_id": i + 1, "capability_code": codes[topic[i]],
                             "source": "curated", "confidence": 1.0})
    with app.app_context():
        session = db.session()
        for start in range(0, n, 5000):
            session.execute(insert(Resource), rows[start:start + 5000])
        if mappings:
            session.execute(insert(ResourceCapability), mappings)
        session.commit()
    return np.arange(1, n + 1, dtype=np.int64), vectors, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 resources, 200 requests")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    n, requests = (10_000, 200) if args.quick else (args.resources, args.requests)
    set_search_threads(1)  # as in a serving process

    folder = Path(tempfile.mkdtemp(prefix="bench-recommend-"))
    app = create_app({"VAR_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'b.db'}",
                      "INDEX_DIR": str(folder / "indexes")})
    encoder = get_encoder(DEFAULT_MODEL)
    with app.app_context():
        migrate.upgrade(db.engine())
        store_framework(db.session(), load_framework())
        statement_list = _statements(db.session(), wanted_manifest(db.session(), "x")
                                     ["framework_version"])
    codes = [s.id for s in statement_list]
    capability_vectors = encoder.encode([s.text for s in statement_list])
    ids, vectors, texts = populate(app, n, capability_vectors, codes)
    began = time.perf_counter()
    with app.app_context():
        index = VectorIndex.build(ids, vectors)
        bm25 = Bm25([tokens(s.text) for s in statement_list])
        words = [tokens(t) for t in texts]
        counts = [bm25.observe(w) for w in words]
        lexical = bm25.score(counts, np.array([len(w) for w in words], dtype=np.float32))
        index_store().publish(
            index, codes, capability_vectors, wanted_manifest(db.session(), encoder.name),
            dense=NeighbourLists.from_scores(ids, vectors @ capability_vectors.T),
            lexical=NeighbourLists.from_scores(ids, lexical, floor=0.0),
            lexical_stats=bm25.to_json())
        print(f"index_build_seconds: {time.perf_counter() - began:.1f}")
        loaded = index_holder().get()
        known = statements()
        snap = snapshot(loaded)
        rng = random.Random(7)
        print(f"resources: {n}")
        for gaps in (1, 5, 10):
            bare, ours = [], []
            for _ in range(requests):
                chosen = rng.sample(codes, gaps)
                req = RecommendationRequest("user", tuple(Gap(c, 2) for c in chosen), None, 10)
                queries = np.stack([loaded.capability_vector(c) for c in chosen])
                t = time.perf_counter()
                loaded.vectors.search(queries, 50)
                bare.append(time.perf_counter() - t)
                t = time.perf_counter()
                recommend(req, loaded, snap, db.session(), known, DEFAULT_WEIGHTS)
                ours.append(time.perf_counter() - t)
            print(f"gaps_{gaps}_bare_faiss_batch_p50_ms: {percentile(bare, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_p50_ms: {percentile(ours, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_p99_ms: {percentile(ours, 99) * 1000:.3f}")
        text_cost = []
        for _ in range(min(requests, 50)):
            req = RecommendationRequest("user", (Gap(rng.choice(codes), 2),),
                                        "clinical safety of ward dashboards", 10)
            t = time.perf_counter()
            recommend(req, loaded, snap, db.session(), known, DEFAULT_WEIGHTS, encoder)
            text_cost.append(time.perf_counter() - t)
        print(f"free_text_1_gap_p50_ms: {percentile(text_cost, 50) * 1000:.3f}")
        print(f"ratio: {percentile(ours, 50) / percentile(bare, 50):.3f}")


if __name__ == "__main__":
    main()
