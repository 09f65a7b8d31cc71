"""Each list's page: candidates best first, spread across gaps and providers, and the weaker
matches offered for a gap that nothing serves."""

from __future__ import annotations

import numpy as np

from recommender.indexing.snapshot import Snapshot
from recommender.ranking.candidates import Candidates
from recommender.ranking.scoring import Scores

WEAK_MATCHES = 3       # nearest resources offered for a gap nothing serves
PROVIDER_PENALTY = 0.08  # diversity: each item already shown from the same provider
GAP_PENALTY = 0.06       # ... and each item already shown for the same best gap


def weak_matches(scores: Scores, offered: list[bool]) -> set[tuple[int, int]]:
    """(candidate, gap) pairs offered as weaker matches for the gaps nothing else serves (not
    for gaps in words that match no statement: there the nearest may be anything)."""
    weak: set[tuple[int, int]] = set()
    unserved = [j for j, served in enumerate(scores.serves.any(axis=0).tolist())
                if offered[j] and not served]
    if not unserved:
        return weak
    similarity = scores.signals.similarity
    if scores.signals.in_scope is not None:
        similarity = np.where(scores.signals.in_scope[:, None], similarity, -np.inf)
    for j in unserved:
        for i in np.argsort(-similarity[:, j])[:WEAK_MATCHES]:
            if np.isfinite(similarity[i, j]):
                weak.add((int(i), j))
    return weak


def pages(scores: Scores, snapshot: Snapshot, candidates: Candidates,
          weak: set[tuple[int, int]], limit: int, page: int) -> dict[str, list[int]]:
    """The page of the baseline and of the specialist list (candidate positions)."""
    total = scores.total
    if weak:
        total = total.copy()
        for i, j in weak:
            if not np.isfinite(total[i]):
                total[i] = scores.per_gap[i, j] - 1.0  # below every real match
    most = limit * page * 4 + 20  # the candidates each page looks at
    finite = np.isfinite(total)
    return {level: _page(scores, snapshot, candidates, total,
                         _best(total, np.flatnonzero(finite & (scores.signals.is_baseline
                                                               == is_baseline)), most),
                         limit, page)
            for level, is_baseline in (("baseline", True), ("specialist", False))}


def _best(total: np.ndarray, at: np.ndarray, most: int) -> np.ndarray:
    """The ``most`` best of the candidates ``at`` (in id order), best first, ties in id
    order so that pages stay stable: the few that can make the cut (those at or above the
    ``most``-th best score) are sorted, not all of them."""
    if len(at) > most:
        cut = -np.partition(-total[at], most - 1)[most - 1]
        at = at[total[at] >= cut]
    return at[np.argsort(-total[at], kind="stable")][:most]


def _page(scores: Scores, snapshot: Snapshot, candidates: Candidates, total: np.ndarray,
          order: np.ndarray, limit: int, page: int) -> list[int]:
    """One list's page from its best candidates ``order``: a greedy, MMR-like re-ranking
    that spreads it across gaps and providers, near-duplicates of items already shown left
    out. In plain Python: for the few dozen candidates a page looks at, that is 5x faster
    than NumPy's calls, and it adds the same penalties in the same order."""
    best_gap = np.argmax(np.where(scores.serves[order], scores.per_gap[order], -np.inf),
                         axis=1).tolist()
    provider = snapshot.provider.codes[candidates.rows[order]].tolist()
    ids = candidates.ids[order].tolist()
    base = total[order].tolist()
    left = list(base)  # each one's score less its penalty so far
    same_provider: dict[int, list[int]] = {}
    same_gap: dict[int, list[int]] = {}
    for k in range(len(order)):
        same_provider.setdefault(provider[k], []).append(k)
        same_gap.setdefault(best_gap[k], []).append(k)
    penalty = [0.0] * len(order)
    open_ = list(range(len(order)))
    chosen: list[int] = []
    shown_ids: set[int] = set()
    while open_ and len(chosen) < limit * page:
        k = max(open_, key=left.__getitem__)  # the best; max keeps the first of equals
        open_.remove(k)
        if snapshot.duplicates.get(ids[k], set()) & shown_ids:
            continue
        chosen.append(int(order[k]))
        shown_ids.add(ids[k])
        for group, amount in ((same_provider[provider[k]], PROVIDER_PENALTY),
                              (same_gap[best_gap[k]], GAP_PENALTY)):
            for x in group:
                penalty[x] += amount
                left[x] = base[x] - penalty[x]
    return chosen[limit * (page - 1):]
