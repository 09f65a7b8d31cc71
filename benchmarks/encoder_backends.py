"""Encoder backends: how much faster the ONNX backends (EMBEDDING_BACKEND=onnx, onnx-int8) encode
than the default torch backend, and what they do to ranking quality.

Every backend encodes the same texts, the shipped catalogue's resource texts, in one process
after a warm-up; rounds are interleaved (torch, onnx, onnx-int8, torch, ...) and each backend's
fastest round counts, so a busy machine slows every backend alike. Reported:

- ``<backend>_texts_per_s`` and ``<backend>_speedup`` (over torch); ``ratio`` is the best one
  (fastest round of each backend: a busy machine shows in the figures, less in the ratio);
- ``<backend>_mean_cosine`` / ``_min_cosine``: cosine between the backend's and torch's vector
  for the same text;
- ``<backend>_suggestion_precision_at_3``: capability suggestions with each backend's vectors,
  computed as benchmarks/suggest_capabilities.py does, against the curated mappings;
- ``<backend>_top10_overlap``: for each of the framework's capability statements, the 10
  resources nearest to it by the backend's vectors against the 10 nearest by torch's, mean
  |A and B| / 10.

Quick run:  .venv/bin/python benchmarks/encoder_backends.py --quick
    the held-out 30% of suggest_capabilities.py (about 90 resources) for everything, one timed
    round; the top-10 overlap is then among those resources only
Full run:   .venv/bin/python benchmarks/encoder_backends.py
    every shipped resource (about 300), three timed rounds
The ONNX export is made once, before any timing, into --cache-dir (default var/models, where
`make run` keeps it) and reused by later runs.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
from common import percentile  # noqa: F401  (puts the project on sys.path)
from suggest_capabilities import precision_recall

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from indexes.embedding import BACKENDS, DEFAULT_MODEL, Encoder, get_encoder
from recommender.indexing.suggestions import Candidate, Suggester

ROOT = Path(__file__).resolve().parent.parent
TOP = 10


def timed_vectors(encoders: dict[str, Encoder], texts: list[str], rounds: int):
    """Each backend's vectors for ``texts`` and its best texts/s over interleaved rounds."""
    for encoder in encoders.values():  # warm-up: first calls allocate and plan
        encoder.encode(texts[:16])
    best = {name: float("inf") for name in encoders}
    vectors = {}
    for _ in range(rounds):
        for name, encoder in encoders.items():
            start = time.perf_counter()
            vectors[name] = encoder.encode(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    return vectors, {name: len(texts) / seconds for name, seconds in best.items()}


def suggestion_precision(vectors, capability_vectors, resources, statements) -> float:
    """Precision@3 of the Suggester, built as benchmarks/suggest_capabilities.py builds it."""
    suggester = Suggester(statements, capability_vectors)
    ours = [[code for code, _ in row] for row in suggester.suggest(
        vectors, [Candidate(r.embedding_text(), r.level, r.archetypes) for r in resources])]
    return float(precision_recall(ours, resources)[0])


def nearest(resource_vectors: np.ndarray, statement_vectors: np.ndarray) -> np.ndarray:
    return np.argsort(-(statement_vectors @ resource_vectors.T), axis=1, kind="stable")[:, :TOP]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="one timed round; suggestions on the held-out 30 percent")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 3)")
    parser.add_argument("--seed", type=int, default=11, help="as suggest_capabilities.py")
    parser.add_argument("--cache-dir", default=str(ROOT / "var" / "models"),
                        help="where the ONNX export is kept")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)

    framework = load_framework()
    resources = list(read_resources(shipped_files(), framework).resources)
    statements = list(framework.capabilities)
    if args.quick:  # suggest_capabilities.py's held-out 30% of the mapped resources
        resources = [r for r in resources if r.capabilities]
        random.Random(args.seed).shuffle(resources)
        resources = resources[: int(len(resources) * 0.3)]
    texts = [r.embedding_text() for r in resources]

    encoders = {"torch": get_encoder(DEFAULT_MODEL)}
    for backend in BACKENDS[1:]:  # loading makes the export the first time, before any timing
        encoders[backend] = Encoder(DEFAULT_MODEL, backend=backend, cache_dir=args.cache_dir)
    vectors, speed = timed_vectors(encoders, texts, rounds)
    statement_vectors = {name: e.encode([s.embedding_text() for s in statements])
                         for name, e in encoders.items()}
    scored = [i for i, r in enumerate(resources) if r.capabilities]
    scored_resources = [resources[i] for i in scored]

    print(f"texts: {len(texts)}")
    print(f"statements: {len(statements)}")
    print(f"timed_rounds: {rounds}")
    reference = nearest(vectors["torch"], statement_vectors["torch"])
    for name in encoders:
        key = name.replace("-", "_")
        print(f"{key}_texts_per_s: {speed[name]:.1f}")
        precision = suggestion_precision(vectors[name][scored], statement_vectors[name],
                                         scored_resources, statements)
        print(f"{key}_suggestion_precision_at_3: {precision:.3f}")
        if name == "torch":
            continue
        cosine = np.sum(vectors[name] * vectors["torch"], axis=1)
        top = nearest(vectors[name], statement_vectors[name])
        overlap = np.mean([len(set(a) & set(b)) / TOP for a, b in zip(top, reference,
                                                                      strict=True)])
        print(f"{key}_speedup: {speed[name] / speed['torch']:.2f}")
        print(f"{key}_mean_cosine: {cosine.mean():.4f}")
        print(f"{key}_min_cosine: {cosine.min():.4f}")
        print(f"{key}_top10_overlap: {overlap:.3f}")
    best = max(BACKENDS[1:], key=speed.__getitem__)
    print(f"best_backend: {best}")
    print(f"ratio: {speed[best] / speed['torch']:.2f}")


if __name__ == "__main__":
    main()
