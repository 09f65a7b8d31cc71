"""Archetype and level inference quality: micro precision, recall and F1 of the archetypes that
recommender/indexing/labels.py infers from a resource's text, and its level accuracy, against
the curated labels of a held-out part of the shipped catalogue, beside baselines fitted and
measured in the same run (all five archetypes; word cues only; embedding only; always
baseline).

Quick run:  .venv/bin/python benchmarks/suggest_archetypes.py --quick   (held-out 30%)
Full run:   .venv/bin/python benchmarks/suggest_archetypes.py           (also the training 70%
            and, as a check on data we never labelled, the archetypes given to the DALIA
            bio-image analysis records in shared/data/external/nfdi4bioimage)
Refit:      .venv/bin/python benchmarks/suggest_archetypes.py --fit     (fits the constants of
            recommender/indexing/labels.py on the training split, prints them and reports
            with them instead of the shipped ones)
The constants were chosen on the other 70% (seed 11); every figure but the training split's
is on the 30% they never saw. The headline ratio is our micro-F1 over the best baseline's.
Another --seed draws another split, whose held-out part the shipped constants have partly seen:
run it with --fit, so that ours is fitted on that split's training part only.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

import numpy as np
from common import percentile  # noqa: F401  (puts the project on sys.path)

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from catalogue.text import resource_text
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.indexing.labels import (
    ARCHETYPE_THRESHOLD,
    ARCHETYPES,
    BIAS,
    LEVEL_MARGIN,
    LEVEL_MEANING_SLOPE,
    LEVEL_WORD_SLOPE,
    WEIGHTS,
    LabelInferrer,
    archetype_scores,
    level_scores,
)

HELD_OUT = 0.3
DALIA = (Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "nfdi4bioimage"
         / "DALIA_training_materials.csv")
L2 = 0.1
GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)
EVIDENCE = ("statements", "meaning", "words", "everyone")


def split(resources: list, seed: int) -> tuple[list, list]:
    """(training 70%, held-out 30%), the same shuffle as benchmarks/suggest_capabilities.py."""
    resources = list(resources)
    random.Random(seed).shuffle(resources)
    cut = int(len(resources) * HELD_OUT)
    return resources[cut:], resources[:cut]


def labels(resources: list) -> np.ndarray:
    return np.array([[a in r.archetypes for a in ARCHETYPES] for r in resources], dtype=bool)


def micro(chosen: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """Micro precision, recall and F1 over every (resource, archetype) pair."""
    hits = float((chosen & truth).sum())
    p, r = hits / max(chosen.sum(), 1), hits / max(truth.sum(), 1)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def decide(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Archetypes at or above the threshold, or the best one (as the inferrer does)."""
    chosen = scores >= threshold
    chosen[np.arange(len(scores)), scores.argmax(axis=1)] = True
    return chosen


def columns(ev, names) -> np.ndarray:
    """(n * 5, 5 + len(names)): a one-hot archetype bias, then the shared evidence."""
    n = len(ev.everyone)
    parts = [np.tile(np.eye(len(ARCHETYPES)), (n, 1))]
    for name in names:
        value = getattr(ev, name)
        parts.append((value[:, None].repeat(len(ARCHETYPES), 1) if value.ndim == 1
                      else value).reshape(-1, 1))
    return np.hstack(parts)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Newton's method for an L2-penalised logistic regression (no separate intercept)."""
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fitted_scores(train_ev, train_y, names):
    """Fit the shared model on the training evidence; return a scorer and the weights."""
    w = fit_logistic(columns(train_ev, names), train_y.reshape(-1).astype(float))

    def score(ev):
        return 1 / (1 + np.exp(-(columns(ev, names) @ w))).reshape(-1, len(ARCHETYPES))
    return score, w


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    return float(max(GRID, key=lambda t: (micro(decide(scores, t), truth)[2], -t)))


def fit_level(ev, specialist: np.ndarray) -> tuple[float, float, float]:
    """LEVEL_MARGIN (most accurate cut where no words decide) and the two logistic slopes."""
    words = ev.level_words != 0
    rest = ev.statement_level[~words]
    margins = np.round(np.arange(1.0, 4.01, 0.1), 1)
    margin = float(max(margins, key=lambda m: ((rest >= m) == specialist[~words]).mean()))
    word_slope = fit_logistic(ev.level_words[words, None], specialist[words], l2=1.0)[0]
    meaning_slope = fit_logistic((rest - margin)[:, None], specialist[~words], l2=1.0)[0]
    return margin, float(word_slope), float(meaning_slope)


def dalia_texts() -> list[str]:
    with DALIA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [resource_text(row["Title"], row["Description"],
                          [k.strip() for k in row["Keywords"].split("*")
                           if k.strip() and k.strip() != "include in DALIA"]) for row in rows]


