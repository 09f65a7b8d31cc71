"""Exact (flat) against approximate (HNSW) search: recall@10 and latency, same vectors, same run.

Quick run (20k resources, under a minute):  .venv/bin/python benchmarks/index_types.py --quick
Full run (100k resources):                   .venv/bin/python benchmarks/index_types.py
Vectors are generated directly (encoding 100k texts takes about 20 minutes here): 384-d,
clustered around 160 "statement" centres with a skewed share per centre, L2-normalised.
The headline ratio is flat p50 / HNSW p50 for one query (the speed-up); recall is printed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import percentile  # noqa: F401  (puts the project on sys.path)

from indexes.vectors import VectorIndex, set_search_threads

DIM = 384


def clustered(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(size=(160, DIM)).astype(np.float32)
    share = 1 / np.arange(1, 161)
    which = rng.choice(160, size=n, p=share / share.sum())
    vectors = centres[which] + 0.9 * rng.normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def timed_queries(index: VectorIndex, queries: np.ndarray, k: int = 10):
    times, found = [], []
    for q in queries:
        began = time.perf_counter()
        _, ids = index.search(q, k)
        times.append(time.perf_counter() - began)
        found.append(ids[0])
    return times, np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 resources")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    n = 20_000 if args.quick else args.resources
    rng = np.random.default_rng(3)
    vectors = clustered(n, rng)
    ids = np.arange(1, n + 1, dtype=np.int64)
    queries = clustered(args.queries, rng)
    set_search_threads(1)  # as in a serving process

    results = {}
    for kind in ("flat", "hnsw"):
        began = time.perf_counter()
        index = VectorIndex.build(ids, vectors, kind=kind)
        build = time.perf_counter() - began
        times, found = timed_queries(index, queries)
        results[kind] = (build, times, found)
        print(f"{kind}_build_seconds: {build:.2f}")
        print(f"{kind}_search_p50_ms: {percentile(times, 50) * 1000:.3f}")
        print(f"{kind}_search_p99_ms: {percentile(times, 99) * 1000:.3f}")
    exact, approximate = results["flat"][2], results["hnsw"][2]
    recall = np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approximate, exact,
                                                                       strict=True)])
    print(f"resources: {n}")
    print(f"hnsw_recall_at_10: {recall:.4f}")
    print(f"ratio: {percentile(results['flat'][1], 50) / percentile(results['hnsw'][1], 50):.2f}")


if __name__ == "__main__":
    main()
