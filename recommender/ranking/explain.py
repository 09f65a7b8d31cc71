"""Why each recommended item was chosen: the item as the answer shows it, with one reason
per gap it serves.

The chosen items' signals are read out of the score arrays once for all of them, and what a
reason says of its gap alone (the statement, the words, the level rule) is worded once per
gap: a 10-gap answer explains 20 items, and reading NumPy scalars one by one cost more than
the wording."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from catalogue.framework import Capability
from recommender.contract.validation import RecommendationRequest
from recommender.learners.rules import preferred_level
from recommender.ranking.scoring import Scores
from recommender.ranking.text_gaps import Column

GOAL_REASON_SIMILARITY = 0.3
EXPLAINED_GAPS = 3  # gaps explained in full per item; the rest are listed by id
NOT_USEFUL_REASON = "ranked lower: other learners marked it not useful for this"


def explained(lists: Mapping[str, Sequence[tuple[int, dict]]], scores: Scores,
              weak: set[tuple[int, int]], gaps: list[Column], req: RecommendationRequest,
              statements: Mapping[str, Capability]) -> dict[str, list[dict]]:
    """Each list's recommended items, each ``(candidate position, the resource's fields as
    ``public_fields`` gives them)``: the fields, its score, and why, gap by gap. The lists are
    explained together: their signals read out at once, each gap worded once."""
    items = _items([item for shown in lists.values() for item in shown], scores, weak, gaps,
                   req, statements)
    out, start = {}, 0
    for name, shown in lists.items():
        out[name], start = items[start:start + len(shown)], start + len(shown)
    return out


def _items(shown: Sequence[tuple[int, dict]], scores: Scores, weak: set[tuple[int, int]],
           gaps: list[Column], req: RecommendationRequest,
           statements: Mapping[str, Capability]) -> list[dict]:
    if not shown:
        return []
    at = [i for i, _ in shown]
    s = scores.signals
    values = {name: array[at].tolist() for name, array in (
        ("per_gap", scores.per_gap), ("serves", scores.serves), ("level_fit", scores.level_fit),
        ("similarity", s.similarity), ("lexical_rank", s.lexical_rank),
        ("curated", s.curated))}
    order = np.argsort(-scores.per_gap[at], axis=1).tolist()
    total = scores.total[at].tolist()
    archetype_fit = s.archetype_fit[at].tolist()
    goal = s.goal_similarity[at].tolist() if s.goal_similarity is not None else None
    not_useful = s.not_useful[at].tolist() if s.not_useful is not None else None
    wording = [_Gap(gap, statements[gap.capability], req) for gap in gaps]
    similarity, lexical_rank, curated = (values["similarity"], values["lexical_rank"],
                                         values["curated"])
    level_fit, per_gap = values["level_fit"], values["per_gap"]
    items = []
    for k, (i, fields) in enumerate(shown):
        serves = values["serves"][k]
        served = [j for j in order[k] if serves[j] or (i, j) in weak]
        inferred = fields["inferred"]
        fit = archetype_fit[k]
        fit_reason = (f"it is written for {req.archetype}s"
                      + _guessed(inferred.get("archetypes"), req.archetype)) if fit else None
        level_guess = _guessed(inferred.get("level"))
        inferred_names = sorted(inferred)
        item_goal = None if goal is None else goal[k]
        item_not_useful = None if not_useful is None else not_useful[k]
        because = [wording[j].because(
            similarity[k][j], lexical_rank[k][j], curated[k][j], (i, j) in weak,
            fit, fit_reason, level_fit[k][j], level_guess, item_goal,
            item_not_useful is not None and item_not_useful[j] > 0, per_gap[k][j],
            inferred_names) for j in served[:EXPLAINED_GAPS]]
        items.append({
            **fields,
            "score": round(total[k], 4) if math.isfinite(total[k]) else None,
            "because": because,
            "also_serves": list(dict.fromkeys(gaps[j].capability
                                              for j in served[EXPLAINED_GAPS:])),
        })
    return items


def _guessed(label: dict | None, archetype: str | None = None) -> str:
    """' (inferred from its text, confidence 0.71)' for a label the source did not state."""
    if label is None:
        return ""
    confidence = (label.get("scores") or {}).get(archetype) if archetype else None
    confidence = label.get("confidence") if confidence is None else confidence
    return " (inferred from its text" + (f", confidence {confidence:.2f})"
                                         if isinstance(confidence, int | float) else ")")


class _Gap:
    """What every reason for one gap says of the gap itself, worded once per request."""

    def __init__(self, gap: Column, statement: Capability, req: RecommendationRequest):
        self.gap = gap
        # a gap in words is explained in terms of the words, a statement gap of the statement
        self.target, self.mapped, self.words = (
            ("your words", "the statement your words match", "your key words") if gap.texts
            else ("this statement", "this statement", "the statement's key words"))
        self.level_reason = (f"it is {req.preferences.level} learning, as you asked"
                             if req.preferences.level else
                             f"{preferred_level(statement.level)} learning suits a level-"
                             f"{statement.level} statement")
        self.head = {"capability": gap.capability, "statement": statement.text,
                     "domain": statement.domain_name, "capability_level": statement.level,
                     "severity": gap.severity}
        self.words_fields = {"gap_text": " / ".join(gap.texts),
                             "statement_matched": gap.matched} if gap.texts else {}
        self.curated_reason = f"a curator mapped it to {self.mapped}"
        self.words_reason = f"it uses {self.words}"
        self.prefix = (f"Serves your gap \u201c{_short(gap.texts)}\u201d" if gap.texts and
                       not gap.matched else f"Serves your gap in {gap.capability}") + ": "

    def because(self, similarity: float, lexical_rank: int, curated: bool, weak: bool,
                fit: bool, fit_reason: str | None, level_fit: bool, level_guess: str,
                goal: float | None, not_useful: bool, score: float,
                inferred: list[str]) -> dict:
        """One reason; positional arguments, as it is called 60 times for a 10-gap answer."""
        if weak:
            match = "weak"
            reasons = [f"nothing in the catalogue matches this statement closely; this is "
                       f"among the nearest (similarity {similarity:.2f})"]
        elif curated:
            match = "curated"
            reasons = [self.curated_reason]
        else:
            match = "similar"
            reasons = [f"its content is close to {self.target} (similarity {similarity:.2f})"]
            if 0 <= lexical_rank < 20:
                reasons.append(self.words_reason)
        if fit:
            reasons.append(fit_reason)
        if level_fit:
            reasons.append(self.level_reason + level_guess)
        if goal is not None and goal >= GOAL_REASON_SIMILARITY:
            reasons.append(f"it matches your goal ({goal:.2f})")
        if not_useful:
            reasons.append(NOT_USEFUL_REASON)
        out = self.head.copy()
        out["match"] = match
        out["score"] = round(score, 4)
        out["signals"] = {
            "similarity": round(similarity, 4),
            "lexical_rank": lexical_rank if lexical_rank >= 0 else None,
            "curated": curated,
            "archetype_fit": fit,
            "level_fit": level_fit,
            "goal_similarity": None if goal is None else round(goal, 4),
        }
        out["inferred"] = list(inferred)
        if self.words_fields:
            out.update(self.words_fields)
        out["reason"] = self.prefix + "; ".join(reasons) + "."
        return out


def _short(texts: tuple[str, ...], most: int = 80) -> str:
    words = " / ".join(texts)
    return words if len(words) <= most else words[:most - 1].rstrip() + "\u2026"
