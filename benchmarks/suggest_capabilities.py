"""Capability suggestion quality: precision@3 of our suggestions (embedding similarity with
lexical, level and archetype priors) against the curated mappings of a held-out part of the
shipped catalogue, beside a keyword-overlap baseline.

Quick run:  .venv/bin/python benchmarks/suggest_capabilities.py --quick   (held-out 30%)
Full run:   .venv/bin/python benchmarks/suggest_capabilities.py          (every resource)
The prior weights in recommender/indexing/suggestions.py were chosen on the other 70% (seed 11); the
quick run reports on the 30% they never saw.
"""

from __future__ import annotations

import argparse
import math
import random
import re
from collections import Counter

import numpy as np
from common import percentile  # noqa: F401  (puts the project on sys.path)

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.indexing.suggestions import Candidate, Suggester

K = 3


def keyword_suggestions(resources, statements, k=K):
    """Baseline: TF-IDF weighted word overlap between a resource and each statement."""
    tokenise = lambda text: re.findall(r"[a-z]{3,}", text.lower())  # noqa: E731
    docs = [Counter(tokenise(s.embedding_text())) for s in statements]
    df = Counter(word for doc in docs for word in doc)
    idf = {w: math.log(len(docs) / df[w]) for w in df}
    out = []
    for r in resources:
        words = set(tokenise(r.embedding_text()))
        scores = [sum(idf[w] for w in words & doc.keys()) for doc in docs]
        top = np.argsort(-np.array(scores))[:k]
        out.append([statements[j].id for j in top])
    return out


def precision_recall(suggested, resources):
    precision = np.mean([len(set(s) & set(r.capabilities)) / K
                         for s, r in zip(suggested, resources, strict=True)])
    recall = np.mean([len(set(s) & set(r.capabilities)) / len(r.capabilities)
                      for s, r in zip(suggested, resources, strict=True)])
    hit = np.mean([bool(set(s) & set(r.capabilities))
                   for s, r in zip(suggested, resources, strict=True)])
    return precision, recall, hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the held-out 30 percent only")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    framework = load_framework()
    resources = [r for r in read_resources(shipped_files(), framework).resources
                 if r.capabilities]
    if args.quick:
        random.Random(args.seed).shuffle(resources)
        resources = resources[: int(len(resources) * 0.3)]
    statements = list(framework.capabilities)
    encoder = get_encoder(DEFAULT_MODEL)
    vectors = encoder.encode([r.embedding_text() for r in resources])
    capability_vectors = encoder.encode([s.embedding_text() for s in statements])
    suggester = Suggester(statements, capability_vectors)
    ours = [[code for code, _ in row] for row in suggester.suggest(
        vectors, [Candidate(r.embedding_text(), r.level, r.archetypes) for r in resources])]
    cosine_only = [[statements[j].id for j in row] for row in
                   np.argsort(-(vectors @ capability_vectors.T), axis=1)[:, :K]]
    baseline = keyword_suggestions(resources, statements)
    p, r, h = precision_recall(ours, resources)
    bp, br, bh = precision_recall(baseline, resources)
    cp, _, _ = precision_recall(cosine_only, resources)
    same_domain = np.mean([len({c.split(".")[0] for c in s} & {c.split(".")[0] for c in
                                                              res.capabilities}) > 0
                           for s, res in zip(ours, resources, strict=True)])
    print(f"resources: {len(resources)}")
    print(f"suggestion_precision_at_3: {p:.3f}")
    print(f"suggestion_recall_at_3: {r:.3f}")
    print(f"suggestion_hit_at_3: {h:.3f}")
    print(f"suggestion_same_domain_at_3: {same_domain:.3f}")
    print(f"cosine_only_precision_at_3: {cp:.3f}")
    print(f"keyword_precision_at_3: {bp:.3f}")
    print(f"keyword_recall_at_3: {br:.3f}")
    print(f"keyword_hit_at_3: {bh:.3f}")
    print(f"ratio: {p / bp:.2f}")


if __name__ == "__main__":
    main()
