"""Capability suggestion quality on curated mappings the suggester never saw, beside a
keyword-overlap baseline and the plain cosine, with a reliability table of its confidence,
what curated decisions add, and how off-topic records are kept out.

    .venv/bin/python benchmarks/suggest_capabilities.py [--quick]   (the same run: ~1 minute)
    .venv/bin/python benchmarks/suggest_capabilities.py --fit       (re-choose and print the
                                                                     settings for suggestions.py)

Splits: the shipped catalogue's curated resources are shuffled (seed 11); 70% train, 30% test.
Settings (PROTOTYPE, MIN_CONFIDENCE, CALIBRATION) are chosen on the train part by 5-fold
cross-fitting (each fold suggested with the other four folds as labelled examples); the test
part is suggested with the whole train part as examples. IN_SCOPE_SIMILARITY is chosen on one
half of the shipped catalogue and of DALIA's records judged off-topic
(tests/data/judged/distractors.yaml) and reported on the other half.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
from collections import Counter

import numpy as np
from common import curated_split
from sklearn.isotonic import IsotonicRegression

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from catalogue.importers.profiles import load_profile
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.indexing import suggestions as settings
from recommender.indexing.suggestions import Candidate, Examples, Suggester
from recommender.ranking.evaluation import load_distractors

K = 3
FOLDS = 5
DALIA = "tests/data/external/nfdi4bioimage/DALIA_training_materials.csv"


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
        out.append([statements[j].id for j in np.argsort(-np.array(scores))[:k]])
    return out


def candidates(resources):
    return [Candidate(r.embedding_text(), r.level, r.archetypes) for r in resources]


def scored(statements, statement_vectors, vectors, resources, examples_of):
    """(scores, top-3 statement ids) of each resource, suggested with ``examples_of``'s
    labelled examples (None: the statements alone)."""
    suggester = Suggester(statements, statement_vectors, examples_of)
    ranked = suggester.scores(vectors, candidates(resources))
    top = np.argsort(-ranked, axis=1)[:, :K]
    return np.take_along_axis(ranked, top, axis=1), [[statements[j].id for j in row]
                                                     for row in top]


def cross_fitted(statements, statement_vectors, vectors, resources, taught=True):
    """Scores and suggestions of every train resource with the other folds as examples."""
    folds = np.arange(len(resources)) % FOLDS
    scores, tops = np.zeros((len(resources), K)), [None] * len(resources)
    for f in range(FOLDS):
        inside, outside = np.flatnonzero(folds == f), np.flatnonzero(folds != f)
        examples = Examples(vectors[outside], [resources[i].capabilities for i in outside]) \
            if taught else None
        s, t = scored(statements, statement_vectors, vectors[inside],
                      [resources[i] for i in inside], examples)
        scores[inside] = s
        for i, row in zip(inside, t, strict=True):
            tops[i] = row
    return scores, tops


def right(tops, resources):
    return np.array([[code in r.capabilities for code in row]
                     for row, r in zip(tops, resources, strict=True)], dtype=float)


def calibration(scores, correct) -> tuple[tuple[float, float], ...]:
    """Isotonic regression of being right on the score, as a few breakpoints."""
    model = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
        scores.ravel(), correct.ravel())
    xs = np.quantile(scores.ravel(), np.linspace(0, 1, 11))
    return tuple((round(float(x), 3), round(float(model.predict([x])[0]), 3)) for x in xs)


def figures(name, tops, confidence, resources, floor):
    correct = right(tops, resources)
    kept = confidence >= floor
    made = kept.sum(axis=1)
    hits = (correct * kept).sum(axis=1)
    print(f"{name}_precision_at_3: {np.mean(correct.sum(axis=1) / K):.3f}")
    print(f"{name}_precision_of_kept: {hits.sum() / max(made.sum(), 1):.3f}")
    print(f"{name}_hit_at_3: {np.mean(correct.sum(axis=1) > 0):.3f}")
    print(f"{name}_hit_of_kept: {np.mean(hits > 0):.3f}")
    print(f"{name}_kept_per_resource: {np.mean(made):.2f}")
    return correct


def reliability(confidence, correct):
    print("reliability (confidence bin: suggestions, mean confidence, share right)")
    for low in np.arange(0, 1, 0.2):
        inside = (confidence >= low) & (confidence < low + 0.2 + (low >= 0.8))
        if inside.any():
            print(f"  {low:.1f}-{low + 0.2:.1f}: {int(inside.sum()):4d}  "
                  f"{confidence[inside].mean():.2f}  {correct[inside].mean():.2f}")


def half(url: str) -> int:
    return int(hashlib.sha1(url.encode()).hexdigest(), 16) % 2


def scope(encoder, statement_vectors, fit: bool):
    """The in-scope threshold: chosen on half 0, reported on half 1."""
    shipped = read_resources(shipped_files(), load_framework()).resources
    off = load_distractors()
    dalia = [r for r in read_resources([DALIA], load_framework(),
                                       profile=load_profile("dalia")).resources
             if r.url in off]
    best = {}
    for kind, rs in (("shipped", shipped), ("distractor", dalia)):
        v = encoder.encode([r.embedding_text() for r in rs])
        best[kind] = ((v @ statement_vectors.T).max(axis=1), np.array([half(r.url) for r in rs]))
    threshold = settings.IN_SCOPE_SIMILARITY
    if fit:  # Youden's J on half 0
        grid = np.arange(0.30, 0.60, 0.01)
        j = [np.mean(best["shipped"][0][best["shipped"][1] == 0] >= t)
             - np.mean(best["distractor"][0][best["distractor"][1] == 0] >= t) for t in grid]
        threshold = float(round(grid[int(np.argmax(j))], 2))
    print(f"in_scope_similarity: {threshold:.2f}")
    for kind in best:
        fits, halves = best[kind]
        print(f"{kind}_in_scope_reported_half: {np.mean(fits[halves == 1] >= threshold):.3f} "
              f"(of {int((halves == 1).sum())})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the same run")
    parser.add_argument("--fit", action="store_true", help="re-choose the settings on train")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    framework, resources, cut = curated_split(args.seed)
    test, train = resources[:cut], resources[cut:]
    statements = list(framework.capabilities)
    encoder = get_encoder(DEFAULT_MODEL)
    statement_vectors = encoder.encode([s.embedding_text() for s in statements])
    train_v = encoder.encode([r.embedding_text() for r in train])
    test_v = encoder.encode([r.embedding_text() for r in test])

    if args.fit:
        fitted = {}
        for weight in (0.5, 1.0, 2.0, 3.0):
            settings.PROTOTYPE = weight
            _, tops = cross_fitted(statements, statement_vectors, train_v, train)
            fitted[weight] = right(tops, train).mean()
            print(f"fit_prototype_{weight}: train precision@3 {fitted[weight]:.3f}")
        settings.PROTOTYPE = max(fitted, key=fitted.get)
    for taught in (True, False):
        s, t = cross_fitted(statements, statement_vectors, train_v, train, taught)
        fitted = calibration(s, right(t, train))
        if args.fit:
            print(f"fit_calibration_{'examples' if taught else 'alone'}: {fitted}")
            settings.CALIBRATION["examples" if taught else "alone"] = fitted

    examples = Examples(train_v, [r.capabilities for r in train])
    suggester = Suggester(statements, statement_vectors, examples)
    scores, tops = scored(statements, statement_vectors, test_v, test, examples)
    confidence = suggester.confidence(scores)
    print(f"resources_train: {len(train)}")
    print(f"resources_test: {len(test)}")
    print(f"prototype: {settings.PROTOTYPE}")
    print(f"min_confidence: {settings.MIN_CONFIDENCE}")
    correct = figures("suggestion", tops, confidence, test, settings.MIN_CONFIDENCE)
    reliability(confidence, correct)

    alone = Suggester(statements, statement_vectors)
    a_scores, a_tops = scored(statements, statement_vectors, test_v, test, None)
    a_correct = figures("no_examples", a_tops, alone.confidence(a_scores), test,
                        settings.MIN_CONFIDENCE)
    reliability(alone.confidence(a_scores), a_correct)
    print("precision@3 as curated decisions accumulate (share of train used as examples):")
    for share in (0.0, 0.25, 0.5, 1.0):
        n = int(len(train) * share)
        ex = Examples(train_v[:n], [r.capabilities for r in train[:n]]) if n else None
        _, t = scored(statements, statement_vectors, test_v, test, ex)
        print(f"accumulated_{int(share * 100)}_precision_at_3: {right(t, test).mean():.3f}")

    # a curator rejects each wrong suggestion once; the next suggestions
    rejected = {i: {code for code in row if code not in r.capabilities}
                for i, (row, r) in enumerate(zip(tops, test, strict=True))}
    again = Suggester(statements, statement_vectors, examples, rejected)
    redone = again.suggest(test_v, candidates(test), ids=list(range(len(test))))
    back = sum(code in rejected[i] for i, row in enumerate(redone) for code, _ in row)
    made = sum(len(row) for row in redone)
    hits = sum(code in r.capabilities for row, r in zip(redone, test, strict=True)
               for code, _ in row)
    print(f"after_rejections_precision_of_kept: {hits / max(made, 1):.3f}")
    print(f"after_rejections_rejected_suggested_again: {back}")

    cosine = [[statements[j].id for j in row] for row in
              np.argsort(-(test_v @ statement_vectors.T), axis=1)[:, :K]]
    keyword = keyword_suggestions(test, statements)
    cp, kp = right(cosine, test).mean(), right(keyword, test).mean()
    print(f"cosine_only_precision_at_3: {cp:.3f}")
    print(f"keyword_precision_at_3: {kp:.3f}")
    scope(encoder, statement_vectors, args.fit)
    print(f"ratio: {correct.mean() / max(cp, kp):.2f}")


if __name__ == "__main__":
    main()
