"""Ranking quality on the judged sets: ours against BM25, dense and their reciprocal-rank
fusion (RRF) over the same resources and queries, in the same run.

Two sets of judged queries (tests/data/judged/README.md): queries.yaml gives gaps as statement
ids, learner_words.yaml gives them in learners' own words. Figures are printed per set
(``statements_``, ``words_``) and over both (``all_``).

Labelled mode (the default) ranks the shipped, curated catalogue in this process:
    .venv/bin/python benchmarks/evaluate.py [--quick]
Unlabelled mode strips every curated mapping, archetype and level from the shipped catalogue,
writes it as JSON-LD, and sets up a fresh service through the real command-line tool: import
of that file and of DALIA's bioimage training materials (third-party records, most of them off
topic: the judged distractors), then an index build on a real Celery worker. Nothing the
curators wrote about the resources' fit is left:
    .venv/bin/python benchmarks/evaluate.py --unlabelled [--quick]
Quick and full runs are the same (about a minute; --unlabelled adds the import and build).
``--half train`` (or ``test``) keeps the judged queries of one half, by a hash of the query id:
settings are chosen on train.
``ratio:`` is our nDCG@10 over the best baseline's, over both sets.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import make_app

from catalogue.exporters import to_jsonld
from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender import create_app
from recommender.config import from_environment
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_holder, index_store, snapshot, statements
from recommender.ranking.evaluation import (
    JUDGED,
    LEARNER_WORDS,
    SYSTEMS,
    Evaluator,
    half,
    load_distractors,
    load_queries,
)
from recommender.storage import db

DALIA = Path(__file__).resolve().parents[1] / "tests" / "data" / "external" / "nfdi4bioimage" \
    / "DALIA_training_materials.csv"


def unlabelled_app(folder: Path):
    """A service set up from scratch by the command-line tool, as an operator would."""
    env = {**os.environ, "VAR_DIR": str(folder), "DATABASE_URL": "", "REDIS_URL": "",
           "INDEX_DIR": ""}
    tool = str(Path(sys.executable).parent / "recommender")
    feed = folder / "catalogue-unlabelled.jsonld"
    feed.write_text(to_jsonld(read_resources(shipped_files(), load_framework()).resources,
                              labels=False), encoding="utf-8")
    for step in (["db", "upgrade"], ["load-framework"], ["import", str(feed)],
                 ["import", "--profile", "dalia", str(DALIA)], ["index", "--force"]):
        done = subprocess.run([tool, *step], env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode:
            sys.exit(f"{' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
        last = done.stdout.strip().splitlines()
        print(f"# {' '.join(step[:1])}: {last[-1] if last else ''}")
    return create_app(from_environment(env))


def labelled_app(backend: str, model: str = DEFAULT_MODEL):
    app = make_app(read_resources(shipped_files(), load_framework()).resources)
    encoder = get_encoder(model, backend, cache_dir=Path("var") / "models")
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    return app, encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="same as the full run")
    parser.add_argument("--unlabelled", action="store_true",
                        help="strip curated labels and import and index through the CLI and "
                             "a real worker")
    parser.add_argument("--backend", default="torch", help="encoder backend (labelled mode): "
                        "torch, onnx or onnx-int8")
    parser.add_argument("--model", default=os.environ.get("EMBEDDING_MODEL") or DEFAULT_MODEL,
                        help="sentence-transformers model name or folder (default: "
                             "EMBEDDING_MODEL, else the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--half", choices=("train", "test"),
                        help="only the judged queries in this half (by a hash of the query id; "
                             "settings are chosen on train)")
    args = parser.parse_args()
    if args.unlabelled:
        os.environ["EMBEDDING_MODEL"] = args.model
        app = unlabelled_app(Path(tempfile.mkdtemp(prefix="evaluate-")))
        encoder = get_encoder(app.config["EMBEDDING_MODEL"])
    else:
        app, encoder = labelled_app(args.backend, args.model)
    sets = {"statements": load_queries(JUDGED)}
    if LEARNER_WORDS.exists():
        sets["words"] = load_queries(LEARNER_WORDS)
    if args.half:
        sets = {name: [q for q in queries if half(q.id) == args.half]
                for name, queries in sets.items()}
    distractors = load_distractors()
    with app.app_context():
        index = index_holder().get()
        evaluator = Evaluator(db.session(), index, snapshot(index), statements(), encoder)
        results = {name: evaluator.run(queries, distractors) for name, queries in sets.items()}
        everything = [q for queries in sets.values() for q in queries]
        results["all"] = evaluator.run(everything, distractors)
        mapping = evaluator.text_gap_mapping(everything)
        resources = len(evaluator.slugs)
    print(f"mode: {'unlabelled' if args.unlabelled else 'labelled'}")
    print(f"half: {args.half or 'both'}")
    print(f"model: {Path(args.model).name}")
    print(f"resources: {resources}")
    print(f"distractors_judged: {len(distractors)}")
    for name, queries in sets.items():
        print(f"{name}_queries: {len(queries)}")
    for name, value in mapping.items():
        print(f"words_{name}: {value:.3f}")
    for part, by_system in results.items():
        for system in SYSTEMS:
            for metric, value in by_system[system].items():
                print(f"{part}_{system}_{metric}: {value:.4f}")
    best = {part: max(SYSTEMS[1:], key=lambda s: by_system[s]["ndcg_at_10"])
            for part, by_system in results.items()}
    for part, system in best.items():
        print(f"{part}_best_baseline: {system}")
        print(f"{part}_ratio: {results[part]['ours']['ndcg_at_10'] / results[part][system]['ndcg_at_10']:.3f}")  # noqa: E501
    print(f"ratio: {results['all']['ours']['ndcg_at_10'] / results['all'][best['all']]['ndcg_at_10']:.3f}")  # noqa: E501


if __name__ == "__main__":
    main()
