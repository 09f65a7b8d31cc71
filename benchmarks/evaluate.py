"""Ranking quality on the judged set: ours against BM25-only and dense-only, same run.

Quick and full run are the same (58 queries over the shipped catalogue, under a minute):
    .venv/bin/python benchmarks/evaluate.py [--quick]
The headline ratio is our nDCG@10 over the better baseline's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import make_app

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_holder, index_store, snapshot, statements
from recommender.ranking.evaluation import Evaluator, load_queries
from recommender.storage import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="same as the full run")
    parser.add_argument("--backend", default="torch", help="encoder backend: torch, onnx or "
                        "onnx-int8 (the index is built and queried with it)")
    args = parser.parse_args()
    resources = read_resources(shipped_files(), load_framework()).resources
    app = make_app(resources)
    encoder = get_encoder(DEFAULT_MODEL, args.backend, cache_dir=Path("var") / "models")
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
        index = index_holder().get()
        evaluator = Evaluator(db.session(), index, snapshot(index), statements(), encoder)
        queries = load_queries()
        results = evaluator.run(queries)
    print(f"queries: {len(queries)}")
    print(f"backend: {args.backend}")
    for system, metrics in results.items():
        for name, value in metrics.items():
            print(f"{system}_{name}: {value:.4f}")
    better = max(results["bm25"]["ndcg_at_10"], results["dense"]["ndcg_at_10"])
    print(f"ratio: {results['ours']['ndcg_at_10'] / better:.3f}")


if __name__ == "__main__":
    main()
