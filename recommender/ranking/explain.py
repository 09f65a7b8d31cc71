"""Why each recommended item was chosen: the item as the answer shows it, with one reason
per gap it serves."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from catalogue.framework import Capability
from recommender.content.views import public_fields
from recommender.contract.validation import RecommendationRequest
from recommender.learners.rules import preferred_level
from recommender.ranking.scoring import Scores
from recommender.ranking.text_gaps import Column
from recommender.storage.models import Resource

GOAL_REASON_SIMILARITY = 0.3
EXPLAINED_GAPS = 3  # gaps explained in full per item; the rest are listed by id


def explained(r: Resource, i: int, scores: Scores, weak: set[tuple[int, int]],
              gaps: list[Column], req: RecommendationRequest,
              statements: Mapping[str, Capability]) -> dict:
    """One recommended item: the resource's fields, its score, and why, gap by gap."""
    served = [int(j) for j in np.argsort(-scores.per_gap[i])
              if scores.serves[i, j] or (i, int(j)) in weak]
    fields = public_fields(r)
    return {
        **fields,
        "score": round(float(scores.total[i]), 4) if np.isfinite(scores.total[i]) else None,
        "because": [_because(i, j, scores, (i, j) in weak, gaps, req, statements,
                             fields["inferred"]) for j in served[:EXPLAINED_GAPS]],
        "also_serves": list(dict.fromkeys(gaps[j].capability
                                          for j in served[EXPLAINED_GAPS:])),
    }


def _guessed(label: dict | None, archetype: str | None = None) -> str:
    """' (inferred from its text, confidence 0.71)' for a label the source did not state."""
    if label is None:
        return ""
    confidence = (label.get("scores") or {}).get(archetype) if archetype else None
    confidence = label.get("confidence") if confidence is None else confidence
    return " (inferred from its text" + (f", confidence {confidence:.2f})"
                                         if isinstance(confidence, int | float) else ")")


def _because(i: int, j: int, scores: Scores, weak: bool, gaps: list[Column],
             req: RecommendationRequest, statements: Mapping[str, Capability],
             inferred: Mapping[str, dict]) -> dict:
    gap = gaps[j]
    statement = statements[gap.capability]
    s = scores.signals
    similarity = float(s.similarity[i, j])
    lexical_rank = int(s.lexical_rank[i, j])
    curated = bool(s.curated[i, j])
    goal = None if s.goal_similarity is None else float(s.goal_similarity[i])
    if weak:
        match = "weak"
        reasons = [f"nothing in the catalogue matches this statement closely; this is among the "
                   f"nearest (similarity {similarity:.2f})"]
    else:
        # a gap in words is explained in terms of the words, a statement gap of the statement
        target, mapped, words = (("your words", "the statement your words match",
                                  "your key words") if gap.texts else
                                 ("this statement", "this statement",
                                  "the statement's key words"))
        match = "curated" if curated else "similar"
        reasons = [f"a curator mapped it to {mapped}" if curated
                   else f"its content is close to {target} (similarity {similarity:.2f})"]
        if 0 <= lexical_rank < 20 and not curated:
            reasons.append(f"it uses {words}")
    if bool(s.archetype_fit[i]):
        reasons.append(f"it is written for {req.archetype}s" + _guessed(
            inferred.get("archetypes"), req.archetype))
    if bool(scores.level_fit[i, j]):
        guessed = _guessed(inferred.get("level"))
        if req.preferences.level:
            reasons.append(f"it is {req.preferences.level} learning, as you asked{guessed}")
        else:
            reasons.append(f"{preferred_level(statement.level)} learning suits a level-"
                           f"{statement.level} statement{guessed}")
    if goal is not None and goal >= GOAL_REASON_SIMILARITY:
        reasons.append(f"it matches your goal ({goal:.2f})")
    if s.not_useful is not None and s.not_useful[i, j] > 0:
        reasons.append("ranked lower: other learners marked it not useful for this")
    return {
        "capability": gap.capability,
        "statement": statement.text,
        "domain": statement.domain_name,
        "capability_level": statement.level,
        "severity": gap.severity,
        "match": match,
        "score": round(float(scores.per_gap[i, j]), 4),
        "signals": {
            "similarity": round(similarity, 4),
            "lexical_rank": lexical_rank if lexical_rank >= 0 else None,
            "curated": curated,
            "archetype_fit": bool(s.archetype_fit[i]),
            "level_fit": bool(scores.level_fit[i, j]),
            "goal_similarity": None if goal is None else round(goal, 4),
        },
        "inferred": sorted(inferred),
        **({"gap_text": " / ".join(gap.texts), "statement_matched": gap.matched}
           if gap.texts else {}),
        "reason": (f"Serves your gap \u201c{_short(gap.texts)}\u201d" if gap.texts and
                   not gap.matched else f"Serves your gap in {gap.capability}")
        + ": " + "; ".join(reasons) + ".",
    }


def _short(texts: tuple[str, ...], most: int = 80) -> str:
    words = " / ".join(texts)
    return words if len(words) <= most else words[:most - 1].rstrip() + "\u2026"
