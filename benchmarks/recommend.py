"""In-process recommendation latency against a bare FAISS search for the same gap vectors.

Quick run (under a minute):  .venv/bin/python benchmarks/recommend.py --quick
Full run:                    .venv/bin/python benchmarks/recommend.py --resources 10000
The ratio is our p50 over the bare search's p50 (lower is better; above 1 is expected: we also
read the database, score and explain).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from common import make_app, percentile, synthetic_resources

from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender import db
from recommender.indexing import build_index
from recommender.ranking import DEFAULT_WEIGHTS
from recommender.recommend import recommend
from recommender.requests import Gap, RecommendationRequest
from recommender.services import index_holder, index_store, snapshot, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 resources, 100 requests")
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    n, requests = (300, 100) if args.quick else (args.resources, args.requests)

    app = make_app(synthetic_resources(n))
    rng = random.Random(7)
    with app.app_context():
        build_index(db.session(), index_store(), get_encoder(DEFAULT_MODEL))
        index = index_holder().get()
        known = statements()
        codes = list(known)
        print(f"resources: {n}")
        for gaps in (1, 5, 10):
            bare, ours = [], []
            for _ in range(requests):
                chosen = rng.sample(codes, gaps)
                req = RecommendationRequest("user", tuple(Gap(c, 2) for c in chosen), None, 10)
                queries = [index.capability_vector(c) for c in chosen]
                began = time.perf_counter()
                index.vectors.search(np.stack(queries), 50)
                bare.append(time.perf_counter() - began)
                began = time.perf_counter()
                recommend(req, index, snapshot(index), db.session(), known, DEFAULT_WEIGHTS)
                ours.append(time.perf_counter() - began)
            print(f"gaps_{gaps}_bare_search_p50_ms: {percentile(bare, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_p50_ms: {percentile(ours, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_p99_ms: {percentile(ours, 99) * 1000:.3f}")
        # headline: the 10-gap request, the heaviest the API sees inline
        print(f"ratio: {percentile(ours, 50) / percentile(bare, 50):.1f}")


if __name__ == "__main__":
    main()
