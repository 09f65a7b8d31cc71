"""Which resources go into a plan: a budgeted, weighted set cover of the learner's gaps.

A resource counts for a gap only when a curator mapped it to the gap's statement, or the
indexer suggested the mapping with a calibrated confidence of at least ``MIN_CONFIDENCE``
(the share of such suggestions that were right on held-out curated mappings; docs/ranking.md):
more likely right than wrong. Similarity alone never makes a resource count.

Greedy choice (docs/plans.md, with a worked example): while time is left, take the resource
with the most *gain per minute*, where its gain is the sum, over the gaps it covers that are
still open, of the gap's severity times the mapping's confidence; a resource whose minutes do
not fit the time left, or that is a near-duplicate of one already taken, is passed over. As
the budgeted set cover's greedy can be beaten by one long item that covers much, the best
single item that fits is compared with the greedy choice, and the one covering more severity
is kept (Khuller, Moss and Naor, 1999).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Option:
    """A resource a plan may take: its minutes and the gaps it covers, with the confidence
    of each mapping (1.0 for a curator's)."""

    resource_id: int
    minutes: int
    covers: Mapping[str, float]  # statement id -> confidence, only gaps it counts for
    duplicates: frozenset[int] = frozenset()  # near-duplicates flagged for it


@dataclass
class Choice:
    """The options taken, in the order they were taken, and the gaps they cover."""

    taken: list[Option] = field(default_factory=list)
    gains: list[float] = field(default_factory=list)  # each taken option's gain when taken
    covered: dict[str, int] = field(default_factory=dict)  # statement id -> resource id

    @property
    def minutes(self) -> int:
        return sum(o.minutes for o in self.taken)


def gain(option: Option, severities: Mapping[str, int], open_gaps: set[str]) -> float:
    """Severity times confidence, summed over the open gaps the option covers."""
    return sum(severities[g] * c for g, c in option.covers.items() if g in open_gaps)


def choose(options: Sequence[Option], severities: Mapping[str, int], budget: int,
           done: Sequence[Option] = ()) -> Choice:
    """The options to take for the gaps (``severities``: statement id -> 1-3) within
    ``budget`` minutes; the ``done`` ones (already completed) cover their gaps first and cost
    nothing."""
    greedy = _greedy(options, severities, budget, done)
    single = _best_single(options, severities, budget, done)
    if single is not None and _weight(single, severities) > _weight(greedy, severities):
        return single
    return greedy


def _start(done: Sequence[Option], severities: Mapping[str, int]
           ) -> tuple[Choice, set[str], set[int]]:
    """A choice holding the done options' gaps, the gaps still open, and the resources that
    may not be taken (the done ones and their near-duplicates)."""
    choice = Choice()
    for option in done:
        for gap in option.covers:
            choice.covered.setdefault(gap, option.resource_id)
    blocked = {o.resource_id for o in done} | {d for o in done for d in o.duplicates}
    return choice, set(severities) - set(choice.covered), blocked


def _greedy(options: Sequence[Option], severities: Mapping[str, int], budget: int,
            done: Sequence[Option]) -> Choice:
    choice, open_gaps, blocked = _start(done, severities)
    left = budget
    while open_gaps:
        best, best_key = None, None
        for option in options:
            if option.resource_id in blocked or option.minutes > left:
                continue
            value = gain(option, severities, open_gaps)
            if value <= 0:
                continue
            # most gain per minute; then more gain, fewer minutes, the lower id (stable)
            key = (value / option.minutes, value, -option.minutes, -option.resource_id)
            if best_key is None or key > best_key:
                best, best_key = option, key
        if best is None:
            break
        _take(choice, best, severities, open_gaps)
        blocked |= {best.resource_id, *best.duplicates}
        left -= best.minutes
    return choice


def _best_single(options: Sequence[Option], severities: Mapping[str, int], budget: int,
                 done: Sequence[Option]) -> Choice | None:
    choice, open_gaps, blocked = _start(done, severities)
    fitting = [o for o in options if o.minutes <= budget and o.resource_id not in blocked
               and gain(o, severities, open_gaps) > 0]
    if not fitting:
        return None
    best = max(fitting, key=lambda o: (gain(o, severities, open_gaps), -o.minutes,
                                       -o.resource_id))
    _take(choice, best, severities, open_gaps)
    return choice


def _take(choice: Choice, option: Option, severities: Mapping[str, int],
          open_gaps: set[str]) -> None:
    choice.taken.append(option)
    choice.gains.append(gain(option, severities, open_gaps))
    for gap in option.covers:
        if gap in open_gaps:
            choice.covered[gap] = option.resource_id
            open_gaps.discard(gap)


def _weight(choice: Choice, severities: Mapping[str, int]) -> int:
    return sum(severities[g] for g in choice.covered if g in severities)
