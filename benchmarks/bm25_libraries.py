"""BM25 engines: our indexes/lexical.py against bm25s (and rank_bm25 as a second reference), on
the job the index build gives it: the top resources by BM25 for each of the 160 framework
statements.

Quick run (10k resources, under a minute):  .venv/bin/python benchmarks/bm25_libraries.py --quick
Full run (100k resources, about 3 minutes):  .venv/bin/python benchmarks/bm25_libraries.py
Needs bm25s and rank_bm25 (development dependencies, installed by `make`).

Documents are the texts a build indexes (title, description, topics) of a synthetic catalogue
(benchmarks/synthetic.py); queries are the statements' ``lexical_text()``, as the build uses.
Both engines get the same tokens, ``indexes.lexical.tokens()`` (computed once, untimed, and
reported as ``tokenise_seconds``), so the figures compare the scoring engines. Parameters match
ours: k1 = 1.2, b = 0.75, bm25s ``method="lucene"`` (IDF ln(1 + (N - n + 0.5) / (n + 0.5)), as
ours); query terms are de-duplicated for bm25s, as ours counts each once. bm25s's scores are
ours / (k1 + 1) (it leaves out that constant), so rankings are the same.

Rounds alternate (ours, bm25s, bm25s-own-tokeniser, then the reverse order, ...) and each
engine's fastest round counts, so a busy shared machine slows them alike:

- ``*_build_seconds``: ours = ``Bm25(statements)`` and ``observe()`` of every document (what
  the build does as it streams resources); bm25s = ``BM25.index()``;
- ``*_query_batch_ms``: the 160 statements' top ``--k`` lists (ours: ``score()`` then a top-k
  per column; bm25s: ``retrieve()``, one thread);
- ``*_query_single_ms``: p50 for one statement. bm25s: ``retrieve()`` of one query on the built
  index. Ours keeps counts of the statements' words only, so an arbitrary query needs a fresh
  ``Bm25([query])`` over every document (what benchmarks/evaluate.py's BM25 baseline does),
  timed on ``--single`` statements;
- ``bm25s_own_*``: bm25s out of the box, its own tokeniser (``bm25s.tokenize``, English
  stopwords, no stemmer) timed in its build, queries not de-duplicated;
- ``rank_bm25_*`` (BM25Okapi, k1 and b matched; its IDF is Robertson's with a floor, not ours):
  the first round only, being slow;
- ``top<k>_overlap``: mean |ours and theirs| / k of the top-k lists; ``max_score_difference``:
  the largest |ours - (k1 + 1) x bm25s| over every document and statement, relative to the
  largest score (0 up to float32 rounding means the same function);
- ``*_peak_mb``: peak Python-traced memory (tracemalloc, numpy included) of build + batch
  query, measured in a separate untimed pass.

``ratio`` is ours (build + batch query) / bm25s (build + batch query), same tokens, fastest
rounds: above 1 bm25s is faster, below 1 ours is.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import bm25s
import numpy as np
import rank_bm25
from common import arguments, machine, percentile
from synthetic import generate

from catalogue.framework import load_framework
from indexes.lexical import K1, B, Bm25, tokens


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k best scores, best first, ties by row (as NeighbourLists orders them)."""
    best = np.argpartition(-scores, k - 1)[:k]
    return best[np.lexsort((best, -scores[best]))]


def ours_build(queries: list[list[str]], docs: list[list[str]]):
    model = Bm25(queries)
    counts = [model.observe(words) for words in docs]
    return model, counts, np.array([len(words) for words in docs], dtype=np.float32)


def ours_query(built, k: int) -> np.ndarray:
    model, counts, lengths = built
    scores = np.ascontiguousarray(model.score(counts, lengths).T)
    return np.stack([top_k(column, k) for column in scores])


def ours_single(query: list[str], docs: list[list[str]], lengths: np.ndarray,
                k: int) -> np.ndarray:
    model = Bm25([query])
    return top_k(model.score([model.observe(words) for words in docs], lengths)[:, 0], k)


def bm25s_build(corpus) -> bm25s.BM25:
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    retriever.index(corpus, show_progress=False)
    return retriever


def bm25s_query(retriever: bm25s.BM25, queries: list[list[str]], k: int) -> np.ndarray:
    return retriever.retrieve(queries, k=k, show_progress=False, return_as="documents")


def own_tokens(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", show_progress=False)


def overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b, strict=True)]))


