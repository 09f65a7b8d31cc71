"""Recommendation latency in-process over a synthetic catalogue, against a bare FAISS batch
search of the same gap vectors, in the same run.

Quick run (10k resources, under a minute):  .venv/bin/python benchmarks/recommend.py --quick
Full run (100k resources):                   .venv/bin/python benchmarks/recommend.py
Every size, every gap count:  .venv/bin/python benchmarks/recommend.py \
                                  --sizes 1000,10000,100000,1000000 --gaps 1,5,10
    (one section of figures per size; 1M takes about 1.5 GB for the vectors and 20 minutes
    to set up)
A catalogue an earlier run prepared (its "folder:" line; also http_recommend.py's and
memory.py's):  .venv/bin/python benchmarks/recommend.py --reuse /tmp/bench-serve-1000000-...
Resources come from benchmarks/synthetic.py and are written to a real SQLite database; their
vectors are generated directly around the real statement embeddings (encoding 100k texts takes
about 20 minutes here), and the index version is built from them with the same code a build
uses (neighbour lists, BM25). The
headline ratio is our 10-gap p50 over the bare FAISS search's p50 for the same 10 vectors
(below 1: we answer faster than one batch search, because the statements' neighbours were
computed at index time).
"""

from __future__ import annotations

import os
import random
import time

import numpy as np
from common import machine, percentile
from serving import Served, prepare, serving_arguments

from indexes.embedding import DEFAULT_MODEL, get_encoder, set_encoder_threads
from indexes.vectors import set_search_threads
from recommender.contract.validation import Gap, RecommendationRequest
from recommender.indexing.serving import index_holder, snapshot, statements
from recommender.ranking import text_search
from recommender.ranking.gap_signals import LEXICAL_DEPTH
from recommender.ranking.recommend import recommend
from recommender.ranking.scoring import DEFAULT_WEIGHTS
from recommender.storage import db


def main() -> None:
    parser = serving_arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 resources, 200 requests")
    parser.add_argument("--sizes", default="100000",
                        help="comma-separated catalogue sizes (default 100000)")
    parser.add_argument("--gaps", default="1,5,10", help="comma-separated gap counts")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--index-type", default="flat", choices=("flat", "hnsw"))
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(x) for x in args.sizes.split(",")]
    requests = 200 if args.quick else args.requests
    gap_counts = [int(x) for x in args.gaps.split(",")]
    set_search_threads(1)  # as in a serving process (SEARCH_THREADS, recommender/wsgi.py)
    set_encoder_threads(1)
    machine()
    encoder = get_encoder(DEFAULT_MODEL)
    headline = 0.0
    for n in [0] if args.reuse else sizes:
        headline = measure(prepare(n, args.index_type, reuse=args.reuse), requests, gap_counts,
                           encoder)
    print(f"loadavg_1m_end: {os.getloadavg()[0]:.2f}")
    print(f"ratio: {headline:.3f}")


def measure(served: Served, requests: int, gap_counts: list[int], encoder) -> float:
    """Figures for one catalogue size; returns our p50 over the bare search's at the most
    gaps."""
    codes = served.statements.codes
    with served.app().app_context():
        began = time.perf_counter()
        loaded = index_holder().get()
        version_seconds = time.perf_counter() - began
        known = statements()
        began = time.perf_counter()
        snap = snapshot(loaded)
        snapshot_seconds = time.perf_counter() - began
        print(f"resources: {served.size}")
        print(f"index_type: {served.kind}")
        # what a web worker does before it serves a new version (in the background)
        print(f"version_load_seconds: {version_seconds:.2f}")
        print(f"snapshot_load_seconds: {snapshot_seconds:.2f}")
        print(f"new_version_ready_seconds: {version_seconds + snapshot_seconds:.2f}")
        rng = random.Random(7)
        for gaps in gap_counts:
            bare, ours, cpu = [], [], []
            for _ in range(requests):
                chosen = rng.sample(codes, gaps)
                req = RecommendationRequest("user", tuple(Gap(c, 2) for c in chosen), None, 10)
                queries = np.stack([loaded.capability_vector(c) for c in chosen])
                t = time.perf_counter()
                loaded.vectors.search(queries, 50)
                bare.append(time.perf_counter() - t)
                t, c = time.perf_counter(), time.thread_time()
                recommend(req, loaded, snap, db.session(), known, DEFAULT_WEIGHTS)
                ours.append(time.perf_counter() - t)
                cpu.append(time.thread_time() - c)
            print(f"gaps_{gaps}_bare_faiss_batch_p50_ms: {percentile(bare, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_p50_ms: {percentile(ours, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_p99_ms: {percentile(ours, 99) * 1000:.3f}")
            # CPU time of the request's thread: what it costs without waiting for a core,
            # which a shared machine's other load adds to the wall-clock figures above
            print(f"gaps_{gaps}_recommend_cpu_p50_ms: {percentile(cpu, 50) * 1000:.3f}")
            print(f"gaps_{gaps}_recommend_cpu_p99_ms: {percentile(cpu, 99) * 1000:.3f}")
        # free text: the same 1-gap request with and without a goal, and the goal's parts
        text_cost, plain_cost, encode_cost, search_cost = [], [], [], []
        lexical_cost, unbounded_cost = [], []
        goal = "clinical safety of ward dashboards"
        for _ in range(min(requests, 50)):
            gap = (Gap(rng.choice(codes), 2),)
            t = time.perf_counter()
            recommend(RecommendationRequest("user", gap, goal, 10), loaded, snap, db.session(),
                      known, DEFAULT_WEIGHTS, encoder)
            text_cost.append(time.perf_counter() - t)
            t = time.perf_counter()
            recommend(RecommendationRequest("user", gap, None, 10), loaded, snap, db.session(),
                      known, DEFAULT_WEIGHTS)
            plain_cost.append(time.perf_counter() - t)
            t = time.perf_counter()
            vector = encoder.encode([goal])
            encode_cost.append(time.perf_counter() - t)
            t = time.perf_counter()
            loaded.vectors.search(vector, 100)
            search_cost.append(time.perf_counter() - t)
            # the goal's full-text query as served (its rarest words within the match budget)
            # and with every word, as before the budget (no catalogue exceeds it: no counting)
            t = time.perf_counter()
            text_search.search(db.session(), goal, LEXICAL_DEPTH, rows=len(snap.ids))
            lexical_cost.append(time.perf_counter() - t)
            t = time.perf_counter()
            text_search.search(db.session(), goal, LEXICAL_DEPTH, rows=len(snap.ids),
                               budget=len(snap.ids))
            unbounded_cost.append(time.perf_counter() - t)
        print(f"free_text_1_gap_p50_ms: {percentile(text_cost, 50) * 1000:.3f}")
        print(f"free_text_extra_p50_ms: "
              f"{(percentile(text_cost, 50) - percentile(plain_cost, 50)) * 1000:.3f}")
        print(f"free_text_encode_p50_ms: {percentile(encode_cost, 50) * 1000:.3f}")
        print(f"free_text_faiss_search_p50_ms: {percentile(search_cost, 50) * 1000:.3f}")
        lexical, unbounded = percentile(lexical_cost, 50), percentile(unbounded_cost, 50)
        print(f"free_text_lexical_p50_ms: {lexical * 1000:.3f}")
        print(f"free_text_lexical_every_word_p50_ms: {unbounded * 1000:.3f}")
        print(f"free_text_lexical_ratio: {lexical / unbounded:.3f}")
        ratio = percentile(ours, 50) / percentile(bare, 50)
        print(f"n{served.size}_ratio: {ratio:.3f}")
        return ratio


if __name__ == "__main__":
    main()