def report(name: str, chosen: np.ndarray, truth: np.ndarray, per_archetype: bool = False) -> float:
    p, r, f1 = micro(chosen, truth)
    print(f"{name}_micro_precision: {p:.3f}")
    print(f"{name}_micro_recall: {r:.3f}")
    print(f"{name}_micro_f1: {f1:.3f}")
    if per_archetype:
        for j, a in enumerate(ARCHETYPES):
            ap, ar, _ = micro(chosen[:, j:j + 1], truth[:, j:j + 1])
            print(f"{name}_{a}_precision: {ap:.3f}")
            print(f"{name}_{a}_recall: {ar:.3f}")
    return f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the held-out 30 percent only")
    parser.add_argument("--fit", action="store_true",
                        help="print the constants fitted on the training split")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    framework = load_framework()
    train, test = split(read_resources(shipped_files(), framework).resources, args.seed)
    encoder = get_encoder(DEFAULT_MODEL)
    inferrer = LabelInferrer.build(encoder, framework)
    evidence = {name: inferrer.evidence(encoder.encode([r.embedding_text() for r in part]),
                                        [r.embedding_text() for r in part])
                for name, part in (("train", train), ("test", test))}
    truth = {"train": labels(train), "test": labels(test)}
    level_truth = {"train": np.array([r.level == "specialist" for r in train]),
                   "test": np.array([r.level == "specialist" for r in test])}
    # ours: the shipped constants, or with --fit those this split's training part chooses
    bias, weights, threshold = BIAS, WEIGHTS, ARCHETYPE_THRESHOLD
    level = (LEVEL_MARGIN, LEVEL_WORD_SLOPE, LEVEL_MEANING_SLOPE)
    if args.fit:
        _, w = fitted_scores(evidence["train"], truth["train"], EVIDENCE)
        bias = dict(zip(ARCHETYPES, w[:len(ARCHETYPES)].round(2).tolist(), strict=True))
        weights = dict(zip(EVIDENCE, w[len(ARCHETYPES):].round(2).tolist(), strict=True))
        threshold = best_threshold(archetype_scores(evidence["train"], bias, weights),
                                   truth["train"])
        level = fit_level(evidence["train"], level_truth["train"])
        print(f"fit_bias: {bias}")
        print(f"fit_weights: {weights}")
        print(f"fit_threshold: {threshold}")
        print(f"fit_level_margin: {level[0]}")
        print(f"fit_level_word_slope: {level[1]:.2f}")
        print(f"fit_level_meaning_slope: {level[2]:.2f}")
    # baselines fitted on the training split in this run, each with its own threshold
    baselines = {"all_five": lambda ev: np.ones((len(ev.everyone), len(ARCHETYPES)))}
    thresholds = {"all_five": 0.5}
    for name, names in (("words_only", ("words", "everyone")),
                        ("embedding_only", ("statements", "meaning"))):
        baselines[name], _ = fitted_scores(evidence["train"], truth["train"], names)
        thresholds[name] = best_threshold(baselines[name](evidence["train"]), truth["train"])
    parts = ("test",) if args.quick else ("test", "train")
    for part in parts:
        prefix = "" if part == "test" else "train_"
        ev, y = evidence[part], truth[part]
        print(f"{prefix}resources: {len(y)}")
        ours = report(f"{prefix}ours", decide(archetype_scores(ev, bias, weights), threshold), y,
                      per_archetype=True)
        best = 0.0
        for name, score in baselines.items():
            best = max(best, report(f"{prefix}{name}", decide(score(ev), thresholds[name]), y,
                                    per_archetype=name == "all_five"))
        specialist, _ = level_scores(ev, *level)
        by_words = ev.level_words != 0
        right = (specialist >= 0.5) == level_truth[part]
        print(f"{prefix}level_accuracy: {right.mean():.3f}")
        print(f"{prefix}level_by_words_share: {by_words.mean():.3f}")
        print(f"{prefix}level_accuracy_by_words: {right[by_words].mean():.3f}")
        print(f"{prefix}level_accuracy_by_meaning: {right[~by_words].mean():.3f}")
        print(f"{prefix}always_baseline_level_accuracy: {(~level_truth[part]).mean():.3f}")
        print(f"{prefix}always_specialist_level_accuracy: {level_truth[part].mean():.3f}")
        print(f"{prefix}ratio_over_best_baseline: {ours / best:.2f}")
        if part == "test":
            headline = ours / best
    if not args.quick:
        texts = dalia_texts()
        found = inferrer.infer(encoder.encode(texts), texts)
        print(f"dalia_records: {len(found)}")
        for a in ARCHETYPES:
            print(f"dalia_{a}: {sum(a in f.archetypes for f in found)}")
        print(f"dalia_specialist: {sum(f.level == 'specialist' for f in found)}")
    print(f"ratio: {headline:.2f}")


if __name__ == "__main__":
    main()