def timed(fn, *args):
    began = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - began


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 resources, one round")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 3)")
    parser.add_argument("--k", type=int, default=30, help="list length per statement")
    parser.add_argument("--single", type=int, default=10,
                        help="statements timed one at a time with ours (a full pass each)")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.resources
    rounds = args.rounds or (1 if args.quick else 3)
    k = args.k

    texts = generate(n).texts()
    statements = [c.lexical_text() for c in load_framework().capabilities]
    began = time.perf_counter()
    docs = [tokens(t) for t in texts]
    tokenise = time.perf_counter() - began
    queries = [tokens(s) for s in statements]
    distinct = [list(dict.fromkeys(q)) for q in queries]  # ours counts a query term once
    own_queries = bm25s.tokenize(statements, stopwords="en", show_progress=False,
                                 return_ids=False)
    lengths = np.array([len(d) for d in docs], dtype=np.float32)
    sample = np.linspace(0, len(queries) - 1, min(args.single, len(queries))).astype(int)

    best = {name: [float("inf"), float("inf")] for name in ("ours", "bm25s", "bm25s_own")}
    cpu = {name: [float("inf")] for name in ("ours", "bm25s")}
    singles: dict[str, list[float]] = {"ours": [], "bm25s": []}
    found = {}

    def run_ours():
        c0 = time.process_time()
        built, build = timed(ours_build, queries, docs)
        found["ours"], query = timed(ours_query, built, k)
        cpu["ours"][0] = min(cpu["ours"][0], time.process_time() - c0)
        return build, query

    def run_bm25s():
        c0 = time.process_time()
        retriever, build = timed(bm25s_build, docs)
        found["bm25s"], query = timed(bm25s_query, retriever, distinct, k)
        cpu["bm25s"][0] = min(cpu["bm25s"][0], time.process_time() - c0)
        found["retriever"] = retriever
        return build, query

    def run_bm25s_own():
        retriever, build = timed(lambda: bm25s_build(own_tokens(texts)))
        found["bm25s_own"], query = timed(bm25s_query, retriever, own_queries, k)
        return build, query

    runners = {"ours": run_ours, "bm25s": run_bm25s, "bm25s_own": run_bm25s_own}
    for round_ in range(rounds):
        order = list(runners) if round_ % 2 == 0 else list(reversed(runners))
        for name in order:
            build, query = runners[name]()
            best[name] = [min(best[name][0], build), min(best[name][1], query)]
        for i in sample:  # one statement at a time, alternating
            singles["ours"].append(timed(ours_single, distinct[i], docs, lengths, k)[1])
            singles["bm25s"].append(timed(bm25s_query, found["retriever"], [distinct[i]], k)[1])
        if round_ == 0:  # rank_bm25: one round, a reference point
            reference, rank_build = timed(rank_bm25.BM25Okapi, docs, None, K1, B)
            began = time.perf_counter()
            found["rank_bm25"] = np.stack([top_k(reference.get_scores(q), k) for q in distinct])
            rank_query = time.perf_counter() - began
            del reference
    for i in range(len(queries)):  # the rest of bm25s's singles, for a p50 over all
        if i not in sample:
            singles["bm25s"].append(timed(bm25s_query, found["retriever"], [distinct[i]], k)[1])

    built = ours_build(queries, docs)
    ours_scores = built[0].score(built[1], built[2])
    retriever = found["retriever"]
    theirs = np.stack([retriever.get_scores(q) if q else np.zeros(n, np.float32)
                       for q in distinct], axis=1) * (K1 + 1)
    difference = float(np.abs(ours_scores - theirs).max() / ours_scores.max())
    index_mb = sum(retriever.scores[key].nbytes for key in ("data", "indices", "indptr")) / 2**20
    del ours_scores, theirs, built
    memory = {"ours": peak_mb(lambda: ours_query(ours_build(queries, docs), k)),
              "bm25s": peak_mb(lambda: bm25s_query(bm25s_build(docs), distinct, k))}

    machine()
    print(f"resources: {n}")
    print(f"statements: {len(queries)}")
    print(f"timed_rounds: {rounds}")
    print(f"bm25s_version: {bm25s.__version__}")
    print(f"tokenise_seconds: {tokenise:.2f}")
    for name in ("ours", "bm25s", "bm25s_own"):
        print(f"{name}_build_seconds: {best[name][0]:.2f}")
        print(f"{name}_query_batch_ms: {best[name][1] * 1000:.1f}")
    print(f"rank_bm25_build_seconds: {rank_build:.2f}")
    print(f"rank_bm25_query_batch_ms: {rank_query * 1000:.1f}")
    for name in ("ours", "bm25s"):
        print(f"{name}_query_single_ms: {statistics.median(singles[name]) * 1000:.2f}")
    print(f"bm25s_query_single_p99_ms: {percentile(singles['bm25s'], 99) * 1000:.2f}")
    for name in ("ours", "bm25s"):
        print(f"{name}_peak_mb: {memory[name]:.0f}")
    print(f"bm25s_index_mb: {index_mb:.1f}")
    print(f"top{k}_overlap: {overlap(found['ours'], found['bm25s'], k):.4f}")
    print(f"max_score_difference: {difference:.2e}")
    print(f"bm25s_own_top{k}_overlap: {overlap(found['ours'], found['bm25s_own'], k):.4f}")
    print(f"rank_bm25_top{k}_overlap: {overlap(found['ours'], found['rank_bm25'], k):.4f}")
    print(f"cpu_ratio: {cpu['ours'][0] / cpu['bm25s'][0]:.2f}")
    print(f"ratio: {sum(best['ours']) / sum(best['bm25s']):.2f}")


if __name__ == "__main__":
    main()
