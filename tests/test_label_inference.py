"""Archetype and level inference from a resource's text, with the real model: what it says of
texts written for each archetype, the shape of its answer, and that on the held-out part of
the shipped catalogue it beats giving every resource all five archetypes."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from catalogue.framework import ARCHETYPE_BADGES
from recommender.indexing.labels import ARCHETYPE_THRESHOLD, LabelInferrer

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
FOR_EACH = {
    "user": "Using an AI early-warning tool on the ward. A short guide for nurses on reading the "
            "alerts an AI deterioration score raises for their patients, when to escalate and "
            "when to trust their own judgement.",
    "creator": "Deep learning in Python. A coding tutorial in Jupyter notebooks: build, train "
               "and validate a convolutional neural network on chest X-ray images with PyTorch.",
    "driver": "Leading AI adoption: a guide for NHS boards. How trust boards and commissioners "
              "set an AI strategy, build the business case, fund and procure AI products and "
              "measure the benefits.",
    "shaper": "A national policy for regulating AI as a medical device. The government and the "
              "regulator set out the legislation, standards and regulatory pathway for AI in "
              "health and care across the country.",
    "embedder": "Clinical safety for digital systems. How clinical safety officers apply DCB0129 "
                "and DCB0160, run a hazard log and assure the integration of a new system with "
                "the electronic patient record before go-live.",
}


@pytest.fixture(scope="module")
def inferrer(encoder, framework):
    return LabelInferrer.build(encoder, framework)


def infer(inferrer, encoder, texts):
    return inferrer.infer(encoder.encode(texts), texts)


@pytest.mark.parametrize("archetype", list(FOR_EACH))
def test_a_text_written_for_an_archetype_is_inferred_for_it_first(inferrer, encoder, archetype):
    [found] = infer(inferrer, encoder, [FOR_EACH[archetype]])
    assert archetype in found.archetypes
    assert max(found.archetype_scores, key=found.archetype_scores.get) == archetype


def test_scores_are_confidences_and_archetypes_are_never_empty_and_in_badge_order(
        inferrer, encoder, shipped_resources):
    texts = [r.embedding_text() for r in shipped_resources[:40]] + list(FOR_EACH.values()) + [
        "Bird migration across the Atlantic.", "x"]
    found = infer(inferrer, encoder, texts)
    assert len(found) == len(texts)
    order = list(ARCHETYPE_BADGES)
    for labels in found:
        assert list(labels.archetype_scores) == order
        assert all(0 <= s <= 1 for s in labels.archetype_scores.values())
        assert labels.archetypes
        assert list(labels.archetypes) == [a for a in order if a in labels.archetypes]
        passing = [a for a in order if labels.archetype_scores[a] >= ARCHETYPE_THRESHOLD]
        best = max(order, key=labels.archetype_scores.get)
        assert list(labels.archetypes) == (passing or [best])
        assert labels.level in ("baseline", "specialist")
        assert 0.5 <= labels.level_confidence <= 1


def test_an_empty_batch_gives_nothing(inferrer, encoder):
    assert inferrer.infer(encoder.encode([]), []) == []


def test_level_words_decide_and_are_given_as_the_reason(inferrer, encoder):
    intro, advanced = infer(inferrer, encoder, [
        "An introduction to artificial intelligence in health care.",
        "Advanced hands-on course on building and validating clinical prediction models."])
    assert intro.level == "baseline"
    assert intro.level_reason == "words: 'introduction'"
    assert advanced.level == "specialist"
    assert advanced.level_reason.startswith("words: ") and "'hands-on'" in advanced.level_reason
    assert "'advanced'" in advanced.level_reason


def test_without_level_words_the_meaning_decides(inferrer, encoder):
    [found] = infer(inferrer, encoder, ["Artificial intelligence in health care."])
    assert found.level_reason.startswith("meaning: its closest framework statements average")


def test_held_out_micro_f1_beats_giving_every_resource_all_five(inferrer, encoder,
                                                                shipped_resources):
    held_out = list(shipped_resources)
    random.Random(11).shuffle(held_out)  # the benchmark's split: the first 30% never fitted
    held_out = held_out[: int(len(held_out) * 0.3)]
    texts = [r.embedding_text() for r in held_out]
    found = infer(inferrer, encoder, texts)
    order = list(ARCHETYPE_BADGES)
    truth = np.array([[a in r.archetypes for a in order] for r in held_out])
    ours = np.array([[a in f.archetypes for a in order] for f in found])

    def f1(chosen):
        hits = (chosen & truth).sum()
        precision, recall = hits / chosen.sum(), hits / truth.sum()
        return 2 * precision * recall / (precision + recall)

    assert f1(ours) > f1(np.ones_like(truth)) + 0.03
    levels = np.array([f.level == "specialist" for f in found])
    specialist = np.array([r.level == "specialist" for r in held_out])
    assert (levels == specialist).mean() > max(specialist.mean(), 1 - specialist.mean())


def test_the_benchmark_quick_run_prints_its_figures_and_a_ratio():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "suggest_archetypes.py"), "--quick"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = dict(line.partition(": ")[::2] for line in done.stdout.splitlines())
    assert float(figures["ratio"]) > 0
    assert float(figures["ours_micro_f1"]) > float(figures["all_five_micro_f1"])
    assert float(figures["level_accuracy"]) > float(figures["always_baseline_level_accuracy"])
    assert "train_resources" not in figures and "dalia_records" not in figures
